public import NIOCore
import ShoalCore

extension ProxyProtocolHeader {
    /// Reads one header from the start of `buffer`, v1 or v2, consuming exactly its bytes.
    ///
    /// Returns nil (consuming nothing) when more bytes are needed; throws as soon as the bytes seen
    /// cannot start a valid header. v2 TLVs are skipped. A v2 header longer than `maximumLength`
    /// bytes is refused before it has all arrived.
    public static func parse(_ buffer: inout ByteBuffer, maximumLength: Int = 16 + 0xFFFF) throws(ProxyProtocolError) -> ProxyProtocolHeader? {
        let view = buffer.readableBytesView
        guard let first = view.first else { return nil }
        if first == UInt8(ascii: "P") {
            return try parseV1(&buffer)
        }
        if first == v2Signature[0] {
            return try parseV2(&buffer, maximumLength: maximumLength)
        }
        throw ProxyProtocolError(.notProxyProtocol, "the connection does not start with a PROXY header (first byte 0x\(String(first, radix: 16)))")
    }

    // MARK: Version 1

    static let v1Prefix = Array("PROXY ".utf8)

    static func parseV1(_ buffer: inout ByteBuffer) throws(ProxyProtocolError) -> ProxyProtocolHeader? {
        let view = buffer.readableBytesView
        var lineEnd: Int? = nil
        for (offset, byte) in view.prefix(v1MaximumLength).enumerated() {
            if offset < v1Prefix.count {
                guard byte == v1Prefix[offset] else {
                    throw ProxyProtocolError(.notProxyProtocol, "the connection does not start with a PROXY header")
                }
                continue
            }
            if byte == 0x0D {
                guard offset + 2 <= v1MaximumLength else {
                    throw ProxyProtocolError(.lineTooLong, "no CR LF within the first \(v1MaximumLength) bytes of the v1 line")
                }
                if offset + 1 < view.count {
                    guard view[view.startIndex + offset + 1] == 0x0A else {
                        throw ProxyProtocolError(.malformedLine, "a CR not followed by LF in the v1 line")
                    }
                    lineEnd = offset
                }
                break
            }
            guard byte >= 0x20 && byte < 0x7F else {
                throw ProxyProtocolError(.malformedLine, "a control or non-ASCII byte (0x\(String(byte, radix: 16))) in the v1 line")
            }
        }
        guard let lineEnd else {
            if view.count >= v1MaximumLength {
                throw ProxyProtocolError(.lineTooLong, "no CR LF within the first \(v1MaximumLength) bytes of the v1 line")
            }
            return nil
        }
        let text = String(decoding: view.prefix(lineEnd), as: UTF8.self)
        let header = try parseV1Line(text)
        buffer.moveReaderIndex(forwardBy: lineEnd + 2)
        return header
    }

    /// Parses `PROXY TCP4 a b p q` without its CR LF.
    static func parseV1Line(_ text: String) throws(ProxyProtocolError) -> ProxyProtocolHeader {
        let fields = text.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count >= 2, fields[0] == "PROXY" else {
            throw ProxyProtocolError(.malformedLine, "a v1 line must start with 'PROXY ' and name a protocol")
        }
        switch fields[1] {
        case "UNKNOWN":
            // Anything may follow UNKNOWN; the receiver ignores it.
            return ProxyProtocolHeader(source: nil, destination: nil)
        case "TCP4", "TCP6":
            let family: AddressFamily = fields[1] == "TCP4" ? .inet : .inet6
            guard fields.count == 6 else {
                throw ProxyProtocolError(.malformedLine, "a \(fields[1]) line needs exactly: source address, destination address, source port, destination port, single-spaced")
            }
            let source = try v1Address(fields[2], family, "source")
            let destination = try v1Address(fields[3], family, "destination")
            let sourcePort = try v1Port(fields[4], "source")
            let destinationPort = try v1Port(fields[5], "destination")
            return ProxyProtocolHeader(source: Endpoint(source, sourcePort), destination: Endpoint(destination, destinationPort))
        default:
            let shown = fields[1].prefix(16)
            throw ProxyProtocolError(.malformedLine, "unknown v1 protocol '\(shown)' (expected TCP4, TCP6 or UNKNOWN)")
        }
    }

    static func v1Address(_ text: Substring, _ family: AddressFamily, _ what: String) throws(ProxyProtocolError) -> IPAddress {
        guard let address = IPAddress(text), address.family == family else {
            throw ProxyProtocolError(.malformedLine, "the \(what) address '\(text.prefix(45))' is not an \(family == .inet ? "IPv4" : "IPv6") address")
        }
        return address
    }

    static func v1Port(_ text: Substring, _ what: String) throws(ProxyProtocolError) -> UInt16 {
        // Decimal 0-65535, without leading zeroes (spec 2.1).
        guard !text.isEmpty, text.count <= 5, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              text == "0" || !text.hasPrefix("0"), let port = UInt16(text) else {
            throw ProxyProtocolError(.malformedLine, "the \(what) port '\(text.prefix(8))' is not a number 0-65535")
        }
        return port
    }

    // MARK: Version 2

    static func parseV2(_ buffer: inout ByteBuffer, maximumLength: Int) throws(ProxyProtocolError) -> ProxyProtocolHeader? {
        let view = buffer.readableBytesView
        for (offset, byte) in view.prefix(v2Signature.count).enumerated() where byte != v2Signature[offset] {
            throw ProxyProtocolError(.notProxyProtocol, "the connection does not start with a PROXY header (bad v2 signature)")
        }
        guard view.count >= 16 else { return nil }
        let start = buffer.readerIndex
        let versionCommand = buffer.getInteger(at: start + 12, as: UInt8.self)!
        let familyProtocol = buffer.getInteger(at: start + 13, as: UInt8.self)!
        let length = Int(buffer.getInteger(at: start + 14, as: UInt16.self)!)
        guard versionCommand >> 4 == 2 else {
            throw ProxyProtocolError(.malformedBinary, "unsupported v2 version \(versionCommand >> 4)")
        }
        let command = versionCommand & 0x0F
        guard command <= 1 else { throw ProxyProtocolError(.malformedBinary, "unknown v2 command \(command)") }
        let family = familyProtocol >> 4
        let proto = familyProtocol & 0x0F
        guard family <= 3 else { throw ProxyProtocolError(.malformedBinary, "unknown v2 address family \(family)") }
        guard proto <= 2 else { throw ProxyProtocolError(.malformedBinary, "unknown v2 transport protocol \(proto)") }
        guard 16 + length <= maximumLength else {
            throw ProxyProtocolError(.headerTooLong, "the v2 header is \(16 + length) bytes, more than the \(maximumLength) allowed")
        }
        let needed = family == 1 ? 12 : family == 2 ? 36 : family == 3 ? 216 : 0
        if command == 1 && length < needed {
            throw ProxyProtocolError(.malformedBinary, "a v2 address block of \(length) bytes is too short for its family (\(needed) needed)")
        }
        guard view.count >= 16 + length else { return nil }

        var header = ProxyProtocolHeader(source: nil, destination: nil, transport: proto == 2 ? .datagram : .stream)
        if command == 1 && proto != 0 {
            let a = start + 16
            switch family {
            case 1:
                let s = buffer.getInteger(at: a, as: UInt32.self)!
                let d = buffer.getInteger(at: a + 4, as: UInt32.self)!
                let sp = buffer.getInteger(at: a + 8, as: UInt16.self)!
                let dp = buffer.getInteger(at: a + 10, as: UInt16.self)!
                header.source = Endpoint(.v4(s), sp)
                header.destination = Endpoint(.v4(d), dp)
            case 2:
                let sh = buffer.getInteger(at: a, as: UInt64.self)!
                let sl = buffer.getInteger(at: a + 8, as: UInt64.self)!
                let dh = buffer.getInteger(at: a + 16, as: UInt64.self)!
                let dl = buffer.getInteger(at: a + 24, as: UInt64.self)!
                let sp = buffer.getInteger(at: a + 32, as: UInt16.self)!
                let dp = buffer.getInteger(at: a + 34, as: UInt16.self)!
                header.source = Endpoint(.v6(sh, sl), sp)
                header.destination = Endpoint(.v6(dh, dl), dp)
            default:
                // AF_UNSPEC or AF_UNIX: nothing this proxy can use; the connection's own addresses stay.
                break
            }
        }
        // LOCAL (health checks from the proxy itself), unspecified transport and any TLVs: skipped.
        buffer.moveReaderIndex(forwardBy: 16 + length)
        return header
    }
}
