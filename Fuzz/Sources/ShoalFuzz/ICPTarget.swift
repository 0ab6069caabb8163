import ICP

/// RFC 2186 ICP datagrams: `ICPMessage(decoding:)` never traps, and a message that decodes encodes to bytes
/// that decode back to it (bytes after the URL's NUL may be dropped). The server's `ICPQueryAnswerer` never
/// traps either, and whatever it answers is itself a well-formed message.
enum ICPTarget {
    static func run(_ data: [UInt8]) {
        _ = try? ICPMessage.Header(data)
        let outcome = ICPQueryAnswerer.handle(data, conditions: .init(allowed: data.count % 3 != 0, refusingFetches: data.count % 5 == 0)) { url in
            url.utf8.count % 2 == 0 ? .hit(object: Array(url.utf8)) : .miss
        }
        if case let .answer(reply, opcode, _) = outcome {
            let decoded = try? ICPMessage(decoding: reply)
            invariant(decoded?.opcode == opcode, "the answer does not decode to its opcode")
        }
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
