/// One netlink message (struct nlmsghdr and its payload), framed and split without trusting a length.
public struct NetlinkMessage: Hashable, Sendable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var portID: UInt32
    public var payload: [UInt8]

    public init(type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32, payload: [UInt8]) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
        self.payload = payload
    }

    /// The message as it goes on the socket: header (length, type, flags, seq, pid; host order) and payload.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(NetlinkConstant.messageHeaderLength + payload.count)
        out += NetlinkAttributeWriter.host(UInt32(NetlinkConstant.messageHeaderLength + payload.count))
        out += NetlinkAttributeWriter.host(type)
        out += NetlinkAttributeWriter.host(flags)
        out += NetlinkAttributeWriter.host(sequence)
        out += NetlinkAttributeWriter.host(portID)
        out += payload
        while out.count % 4 != 0 { out.append(0) }
        return out
    }

    /// Splits one received datagram into its messages (NLMSG_ALIGN between them).
    public static func split(_ datagram: some Collection<UInt8>) throws(NetlinkParseError) -> [NetlinkMessage] {
        let data = Array(datagram)
        var messages: [NetlinkMessage] = []
        var offset = 0
        while offset + NetlinkConstant.messageHeaderLength <= data.count {
            func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(data[at + $1]) << (8 * $1) } }
            func u16(_ at: Int) -> UInt16 { UInt16(data[at]) | UInt16(data[at + 1]) << 8 }
            let length = Int(u32(offset))
            guard length >= NetlinkConstant.messageHeaderLength, length <= data.count - offset else {
                throw NetlinkParseError(context: "netlink message at offset \(offset)", "length \(length) does not fit the \(data.count - offset) bytes left")
            }
            messages.append(NetlinkMessage(type: u16(offset + 4), flags: u16(offset + 6), sequence: u32(offset + 8), portID: u32(offset + 12),
                                           payload: Array(data[(offset + NetlinkConstant.messageHeaderLength)..<(offset + length)])))
            offset += min((length + 3) & ~3, data.count - offset)
        }
        if offset < data.count {
            throw NetlinkParseError(context: "netlink datagram", "\(data.count - offset) trailing bytes after the last message")
        }
        return messages
    }

    /// For NLMSG_ERROR (and a NLMSG_DONE that carries one): the negative errno, 0 for an acknowledgement.
    public func errorCode() throws(NetlinkParseError) -> Int32 {
        guard payload.count >= 4 else {
            if type == NetlinkConstant.messageDone { return 0 }
            throw NetlinkParseError(context: "netlink error message", "\(payload.count) bytes, no error code")
        }
        let raw = UInt32(payload[0]) | UInt32(payload[1]) << 8 | UInt32(payload[2]) << 16 | UInt32(payload[3]) << 24
        return Int32(bitPattern: raw)
    }
}

/// A generic netlink message body: struct genlmsghdr (command, version, reserved) and the attributes.
public struct GenericNetlinkBody: Hashable, Sendable {
    public var command: UInt8
    public var version: UInt8
    public var attributes: NetlinkAttributes

    /// The body of a message from the kernel.
    public init(_ payload: [UInt8], context: String) throws(NetlinkParseError) {
        guard payload.count >= NetlinkConstant.genericHeaderLength else {
            throw NetlinkParseError(context: context, "\(payload.count) bytes, shorter than a generic netlink header")
        }
        command = payload[0]
        version = payload[1]
        attributes = try NetlinkAttributes(payload[NetlinkConstant.genericHeaderLength...], context: context)
    }

    /// The bytes of a request body: genlmsghdr then the attributes already written.
    public static func bytes(command: UInt8, version: UInt8, attributes: NetlinkAttributeWriter) -> [UInt8] {
        [command, version, 0, 0] + attributes.bytes
    }
}
