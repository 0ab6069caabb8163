/// One header field of a message or a MIME part, located in its header's bytes.
public struct HeaderField: Hashable, Sendable {
    /// The field name as written (compare it with ``matches(_:)``, which ignores case).
    public var name: String
    /// The whole field in the header's bytes: name, colon, value, continuation lines and the line break ending it.
    public var range: Range<Int>
    /// The value: after the colon and its leading whitespace, up to the field's last line break (folds kept).
    public var valueRange: Range<Int>

    public init(name: String, range: Range<Int>, valueRange: Range<Int>) {
        self.name = name
        self.range = range
        self.valueRange = valueRange
    }

    /// True when the field's name is `name`, ignoring ASCII case.
    public func matches(_ name: String) -> Bool {
        MIMEText.equalsIgnoringCase(self.name.utf8, name.utf8)
    }
}
