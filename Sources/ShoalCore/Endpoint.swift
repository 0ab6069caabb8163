/// An address and a port: `10.0.0.1:80` or `[2001:db8::1]:80`.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(_ address: IPAddress, _ port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses `a.b.c.d:port`, `[v6]:port`, or a bare address (port 0) when `requirePort` is false.
    public init?(_ text: some StringProtocol, requirePort: Bool = true) {
        let s = String(text)
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            guard let address = IPAddress(s[s.index(after: s.startIndex)..<close]), address.family == .inet6 else { return nil }
            let rest = s[s.index(after: close)...]
            if rest.isEmpty {
                guard !requirePort else { return nil }
                self.init(address, 0)
                return
            }
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            self.init(address, port)
        } else if let colon = s.lastIndex(of: ":"), let address = IPAddress(s[..<colon]), address.family == .inet {
            guard let port = UInt16(s[s.index(after: colon)...]) else { return nil }
            self.init(address, port)
        } else if !requirePort, let address = IPAddress(s) {
            self.init(address, 0)
        } else {
            return nil
        }
    }

    public var description: String {
        switch address {
        case .v4: return "\(address):\(port)"
        case .v6: return "[\(address)]:\(port)"
        }
    }
}
