import ICP

/// RFC 2186 ICP datagrams: `ICPMessage(decoding:)` never traps, and a message that decodes encodes to bytes
/// that decode back to it (bytes after the URL's NUL may be dropped).
enum ICPTarget {
    static func run(_ data: [UInt8]) {
        _ = try? ICPMessage.Header(data)
        guard let message = try? ICPMessage(decoding: data) else { return }
        let encoded: [UInt8]
        do {
            encoded = try message.encoded()
        } catch {
            invariant(false, "a decoded message does not encode: \(error)")
            return
        }
        let again = try? ICPMessage(decoding: encoded)
        invariant(again == message, "a decoded message does not decode back from its encoding")
    }
}
