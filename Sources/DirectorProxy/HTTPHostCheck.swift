import NIOHTTP1

/// RFC 9112 §3.2: an HTTP/1.1 request needs exactly one Host header with a valid value; otherwise the proxy
/// answers 400 instead of forwarding (routing and the server could disagree on which host was meant).
enum HTTPHostCheck {
    /// Why the request's Host is unacceptable, or nil.
    static func problem(_ head: HTTPRequestHead) -> String? {
        let hosts = head.headers["Host"]
        if hosts.count > 1 { return "more than one Host header" }
        guard let host = hosts.first else { return head.version.major == 1 && head.version.minor == 0 ? nil : "no Host header" }
        return isValidAuthority(host) ? nil : "invalid Host header"
    }

    /// `uri-host [":" port]`: a reg-name (unreserved, pct-encoded, sub-delims; may be empty) or an IP literal.
    static func isValidAuthority(_ value: String) -> Bool {
        var host = Substring(value)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let literal = host[host.index(after: host.startIndex)..<close]
            // ASCII only: Character.isHexDigit also accepts the fullwidth forms (U+FF10…).
            guard !literal.isEmpty, literal.allSatisfy({ $0.isASCII && ($0.isHexDigit || $0 == ":" || $0 == ".") }) else { return false }
            host = host[host.index(after: close)...]
            guard host.isEmpty || host.first == ":" else { return false }
        } else if let colon = host.lastIndex(of: ":") {
            let name = host[..<colon]
            guard name.allSatisfy(isRegNameCharacter) else { return false }
            host = host[colon...]
        } else {
            return host.allSatisfy(isRegNameCharacter)
        }
        if host.first == ":" { return host.dropFirst().allSatisfy { $0.isASCII && $0.isNumber } }
        return host.isEmpty
    }

    private static func isRegNameCharacter(_ c: Character) -> Bool {
        guard c.isASCII else { return false }
        return c.isLetter || c.isNumber || "-._~%!$&'()*+,;=".contains(c)
    }
}
