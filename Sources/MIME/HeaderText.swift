/// Text from a header exactly as written: its octets (8-bit ones kept, so IMAP can send them back unchanged) and,
/// for reading, a String (UTF-8 when valid, ISO-8859-1 otherwise).
public struct HeaderText: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(_ bytes: some Collection<UInt8>) { self.bytes = Array(bytes) }
    public init(_ string: String) { self.bytes = Array(string.utf8) }
    public init(stringLiteral value: String) { self.init(value) }

    /// The octets as text.
    public var string: String { MIMEText.string(bytes) }
    public var description: String { string }
    public var isEmpty: Bool { bytes.isEmpty }

    /// True when the text equals `other`, ignoring ASCII case.
    public func equalsIgnoringCase(_ other: String) -> Bool { MIMEText.equalsIgnoringCase(bytes, other.utf8) }
}
