import DirectorIPVS

/// Replies from the kernel's IPVS family: `NetlinkMessage.split` on a datagram, then every decoder of
/// `IPVSReplyDecoder` on each message's generic netlink body (service, real server under both families,
/// info, timeouts, sync daemon) and the error code of each. None may trap, whatever the bytes; a split
/// message re-encodes to the bytes it was cut from (up to the 4-byte padding the datagram may omit at its end).
enum IPVSNetlinkTarget {
    static func run(_ data: [UInt8]) {
        guard let messages = try? NetlinkMessage.split(data) else { return }
        var offset = 0
        for message in messages {
            let bytes = message.bytes
            let unpadded = 16 + message.payload.count
            invariant(bytes.count >= unpadded && offset + unpadded <= data.count && Array(data[offset..<(offset + unpadded)]) == Array(bytes.prefix(unpadded)),
                      "a split message does not re-encode to its bytes")
            offset += min(bytes.count, data.count - offset)
            _ = try? message.errorCode()
            guard let body = try? GenericNetlinkBody(message.payload, context: "fuzz") else { continue }
            _ = try? IPVSReplyDecoder.service(body)
            _ = try? IPVSReplyDecoder.dest(body, serviceFamily: .inet)
            _ = try? IPVSReplyDecoder.dest(body, serviceFamily: .inet6)
            _ = try? IPVSReplyDecoder.info(body)
            _ = try? IPVSReplyDecoder.timeouts(body)
            _ = try? IPVSReplyDecoder.daemon(body)
        }
    }
}
