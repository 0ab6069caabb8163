import Foundation

/// Header lookups on stored message text.
enum MailText {
    /// The first header `name` (unfolded, trimmed), or nil; headers end at the first empty line.
    static func header(_ name: String, in message: String) -> String? {
        headers(name, in: message).first
    }

    static func headers(_ name: String, in message: String) -> [String] {
        var found: [String] = []
        var current: String?
        let lower = name.lowercased() + ":"
        for rawLine in message.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            if line.isEmpty { break }
            if line.first == " " || line.first == "\t" {
                if current != nil { current! += " " + line.trimmingCharacters(in: .whitespaces) }
                continue
            }
            if let value = current { found.append(value) }
            current = nil
            if line.lowercased().hasPrefix(lower) {
                current = String(line.dropFirst(lower.count)).trimmingCharacters(in: .whitespaces)
            }
        }
        if let value = current { found.append(value) }
        return found
    }

    /// The header names in order (first line of each header field).
    static func headerNames(in message: String) -> [String] {
        var names: [String] = []
        for line in message.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            if line.first == " " || line.first == "\t" { continue }
            if let colon = line.firstIndex(of: ":") { names.append(String(line[..<colon])) }
        }
        return names
    }

    /// Everything after the first empty line, with LF line ends.
    static func body(of message: String) -> String {
        let text = message.replacingOccurrences(of: "\r\n", with: "\n")
        guard let range = text.range(of: "\n\n") else { return "" }
        return String(text[range.upperBound...])
    }

    /// A small RFC 5322 message with CRLF line ends.
    static func message(from: String, to: String, subject: String, body: String, extraHeaders: [String] = []) -> String {
        let lines = ["From: <\(from)>", "To: <\(to)>", "Subject: \(subject)",
                     "Message-ID: <\(UUID().uuidString)@client.test>"] + extraHeaders + [""]
            + body.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return lines.joined(separator: "\r\n")
    }
}
