/// One token of an HTML document as the sanitizer sees it (comments, doctypes and processing instructions are
/// dropped by the tokenizer and never appear).
public enum HTMLToken: Hashable, Sendable {
    /// `<name attr=value ...>`; names lowercased, attribute values with character references decoded.
    case startTag(name: String, attributes: [HTMLAttribute], selfClosing: Bool)
    /// `</name>`, name lowercased.
    case endTag(name: String)
    /// Text with character references decoded.
    case text(String)
}

/// One attribute of a start tag: the name lowercased, the value decoded (empty when the attribute had none).
public struct HTMLAttribute: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
