public import NIOHTTP1
public import ShoalCore

/// The headers a proxy adds so the server knows the real client: X-Forwarded-For (appended to),
/// Forwarded (RFC 7239, appended to) and X-Forwarded-Proto (replaced).
public enum HTTPForwardingHeaders {
    /// Adds the client and the proxy (`by`, the virtual endpoint) to `headers`.
    public static func add(client: Endpoint, proxy: Endpoint, proto: String = "http", to headers: inout HTTPHeaders) {
        let existing = headers["x-forwarded-for"].joined(separator: ", ")
        headers.remove(name: "x-forwarded-for")
        let address = "\(client.address)"
        headers.add(name: "X-Forwarded-For", value: existing.isEmpty ? address : "\(existing), \(address)")

        let element = "for=\(node(client.address, port: nil));proto=\(proto);by=\(node(proxy.address, port: proxy.port))"
        let forwarded = headers["forwarded"].joined(separator: ", ")
        headers.remove(name: "forwarded")
        headers.add(name: "Forwarded", value: forwarded.isEmpty ? element : "\(forwarded), \(element)")

        headers.replaceOrAdd(name: "X-Forwarded-Proto", value: proto)
    }

    /// An RFC 7239 node: `192.0.2.1`, `"192.0.2.1:80"`, `"[2001:db8::1]"`, `"[2001:db8::1]:80"`.
    public static func node(_ address: IPAddress, port: UInt16?) -> String {
        switch (address, port) {
        case (.v4, nil): return "\(address)"
        case let (.v4, port?): return "\"\(address):\(port)\""
        case (.v6, nil): return "\"[\(address)]\""
        case let (.v6, port?): return "\"[\(address)]:\(port)\""
        }
    }
}

/// Hop-by-hop header handling between the client and server connections (RFC 7230 6.1).
public enum HTTPHopByHop {
    static let names: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authenticate", "proxy-authorization"]

    /// End-to-end essentials that a name in Connection never removes: the message framing (the codecs frame
    /// the body by it) and Host (routing and the server must see the same one; issue 10 #7).
    static let protected: Set<String> = ["transfer-encoding", "content-length", "host"]

    /// Removes hop-by-hop headers and those the Connection header lists, except the protected ones.
    public static func strip(_ headers: inout HTTPHeaders) {
        var listed = Set<String>()
        for value in headers["connection"] {
            for token in value.split(separator: ",") {
                listed.insert(String(Substring(token).trimmingWhitespace()).lowercased())
            }
        }
        for name in names.union(listed.subtracting(protected)) { headers.remove(name: name) }
    }
}
