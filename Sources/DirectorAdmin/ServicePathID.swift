public import Director
public import ShoalCore

/// URL-safe names for services and servers in admin API paths, and their parser.
///
/// Services: `tcp-127.0.0.1-8080`, `udp-10.0.0.1-53`, `sctp-…`, `fwm-5` (IPv4 fwmark), `fwm6-5` (IPv6 fwmark);
/// an IPv6 address sits in brackets, percent-encoded: `tcp-%5B2001%3Adb8%3A%3A1%5D-80`.
/// Servers: `127.0.0.2-80` or `%5B2001%3Adb8%3A%3A2%5D-80`; `127.0.0.2:80` and `[2001:db8::2]:80` are accepted too.
/// The parsers percent-decode first, so both the encoded and the plain forms are read.
public enum ServicePathID {
    /// The path segment naming a service.
    public static func string(for key: VirtualServiceKey) -> String {
        switch key {
        case let .address(proto, endpoint):
            return "\(protocolName(proto))-\(addressSegment(endpoint.address))-\(endpoint.port)"
        case let .fwmark(mark, family):
            return family == .inet6 ? "fwm6-\(mark)" : "fwm-\(mark)"
        }
    }

    /// The path segment naming a real server.
    public static func string(for server: Endpoint) -> String {
        "\(addressSegment(server.address))-\(server.port)"
    }

    /// Reads a service path segment; the error names the segment and what is wrong with it.
    public static func parseService(_ segment: some StringProtocol) throws(ConfigError) -> VirtualServiceKey {
        guard let text = percentDecoded(segment) else { throw ConfigError(field: "id", "bad percent-encoding in \"\(segment)\"") }
        guard let dash = text.firstIndex(of: "-") else {
            throw ConfigError(field: "id", "\"\(text)\" is not PROTOCOL-ADDRESS-PORT or fwm-MARK")
        }
        let kind = text[..<dash].lowercased(), rest = text[text.index(after: dash)...]
        if kind == "fwm" || kind == "fwm6" {
            guard let mark = UInt32(rest), mark > 0 else { throw ConfigError(field: "id", "bad firewall mark \"\(rest)\"") }
            return .fwmark(mark, kind == "fwm6" ? .inet6 : .inet)
        }
        guard let proto = transport(named: kind) else { throw ConfigError(field: "id", "unknown protocol \"\(kind)\"") }
        guard let endpoint = parseEndpoint(rest) else {
            throw ConfigError(field: "id", "\"\(rest)\" is not ADDRESS-PORT")
        }
        return .address(proto, endpoint)
    }

    /// Reads a server path segment (`ADDRESS-PORT` or `ADDRESS:PORT`).
    public static func parseServer(_ segment: some StringProtocol) throws(ConfigError) -> Endpoint {
        guard let text = percentDecoded(segment) else { throw ConfigError(field: "server", "bad percent-encoding in \"\(segment)\"") }
        guard let endpoint = parseEndpoint(Substring(text)) ?? Endpoint(text) else {
            throw ConfigError(field: "server", "\"\(text)\" is not ADDRESS-PORT")
        }
        return endpoint
    }

    /// The lower-case protocol name used in ids and JSON: tcp, udp, sctp.
    public static func protocolName(_ proto: TransportProtocol) -> String { proto.listingName.lowercased() }

    /// The protocol with this lower-case name (tcp, udp, sctp); nil for anything else.
    public static func transport(named name: String) -> TransportProtocol? {
        switch name.lowercased() {
        case "tcp": return .tcp
        case "udp": return .udp
        case "sctp": return .sctp
        default: return nil
        }
    }

    static func addressSegment(_ address: IPAddress) -> String {
        switch address {
        case .v4: return "\(address)"
        case .v6: return "%5B" + "\(address)".replacingColons() + "%5D"
        }
    }

    /// `ADDRESS-PORT` with the port after the last dash; IPv6 must be bracketed.
    static func parseEndpoint(_ text: Substring) -> Endpoint? {
        guard let dash = text.lastIndex(of: "-") else { return nil }
        let host = text[..<dash], portText = text[text.index(after: dash)...]
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = UInt16(portText) else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") && host.count > 2 {
            guard let address = IPAddress(host.dropFirst().dropLast()), address.family == .inet6 else { return nil }
            return Endpoint(address, port)
        }
        guard let address = IPAddress(host), address.family == .inet else { return nil }
        return Endpoint(address, port)
    }

    /// Decodes `%XX` escapes (UTF-8); nil when an escape is malformed or the bytes are not UTF-8.
    public static func percentDecoded(_ text: some StringProtocol) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let hi = iterator.next().flatMap(hexValue), let lo = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(hi << 4 | lo)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension String {
    fileprivate func replacingColons() -> String {
        var out = ""
        for c in self { out += c == ":" ? "%3A" : String(c) }
        return out
    }
}
