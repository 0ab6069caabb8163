import MIME

/// Messages through the MIME parser and the IMAP renderers: never a trap, and every part's byte ranges lie
/// inside the message.
enum MIMETarget {
    static func run(_ data: [UInt8]) {
        let message = MIMEMessage.parse(data)
        for part in message.parts {
            invariant(part.headerRange.upperBound <= data.count && part.bodyRange.upperBound <= data.count,
                      "a part's range lies outside the message")
        }
        _ = message.bodyStructure(extended: true)
        _ = message.envelope.imapBytes
        for path in [[], [1], [1, 1], [2], [1, 2, 3]] {
            for text in [nil, MessageSection.Text.header, .text, .mime, .headerFields(["subject", "from"])] {
                _ = message.bytes(of: MessageSection(path: path, text: text))
            }
        }
    }
}
