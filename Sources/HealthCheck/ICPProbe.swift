/// The ICP v2 probe of an ICP check (RFC 2186) as pure bytes: a SECHO request and the judgement of a reply.
///
/// Every ICP message starts with a 20-octet header: opcode, version (2), message length (16 bits, the
/// whole message), request number (32 bits), options, option data and sender host address (32 bits each),
/// all in network order; the SECHO payload is a NUL-terminated URL.
public struct ICPProbe: Hashable, Sendable {
    /// RFC 2186 opcodes.
    public enum Opcode: UInt8, Sendable {
        case invalid = 0, query = 1, hit = 2, miss = 3, err = 4
        case secho = 10, decho = 11
        case missNoFetch = 21, denied = 22, hitObj = 23
    }

    public static let version: UInt8 = 2
    public static let headerLength = 20
    /// RFC 2186 caps a message at 16 KiB.
    public static let maximumLength = 16_384

    public var requestNumber: UInt32
    public var url: String

    public init(requestNumber: UInt32, url: String) {
        self.requestNumber = requestNumber
        self.url = url
    }

    /// The ICP_OP_SECHO request.
    public var request: [UInt8] {
        var payload = Array(url.utf8)
        payload.append(0)
        var bytes: [UInt8] = [Opcode.secho.rawValue, Self.version]
        Self.append(UInt16(Self.headerLength + payload.count), to: &bytes)
        Self.append(requestNumber, to: &bytes)
        Self.append(UInt32(0), to: &bytes)  // options
        Self.append(UInt32(0), to: &bytes)  // option data
        Self.append(UInt32(0), to: &bytes)  // sender host address
        return bytes + payload
    }

    /// The verdict for a datagram from the probed server; nil when it answers another (older) request.
    public func judge(_ datagram: [UInt8]) -> Verdict? {
        guard datagram.count >= Self.headerLength else {
            return .down("malformed ICP reply (\(datagram.count) bytes, shorter than the header)")
        }
        guard datagram[1] == Self.version else { return .down("malformed ICP reply (version \(datagram[1]))") }
        let length = Int(datagram[2]) << 8 | Int(datagram[3])
        guard length == datagram.count else {
            return .down("malformed ICP reply (length field \(length), datagram \(datagram.count) bytes)")
        }
        let number = datagram[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard number == requestNumber else { return nil }
        switch Opcode(rawValue: datagram[0]) {
        case .hit?, .miss?, .secho?, .decho?, .missNoFetch?, .denied?, .hitObj?:
            return .up("ICP reply opcode \(datagram[0])")
        case .err?:
            return .down("ICP_OP_ERR")
        default:
            return .down("malformed ICP reply (opcode \(datagram[0]) is not a reply)")
        }
    }

    static func append(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
                  UInt8(truncatingIfNeeded: value)]
    }
}
