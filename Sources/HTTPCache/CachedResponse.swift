public import NIOHTTP1

/// One stored response (RFC 9111 §3): what was received, when it was asked for and received, and the request
/// header values its `Vary` names (the secondary key).
public struct CachedResponse: Sendable, Equatable {
    /// The primary key: the absolute URI of the request.
    public var url: String
    public var status: UInt
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Seconds since the epoch when the request went out (`request_time`, §4.2.3).
    public var requestTime: Int64
    /// Seconds since the epoch when the response arrived (`response_time`, §4.2.3).
    public var responseTime: Int64
    /// The request's values of the fields `Vary` names, lowercased names; nil value: absent.
    public var varyValues: [String: String]

    public init(url: String, status: UInt, headers: HTTPHeaders, body: [UInt8], requestTime: Int64, responseTime: Int64,
                varyValues: [String: String] = [:]) {
        self.url = url
        self.status = status
        self.headers = headers
        self.body = body
        self.requestTime = requestTime
        self.responseTime = responseTime
        self.varyValues = varyValues
    }

    public static func == (a: CachedResponse, b: CachedResponse) -> Bool {
        a.url == b.url && a.status == b.status && a.body == b.body && a.requestTime == b.requestTime && a.responseTime == b.responseTime
            && a.varyValues == b.varyValues && Array(a.headers.map { "\($0.name.lowercased()):\($0.value)" }) == Array(b.headers.map { "\($0.name.lowercased()):\($0.value)" })
    }

    /// The field names `Vary` lists, lowercased; `*` when it lists `*`.
    public var varyNames: [String] {
        headers["Vary"].flatMap { $0.split(separator: ",") }.map { Substring($0).trimmingCharacters().lowercased() }.filter { !$0.isEmpty }
    }

    /// The ETag, when the response has one.
    public var entityTag: String? { headers.first(name: "ETag") }

    /// The Last-Modified value, when present.
    public var lastModified: String? { headers.first(name: "Last-Modified") }

    /// Field names (lowercased) a proxy does not forward (RFC 9110 §7.6.1).
    public static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
                                               "proxy-authenticate", "proxy-authorization"]

    /// The stored fields a hit sends as they are: hop-by-hop fields and Content-Length dropped (the server layer
    /// frames the body), and Age, X-Cache and Via, which the cache sets itself.
    public var forwardedFields: [(String, String)] {
        var fields: [(String, String)] = []
        fields.reserveCapacity(headers.count)
        for (name, value) in headers {
            let lower = name.lowercased()
            if !Self.hopByHop.contains(lower), lower != "content-length", lower != "age", lower != "x-cache", lower != "via" { fields.append((name, value)) }
        }
        return fields
    }

    /// Bytes this entry stands for (body and a rough header size), for the size cap.
    public var size: Int { body.count + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 } + url.utf8.count }
}
