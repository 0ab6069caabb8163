/// One ICP v2 message (RFC 2186): the 20-octet header and the opcode's payload, as plain values.
///
/// Header, all in network order: opcode (8 bits), version (8, always 2), message length (16, the whole
/// message), request number (32), options (32), option data (32), sender host address (32). The payload is
/// a NUL-terminated URL, preceded by the requester's IPv4 address for ICP_OP_QUERY and followed by a
/// 16-bit object length and the object for ICP_OP_HIT_OBJ.
public struct ICPMessage: Hashable, Sendable {
    /// The only version RFC 2186 defines (version 3 was Harvest's and is refused).
    public static let version: UInt8 = 2
    public static let headerLength = 20
    /// RFC 2186 caps a message at 16 KiB.
    public static let maximumLength = 16_384

    public var opcode: ICPOpcode
    public var requestNumber: UInt32
    public var options: ICPOptions
    public var optionData: UInt32
    /// Sender host address as an IPv4 address in host order (usually 0; receivers ignore it).
    public var senderAddress: UInt32
    /// ICP_OP_QUERY only: the requester's IPv4 address in host order (usually 0).
    public var requesterAddress: UInt32
    /// The URL, without its terminating NUL.
    public var url: String
    /// ICP_OP_HIT_OBJ only: the object's bytes.
    public var object: [UInt8]

    public init(opcode: ICPOpcode, requestNumber: UInt32, url: String, options: ICPOptions = [], optionData: UInt32 = 0,
                senderAddress: UInt32 = 0, requesterAddress: UInt32 = 0, object: [UInt8] = []) {
        self.opcode = opcode
        self.requestNumber = requestNumber
        self.url = url
        self.options = options
        self.optionData = optionData
        self.senderAddress = senderAddress
        self.requesterAddress = requesterAddress
        self.object = object
    }
}

/// Why bytes are not an ICP v2 message; the description is fit for a log line.
public enum ICPDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the 20-octet header.
    case shorterThanHeader(Int)
    case unsupportedVersion(UInt8)
    /// The header's length field disagrees with the datagram's size.
    case lengthMismatch(field: Int, datagram: Int)
    /// Over RFC 2186's 16 KiB.
    case tooLong(Int)
    case unknownOpcode(UInt8)
    /// The payload is too short for what the opcode needs (the query's requester address, HIT_OBJ's length).
    case truncatedPayload(ICPOpcode)
    /// No NUL ends the URL.
    case unterminatedURL
    case invalidURL
    /// HIT_OBJ's object length disagrees with the bytes after it.
    case objectLengthMismatch(field: Int, available: Int)

    public var description: String {
        switch self {
        case let .shorterThanHeader(n): return "\(n) bytes, shorter than the header"
        case let .unsupportedVersion(v): return "version \(v)"
        case let .lengthMismatch(field, datagram): return "length field \(field), datagram \(datagram) bytes"
        case let .tooLong(n): return "\(n) bytes, over \(ICPMessage.maximumLength)"
        case let .unknownOpcode(o): return "unknown opcode \(o)"
        case let .truncatedPayload(o): return "payload too short for opcode \(o.rawValue)"
        case .unterminatedURL: return "URL without its NUL"
        case .invalidURL: return "URL not UTF-8"
        case let .objectLengthMismatch(field, available): return "object length field \(field), \(available) bytes follow"
        }
    }
}

/// Why a message cannot be encoded.
public enum ICPEncodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A NUL inside the URL would end it early.
    case nulInURL
    /// The encoded message would exceed 16 KiB (or the object 65535 bytes).
    case tooLong(Int)

    public var description: String {
        switch self {
        case .nulInURL: return "the URL contains a NUL"
        case let .tooLong(n): return "the message would be \(n) bytes, over \(ICPMessage.maximumLength)"
        }
    }
}
