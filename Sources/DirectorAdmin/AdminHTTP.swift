import Foundation
public import NIOHTTP1

/// One whole HTTP request as the admin API sees it (body already read and capped).
public struct AdminRequest: Sendable {
    public var method: HTTPMethod
    /// The request target as sent: path and optional `?query`.
    public var uri: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: HTTPMethod, uri: String, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }

    /// The path without the query (still percent-encoded).
    public var path: String {
        String(uri[..<(uri.firstIndex(of: "?") ?? uri.endIndex)])
    }

    /// Query parameters, percent- and `+`-decoded; the first of repeated names wins.
    public var query: [String: String] {
        guard let q = uri.firstIndex(of: "?") else { return [:] }
        var out: [String: String] = [:]
        for pair in uri[uri.index(after: q)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String? { ServicePathID.percentDecoded(s.replacingOccurrences(of: "+", with: " ")) }
            guard let name = decode(parts[0]) else { continue }
            let value = parts.count > 1 ? decode(parts[1]) ?? "" : ""
            if out[name] == nil { out[name] = value }
        }
        return out
    }
}

/// One whole HTTP response of the admin API.
public struct AdminResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return e
    }()

    /// A JSON response of an encodable value, snake_case keys, sorted.
    static func json(_ value: some Encodable, status: HTTPResponseStatus = .ok) -> AdminResponse {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var body = [UInt8](data)
        body.append(UInt8(ascii: "\n"))
        return AdminResponse(status: status, headers: ["Content-Type": "application/json; charset=utf-8"], body: body)
    }

    static func text(_ text: String, status: HTTPResponseStatus = .ok, contentType: String = "text/plain; charset=utf-8") -> AdminResponse {
        AdminResponse(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
    }

    static func error(_ error: APIError) -> AdminResponse {
        var response = json(ErrorDTO(error: error.message, field: error.field), status: error.status)
        if error.status == .unauthorized { response.headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"shoal\"") }
        return response
    }
}
