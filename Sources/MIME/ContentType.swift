/// A Content-Type (RFC 2045 §5): type and subtype as written, and parameters; absent means text/plain.
public struct ContentType: Hashable, Sendable {
    /// As written (BODYSTRUCTURE keeps the case); compare with ``isType(_:_:)``.
    public var type: HeaderText
    public var subtype: HeaderText
    public var parameters: [MIMEParameter]
    /// False when the header had no Content-Type and this is the default.
    public var isExplicit: Bool

    public init(type: HeaderText, subtype: HeaderText, parameters: [MIMEParameter] = [], isExplicit: Bool = true) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
        self.isExplicit = isExplicit
    }

    /// RFC 2045's default: text/plain (BODYSTRUCTURE adds charset us-ascii when no charset is given).
    public static let textPlain = ContentType(type: "text", subtype: "plain", isExplicit: false)

    /// The default inside a multipart/digest: message/rfc822.
    public static let messageRFC822 = ContentType(type: "message", subtype: "rfc822", isExplicit: false)

    /// Parses a Content-Type value as Dovecot 2.3 does: `type` alone is (type, "") without parameters; anything
    /// else that is not `type/subtype` (both non-empty) followed by the end or ";" (an unclosed comment counts as
    /// broken) is ("", "") without parameters.
    public init(parsing value: some Collection<UInt8>) {
        var cursor = ByteCursor(value)
        self.init(type: "", subtype: "")
        cursor.skipCFWS()
        guard !cursor.isAtEnd else { return }
        let type = cursor.token()
        guard !type.isEmpty else { return }
        cursor.skipCFWS()
        if cursor.isAtEnd {
            self.type = HeaderText(type)
            return
        }
        guard cursor.take(UInt8(ascii: "/")) else { return }
        cursor.skipCFWS()
        guard !cursor.isAtEnd else { return }
        let subtype = cursor.token()
        cursor.skipCFWS()
        guard !subtype.isEmpty, !cursor.sawUnterminatedComment, cursor.isAtEnd || cursor.current == UInt8(ascii: ";")
        else { return }
        self.init(type: HeaderText(type), subtype: HeaderText(subtype), parameters: .parse(&cursor))
    }

    /// True when type and subtype are these, ignoring case; a nil subtype matches any.
    public func isType(_ type: String, _ subtype: String? = nil) -> Bool {
        self.type.equalsIgnoringCase(type) && (subtype.map { self.subtype.equalsIgnoringCase($0) } ?? true)
    }

    public var isMultipart: Bool { isType("multipart") }
    public var isMessageRFC822: Bool { isType("message", "rfc822") }
    public var isText: Bool { isType("text") }

    /// The multipart boundary, when there is a non-empty one.
    public var boundary: [UInt8]? {
        guard let parameter = parameters.first(where: { $0.baseName.equalsIgnoringCase("boundary") }) else { return nil }
        let value = parameter.isExtended ? Array(parameter.decodedValue.utf8) : parameter.value.bytes
        return value.isEmpty ? nil : value
    }

    /// The charset parameter, decoded.
    public var charset: String? { parameters.value(named: "charset") }
}

/// A Content-Disposition (RFC 2183): its type as written (`inline`, `attachment`) and parameters.
public struct ContentDisposition: Hashable, Sendable {
    public var type: HeaderText
    public var parameters: [MIMEParameter]

    public init(type: HeaderText, parameters: [MIMEParameter] = []) {
        self.type = type
        self.parameters = parameters
    }

    /// Parses a Content-Disposition value leniently: a missing type is empty, never an error.
    public init(parsing value: some Collection<UInt8>) {
        var cursor = ByteCursor(value)
        cursor.skipCFWS()
        let type = cursor.token()
        cursor.skipCFWS()
        self.init(type: HeaderText(type), parameters: .parse(&cursor))
    }

    /// The disposition a header gives, as Dovecot picks it: fields in order replace the disposition as long as
    /// the one kept so far has no parameters.
    public static func from(_ header: MessageHeader) -> ContentDisposition? {
        var result: ContentDisposition?
        for field in header.fields(named: "Content-Disposition") where result?.parameters.isEmpty ?? true {
            result = ContentDisposition(parsing: header.rawValue(of: field))
        }
        return result
    }

    /// The filename parameter (RFC 2231 decoded), if any.
    public var filename: String? { parameters.value(named: "filename") }
}
