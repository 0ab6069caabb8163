import MIME

/// The searchable text of a message: decoded Subject, From, To, Cc and every text part, lowercased.
struct MIMEMessageText {
    let haystack: String

    init(_ bytes: [UInt8]) {
        let message = MIMEMessage.parse(bytes)
        var text = ""
        for name in ["Subject", "From", "To", "Cc"] { text += message.decodedHeaderValue(name).joined(separator: " ") + "\n" }
        for index in message.parts.indices {
            if let body = message.decodedText(ofPart: index) { text += body + "\n" }
        }
        haystack = text.lowercased()
    }
}
