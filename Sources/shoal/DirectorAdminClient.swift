import Foundation
import ShoalCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small client of a running director's admin API, for `shoal ipvsadm --director`.
struct DirectorAdminClient {
    /// What went wrong talking to the director; printed as `shoal: …`.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    var base: URL
    var token: String?

    init(baseURL: String, tokenFile: String?) throws {
        var text = baseURL
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), let scheme = url.scheme, scheme == "http" || scheme == "https", url.host != nil else {
            throw Failure(description: "--director: \"\(baseURL)\" is not an http:// or https:// URL")
        }
        base = url
        if let tokenFile {
            do {
                token = try SecretFile.read(tokenFile, what: "token file")
            } catch {
                throw Failure(description: "--token-file: \(error)")
            }
        }
    }

    /// Posts the arguments to `/api/ipvsadm`; returns the text answer, or throws the director's error.
    func ipvsadm(_ arguments: [String]) async throws -> String {
        var request = URLRequest(url: base.appendingPathComponent("api").appendingPathComponent("ipvsadm"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.httpBody = try JSONEncoder().encode(["args": arguments])
        let data: Data, response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw Failure(description: "cannot reach the director at \(base.absoluteString): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        if status == 200 { return String(decoding: data, as: UTF8.self) }
        struct ErrorBody: Decodable { var error: String; var field: String? }
        if let body = try? JSONDecoder().decode(ErrorBody.self, from: data) {
            throw Failure(description: (body.field.map { "\($0): " } ?? "") + body.error)
        }
        throw Failure(description: "the director answered HTTP \(status)")
    }
}
