@testable import DirectorProxy
import NIOHTTP1

/// The Host header alone: `HTTPHostCheck` (RFC 9112 §3.2 authority check) and the host routing uses
/// (`HTTPRequestFacts.normalizedHost`, `HTTPHostPattern`). An accepted authority is ASCII and normalizes to
/// a host without a port.
///
/// Input: the Host value (split at a NUL into two Host headers).
enum HTTPHostTarget {
    static let patterns = [HTTPHostPattern("*.static.test"), HTTPHostPattern("shop.test")]

    static func run(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        let values = text.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        let valid = HTTPHostCheck.isValidAuthority(values[0])
        let host = HTTPRequestFacts.normalizedHost(Substring(values[0]))
        for pattern in patterns { _ = pattern.matches(host) }
        if valid {
            // RFC 3986 §3.2.2: an authority is ASCII (IDNs travel as A-labels, IP literals as ASCII hex).
            invariant(values[0].utf8.allSatisfy { $0 < 0x80 }, "the Host '\(values[0])' with non-ASCII characters is valid")
        }
        if valid && !values[0].hasPrefix("[") {
            invariant(!host.contains(":"), "the valid Host '\(values[0])' normalizes to '\(host)', which keeps a port")
        }
        var headers = HTTPHeaders()
        for value in values.prefix(2) { headers.add(name: "Host", value: value) }
        for version in [HTTPVersion.http1_0, .http1_1] {
            let head = HTTPRequestHead(version: version, method: .GET, uri: "/", headers: headers)
            let problem = HTTPHostCheck.problem(head)
            if values.count == 1 { invariant((problem == nil) == valid, "problem(\(values[0])) disagrees with isValidAuthority") }
            _ = HTTPRequestFacts(head)
        }
    }
}
