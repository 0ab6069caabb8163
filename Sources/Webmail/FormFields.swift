/// The fields of an `application/x-www-form-urlencoded` body or a query string, with limits checked while
/// parsing: a field over its length, too many fields or a malformed escape is an error, never a truncation.
public struct FormFields: Hashable, Sendable {
    /// Limits of one form.
    public struct Limits: Hashable, Sendable {
        /// The most fields.
        public var maximumFields: Int
        /// The most bytes of one name.
        public var maximumNameBytes: Int
        /// The most bytes of one value (after decoding), unless ``longFields`` names the field.
        public var maximumValueBytes: Int
        /// Fields allowed up to ``maximumLongValueBytes`` (a message body).
        public var longFields: Set<String>
        public var maximumLongValueBytes: Int

        public init(maximumFields: Int = 64, maximumNameBytes: Int = 64, maximumValueBytes: Int = 1024,
                    longFields: Set<String> = [], maximumLongValueBytes: Int = 512 * 1024) {
            self.maximumFields = maximumFields
            self.maximumNameBytes = maximumNameBytes
            self.maximumValueBytes = maximumValueBytes
            self.longFields = longFields
            self.maximumLongValueBytes = maximumLongValueBytes
        }
    }

    /// Why a form was refused.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case tooManyFields(Int)
        case nameTooLong(String)
        case valueTooLong(field: String, limit: Int)
        case badEscape(field: String)
        case notUTF8(field: String)

        public var description: String {
            switch self {
            case let .tooManyFields(limit): "more than \(limit) fields"
            case let .nameTooLong(prefix): "a field name is too long (\(prefix)...)"
            case let .valueTooLong(field, limit): "field \(field) is longer than \(limit) bytes"
            case let .badEscape(field): "field \(field) has a malformed %-escape"
            case let .notUTF8(field): "field \(field) is not UTF-8"
            }
        }
    }

    /// Every field in order (a name may repeat).
    public var pairs: [(name: String, value: String)] { storage.map { ($0.name, $0.value) } }
    private var storage: [Pair]

    private struct Pair: Hashable, Sendable {
        var name: String
        var value: String
        init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    public init(_ pairs: [(String, String)] = []) {
        storage = pairs.map { Pair($0.0, $0.1) }
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? { storage.first { $0.name == name }?.value }

    /// Every value of `name`.
    public func all(_ name: String) -> [String] { storage.filter { $0.name == name }.map(\.value) }

    /// Parses `name=value&...` (`+` is a space, `%XX` a byte; the bytes must be UTF-8).
    public static func parse(_ bytes: some Collection<UInt8>, limits: Limits = Limits()) throws(ParseError) -> FormFields {
        var fields = FormFields()
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            let piece = bytes[start..<end]
            start = end < bytes.endIndex ? bytes.index(after: end) : end
            if piece.isEmpty { continue }
            guard fields.storage.count < limits.maximumFields else { throw .tooManyFields(limits.maximumFields) }
            let equals = piece.firstIndex(of: UInt8(ascii: "="))
            let rawName = piece[piece.startIndex..<(equals ?? piece.endIndex)]
            let rawValue = equals.map { piece[piece.index(after: $0)...] } ?? piece[piece.endIndex...]
            guard rawName.count <= limits.maximumNameBytes * 3 else { throw .nameTooLong(String(decoding: rawName.prefix(16), as: UTF8.self)) }
            let name = try decode(rawName, field: "?")
            guard name.utf8.count <= limits.maximumNameBytes else { throw .nameTooLong(String(name.prefix(16))) }
            let limit = limits.longFields.contains(name) ? limits.maximumLongValueBytes : limits.maximumValueBytes
            guard rawValue.count <= limit * 3 else { throw .valueTooLong(field: name, limit: limit) }
            let value = try decode(rawValue, field: name)
            guard value.utf8.count <= limit else { throw .valueTooLong(field: name, limit: limit) }
            fields.storage.append(Pair(name, value))
        }
        return fields
    }

    /// The query string of a request target (after `?`), parsed; empty when it has none or it is malformed.
    public static func query(of target: String, limits: Limits = Limits()) -> FormFields {
        guard let mark = target.firstIndex(of: "?") else { return FormFields() }
        return (try? parse(Array(target.utf8[target.utf8.index(after: mark)...]), limits: limits)) ?? FormFields()
    }

    private static func decode(_ raw: some Collection<UInt8>, field: String) throws(ParseError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var i = raw.startIndex
        while i < raw.endIndex {
            let c = raw[i]
            if c == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if c == UInt8(ascii: "%") {
                let h = raw.index(after: i)
                guard h < raw.endIndex, raw.index(after: h) < raw.endIndex,
                      let high = hex(raw[h]), let low = hex(raw[raw.index(after: h)]) else { throw .badEscape(field: field) }
                bytes.append(high << 4 | low)
                i = raw.index(after: h)
            } else {
                bytes.append(c)
            }
            i = raw.index(after: i)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notUTF8(field: field) }
        return text
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }

    /// `text` escaped for a query string or form value.
    public static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(digits[Int(byte >> 4)])
                out.unicodeScalars.append(digits[Int(byte & 15)])
            }
        }
        return out
    }
}
