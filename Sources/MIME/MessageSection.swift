/// An IMAP FETCH section (RFC 3501 §6.4.5): a part path (`1.2`, empty for the whole message) and what of it.
public struct MessageSection: Hashable, Sendable {
    /// What a section names inside its part.
    public enum Text: Hashable, Sendable {
        /// The header of the message (or of the encapsulated message of a message/rfc822 part).
        case header
        /// Only these header fields (HEADER.FIELDS), followed by the empty line.
        case headerFields([String])
        /// All header fields but these (HEADER.FIELDS.NOT), followed by the empty line.
        case headerFieldsNot([String])
        /// The body of the message (or of the encapsulated message).
        case text
        /// The MIME header of a body part (never of the whole message).
        case mime
    }

    /// 1-based part numbers; empty for the whole message.
    public var path: [Int]
    /// Nil for the part's whole content (`BODY[1.2]`, or the whole message for `BODY[]`).
    public var text: Text?

    public init(path: [Int] = [], text: Text? = nil) {
        self.path = path
        self.text = text
    }

    /// Parses section text such as `1.2.HEADER.FIELDS (Subject From)`, `TEXT`, `3.MIME` or the empty string;
    /// nil when it is not a section.
    public init?(parsing text: String) {
        var path: [Int] = []
        var rest = Substring(text)
        while let first = rest.first, first.isNumber {
            let digits = rest.prefix { $0.isNumber }
            guard let number = Int(digits), number > 0 else { return nil }
            path.append(number)
            rest = rest.dropFirst(digits.count)
            if rest.first == "." { rest = rest.dropFirst() } else { break }
        }
        let upper = rest.uppercased()
        func names(after keyword: String) -> [String]? {
            let list = rest.dropFirst(keyword.count).drop { $0 == " " }
            guard list.first == "(", list.last == ")" else { return nil }
            return list.dropFirst().dropLast().split(separator: " ").map { $0.trimmingQuotes() }
        }
        switch upper {
        case "": self.init(path: path)
        case "HEADER": self.init(path: path, text: .header)
        case "TEXT": self.init(path: path, text: .text)
        case "MIME" where !path.isEmpty: self.init(path: path, text: .mime)
        case _ where upper.hasPrefix("HEADER.FIELDS.NOT"):
            guard let list = names(after: "HEADER.FIELDS.NOT") else { return nil }
            self.init(path: path, text: .headerFieldsNot(list))
        case _ where upper.hasPrefix("HEADER.FIELDS"):
            guard let list = names(after: "HEADER.FIELDS") else { return nil }
            self.init(path: path, text: .headerFields(list))
        default: return nil
        }
    }
}

extension Substring {
    fileprivate func trimmingQuotes() -> String {
        count >= 2 && first == "\"" && last == "\"" ? String(dropFirst().dropLast()) : String(self)
    }
}
