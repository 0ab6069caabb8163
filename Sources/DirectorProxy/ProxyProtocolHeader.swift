public import NIOCore
public import ShoalCore

/// The PROXY protocol version to send: v1 (one text line) or v2 (binary, length-prefixed).
public enum ProxyProtocolVersion: String, Hashable, Sendable, CaseIterable {
    case v1
    case v2
}

/// The transport a PROXY header describes (v1 can only say TCP; v2 also says UDP).
public enum ProxyProtocolTransport: Hashable, Sendable {
    case stream
    case datagram
}

/// The connection a PROXY protocol header describes: the real client (source) and the address it
/// connected to (destination); both nil for `PROXY UNKNOWN` (v1) or a LOCAL/unspecified header (v2).
public struct ProxyProtocolHeader: Hashable, Sendable, CustomStringConvertible {
    public var source: Endpoint?
    public var destination: Endpoint?
    public var transport: ProxyProtocolTransport

    public init(source: Endpoint?, destination: Endpoint?, transport: ProxyProtocolTransport = .stream) {
        self.source = source
        self.destination = destination
        self.transport = transport
    }

    /// True when the header carries no addresses (the receiver keeps the connection's own).
    public var isUnknown: Bool { source == nil || destination == nil }

    /// The twelve bytes every v2 header starts with: `\r\n\r\n\0\r\nQUIT\n`.
    public static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// The longest v1 line, CR LF included (spec section 2.1).
    public static let v1MaximumLength = 107

    public var description: String {
        guard let source, let destination else { return "PROXY UNKNOWN" }
        return "PROXY \(transport == .stream ? "TCP" : "UDP") \(source) -> \(destination)"
    }

    /// Writes the header. A v1 header cannot describe UDP, so a datagram header is written as
    /// `PROXY UNKNOWN` in v1; endpoints of different families are written as IPv6 (IPv4-mapped).
    public func encode(_ version: ProxyProtocolVersion, into buffer: inout ByteBuffer) {
        let pair = Self.sameFamily(source, destination)
        switch version {
        case .v1:
            guard let (s, d) = pair, transport == .stream else {
                buffer.writeString("PROXY UNKNOWN\r\n")
                return
            }
            let proto = s.address.family == .inet ? "TCP4" : "TCP6"
            buffer.writeString("PROXY \(proto) \(s.address) \(d.address) \(s.port) \(d.port)\r\n")
        case .v2:
            buffer.writeBytes(Self.v2Signature)
            guard let (s, d) = pair else {
                buffer.writeInteger(UInt8(0x20))  // version 2, LOCAL
                buffer.writeInteger(UInt8(0x00))  // AF_UNSPEC, UNSPEC
                buffer.writeInteger(UInt16(0))
                return
            }
            buffer.writeInteger(UInt8(0x21))  // version 2, PROXY
            let proto: UInt8 = transport == .stream ? 0x1 : 0x2
            switch (s.address, d.address) {
            case let (.v4(sa), .v4(da)):
                buffer.writeInteger(UInt8(0x10) | proto)
                buffer.writeInteger(UInt16(12))
                buffer.writeInteger(sa)
                buffer.writeInteger(da)
            case let (.v6(sh, sl), .v6(dh, dl)):
                buffer.writeInteger(UInt8(0x20) | proto)
                buffer.writeInteger(UInt16(36))
                buffer.writeInteger(sh)
                buffer.writeInteger(sl)
                buffer.writeInteger(dh)
                buffer.writeInteger(dl)
            default:
                preconditionFailure("sameFamily returned mixed families")
            }
            buffer.writeInteger(s.port)
            buffer.writeInteger(d.port)
        }
    }

    /// The header as bytes.
    public func encoded(_ version: ProxyProtocolVersion) -> ByteBuffer {
        var buffer = ByteBuffer()
        encode(version, into: &buffer)
        return buffer
    }

    /// Both endpoints in one family: IPv4 ones are mapped into IPv6 when the other is IPv6.
    static func sameFamily(_ a: Endpoint?, _ b: Endpoint?) -> (Endpoint, Endpoint)? {
        guard let a, let b else { return nil }
        if a.address.family == b.address.family { return (a, b) }
        return (mapped(a), mapped(b))
    }

    static func mapped(_ e: Endpoint) -> Endpoint {
        guard case let .v4(v) = e.address else { return e }
        return Endpoint(.v6(0, 0x0000_ffff_0000_0000 | UInt64(v)), e.port)
    }
}
