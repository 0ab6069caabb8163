/// A Content-Type (RFC 2045 §5): type and subtype as written, and parameters; absent or unparsable means text/plain.
public struct ContentType: Hashable, Sendable {
    /// As written (BODYSTRUCTURE keeps the case); compare with ``isType(_:_:)``.
    public var type: String
    public var subtype: String
    public var parameters: [MIMEParameter]
    /// False when the header had no Content-Type (or an unparsable one) and this is the default.
    public var isExplicit: Bool

    public init(type: String, subtype: String, parameters: [MIMEParameter] = [], isExplicit: Bool = true) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
        self.isExplicit = isExplicit
    }

    /// RFC 2045's default: text/plain (BODYSTRUCTURE adds charset us-ascii when no charset is given).
    public static let textPlain = ContentType(type: "text", subtype: "plain", isExplicit: false)

    /// The default inside a multipart/digest: message/rfc822.
    public static let messageRFC822 = ContentType(type: "message", subtype: "rfc822", isExplicit: false)

    /// Parses a Content-Type value leniently, as Dovecot does: a missing subtype (or type) is empty, never an error.
    public init(parsing value: some Collection<UInt8>) {
        var cursor = ByteCursor(value)
        cursor.skipCFWS()
        let type = cursor.token()
        cursor.skipCFWS()
        var subtype: [UInt8] = []
        if cursor.take(UInt8(ascii: "/")) {
            cursor.skipCFWS()
            subtype = cursor.token()
        }
        self.init(type: MIMEText.string(type), subtype: MIMEText.string(subtype), parameters: .parse(&cursor))
    }

    /// True when type and subtype are these, ignoring case; a nil subtype matches any.
    public func isType(_ type: String, _ subtype: String? = nil) -> Bool {
        MIMEText.equalsIgnoringCase(self.type.utf8, type.utf8)
            && (subtype.map { MIMEText.equalsIgnoringCase(self.subtype.utf8, $0.utf8) } ?? true)
    }

    public var isMultipart: Bool { isType("multipart") }
    public var isMessageRFC822: Bool { isType("message", "rfc822") }
    public var isText: Bool { isType("text") }

    /// The multipart boundary, when there is a non-empty one.
    public var boundary: String? {
        guard let value = parameters.value(named: "boundary"), !value.isEmpty else { return nil }
        return value
    }

    /// The charset parameter, decoded.
    public var charset: String? { parameters.value(named: "charset") }
}

/// A Content-Disposition (RFC 2183): its type as written (`inline`, `attachment`) and parameters.
public struct ContentDisposition: Hashable, Sendable {
    public var type: String
    public var parameters: [MIMEParameter]

    public init(type: String, parameters: [MIMEParameter] = []) {
        self.type = type
        self.parameters = parameters
    }

    /// Parses a Content-Disposition value leniently: a missing type is empty, never an error.
    public init(parsing value: some Collection<UInt8>) {
        var cursor = ByteCursor(value)
        cursor.skipCFWS()
        let type = cursor.token()
        self.init(type: MIMEText.string(type), parameters: .parse(&cursor))
    }

    /// The filename parameter (RFC 2231 decoded), if any.
    public var filename: String? { parameters.value(named: "filename") }
}
