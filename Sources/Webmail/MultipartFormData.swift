/// A `multipart/form-data` body (RFC 7578, framing of RFC 2046 §5.1.1): the text fields as ``FormFields`` and the
/// uploaded files. Every limit is checked before bytes are copied — parts, part-header bytes, field names and values
/// (``FormFields/Limits``), files, bytes per file and in all — and a violation is an error, never a truncation.
/// One pass, linear in the body (a boundary holds no CR, so a delimiter search never re-reads bytes); never traps.
public struct MultipartFormData: Hashable, Sendable {
    /// Limits of one body.
    public struct Limits: Hashable, Sendable {
        /// Parts of any kind (fields and files).
        public var maximumParts: Int
        /// Bytes of one part's header lines together.
        public var maximumPartHeaderBytes: Int
        /// Files with content.
        public var maximumFiles: Int
        public var maximumFileBytes: Int
        public var maximumTotalFileBytes: Int
        /// Names, values and the number of text fields.
        public var fields: FormFields.Limits

        public init(maximumParts: Int = 64, maximumPartHeaderBytes: Int = 2048, maximumFiles: Int = 10,
                    maximumFileBytes: Int = 10 * 1024 * 1024, maximumTotalFileBytes: Int = 15 * 1024 * 1024,
                    fields: FormFields.Limits = FormFields.Limits()) {
            self.maximumParts = maximumParts
            self.maximumPartHeaderBytes = maximumPartHeaderBytes
            self.maximumFiles = maximumFiles
            self.maximumFileBytes = maximumFileBytes
            self.maximumTotalFileBytes = maximumTotalFileBytes
            self.fields = fields
        }
    }

    /// An uploaded file: the form field, the file's base name as the browser sent it (no path), its media type
    /// (`application/octet-stream` unless a plain `type/subtype`) and its bytes.
    public struct File: Hashable, Sendable {
        public var field: String
        public var filename: String
        public var contentType: String
        public var bytes: [UInt8]

        public init(field: String, filename: String, contentType: String, bytes: [UInt8]) {
            self.field = field
            self.filename = filename
            self.contentType = contentType
            self.bytes = bytes
        }
    }

    /// Why a body was refused.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case notMultipart
        case badBoundary
        case noFirstDelimiter
        case unterminated
        case malformedDelimiter
        case malformedPartHeader
        case partHeaderTooLong(limit: Int)
        case notFormData
        case tooManyParts(Int)
        case tooManyFiles(Int)
        case fileTooLarge(filename: String, limit: Int)
        case filesTooLarge(limit: Int)
        case field(FormFields.ParseError)

        public var description: String {
            switch self {
            case .notMultipart: "not a multipart/form-data body"
            case .badBoundary: "the boundary is missing or not 1 to 70 allowed characters"
            case .noFirstDelimiter: "the body does not start with its boundary"
            case .unterminated: "the body ends inside a part"
            case .malformedDelimiter: "a boundary line is followed by something else"
            case .malformedPartHeader: "a part's header is malformed"
            case let .partHeaderTooLong(limit): "a part's header is longer than \(limit) bytes"
            case .notFormData: "a part has no Content-Disposition: form-data with a name"
            case let .tooManyParts(limit): "more than \(limit) parts"
            case let .tooManyFiles(limit): "more than \(limit) files"
            case let .fileTooLarge(filename, limit): "file \(filename) is larger than \(limit) bytes"
            case let .filesTooLarge(limit): "the files are larger than \(limit) bytes together"
            case let .field(error): error.description
            }
        }
    }

    public var fields: FormFields
    public var files: [File]

    public init(fields: FormFields = FormFields(), files: [File] = []) {
        self.fields = fields
        self.files = files
    }

    /// The boundary of a `Content-Type: multipart/form-data; boundary=...` value (token or quoted-string).
    public static func boundary(contentType: String) throws(ParseError) -> String {
        let pieces = HeaderParameters.split(contentType)
        guard let type = pieces.first, type.lowercased() == "multipart/form-data" else { throw .notMultipart }
        guard let boundary = HeaderParameters.value(of: "boundary", in: pieces.dropFirst()),
              (1...70).contains(boundary.utf8.count), boundary.utf8.allSatisfy(isBoundaryByte), boundary.utf8.last != UInt8(ascii: " ") else {
            throw .badBoundary
        }
        return boundary
    }

    /// Parses `body` framed by `boundary` (already checked by ``boundary(contentType:)``).
    public static func parse(_ body: [UInt8], boundary: String, limits: Limits = Limits()) throws(ParseError) -> MultipartFormData {
        guard (1...70).contains(boundary.utf8.count), boundary.utf8.allSatisfy(isBoundaryByte) else { throw .badBoundary }
        let dashBoundary = Array("--\(boundary)".utf8)
        let delimiter = [13, 10] + dashBoundary
        // The first boundary line opens the body, or follows a preamble and its CRLF.
        var position: Int
        if body.starts(with: dashBoundary) {
            position = dashBoundary.count
        } else if let found = find(delimiter, in: body, from: 0) {
            position = found + delimiter.count
        } else {
            throw .noFirstDelimiter
        }
        var result = MultipartFormData()
        var fieldPairs: [(String, String)] = []
        var parts = 0, totalFileBytes = 0
        while true {
            // After a boundary: "--" closes the body (an epilogue is ignored); else optional padding and CRLF.
            if position + 1 < body.count, body[position] == UInt8(ascii: "-"), body[position + 1] == UInt8(ascii: "-") { break }
            while position < body.count, body[position] == UInt8(ascii: " ") || body[position] == UInt8(ascii: "\t") { position += 1 }
            guard position + 1 < body.count else { throw .unterminated }
            guard body[position] == 13, body[position + 1] == 10 else { throw .malformedDelimiter }
            position += 2
            parts += 1
            guard parts <= limits.maximumParts else { throw .tooManyParts(limits.maximumParts) }

            let header = try partHeader(body, from: &position, limit: limits.maximumPartHeaderBytes)
            guard let end = find(delimiter, in: body, from: position) else { throw .unterminated }
            let content = position..<end
            position = end + delimiter.count

            if let filename = header.filename {
                // A file input left empty is sent as a part with an empty filename and no content.
                if filename.isEmpty && content.isEmpty { continue }
                guard result.files.count < limits.maximumFiles else { throw .tooManyFiles(limits.maximumFiles) }
                guard content.count <= limits.maximumFileBytes else { throw .fileTooLarge(filename: filename, limit: limits.maximumFileBytes) }
                totalFileBytes += content.count
                guard totalFileBytes <= limits.maximumTotalFileBytes else { throw .filesTooLarge(limit: limits.maximumTotalFileBytes) }
                result.files.append(File(field: header.name, filename: filename.isEmpty ? "attachment" : filename,
                                         contentType: header.contentType ?? "application/octet-stream", bytes: Array(body[content])))
            } else {
                let l = limits.fields
                guard fieldPairs.count < l.maximumFields else { throw .field(.tooManyFields(l.maximumFields)) }
                guard header.name.utf8.count <= l.maximumNameBytes else { throw .field(.nameTooLong(String(header.name.prefix(16)))) }
                let limit = l.longFields.contains(header.name) ? l.maximumLongValueBytes : l.maximumValueBytes
                guard content.count <= limit else { throw .field(.valueTooLong(field: header.name, limit: limit)) }
                guard let value = String(validating: body[content], as: UTF8.self) else { throw .field(.notUTF8(field: header.name)) }
                fieldPairs.append((header.name, value))
            }
        }
        result.fields = FormFields(fieldPairs)
        return result
    }

    // MARK: - Parts

    struct PartHeader {
        var name: String
        var filename: String?
        var contentType: String?
    }

    /// The header lines of one part up to its empty line; `position` ends at the content's first byte.
    static func partHeader(_ body: [UInt8], from position: inout Int, limit: Int) throws(ParseError) -> PartHeader {
        let start = position
        var disposition: [Substring]?
        var contentType: String?
        while true {
            let window = min(body.count, start + limit + 2)
            guard let lineEnd = find([13, 10], in: body[..<window], from: position) else {
                throw window - start >= limit + 2 ? .partHeaderTooLong(limit: limit) : .unterminated
            }
            let line = body[position..<lineEnd]
            position = lineEnd + 2
            if line.isEmpty { break }
            guard let text = String(validating: line, as: UTF8.self), let colon = text.firstIndex(of: ":"),
                  let first = text.unicodeScalars.first, first != " ", first != "\t",
                  !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7f }) else {
                throw .malformedPartHeader
            }
            let name = text[..<colon].lowercased()
            let value = String(text[text.index(after: colon)...])
            switch name {
            case "content-disposition": disposition = HeaderParameters.split(value)
            case "content-type": contentType = mediaType(value)
            default: break
            }
        }
        guard let disposition, disposition.first?.lowercased() == "form-data",
              let name = HeaderParameters.value(of: "name", in: disposition.dropFirst()), !name.isEmpty else {
            throw .notFormData
        }
        let filename = HeaderParameters.value(of: "filename", in: disposition.dropFirst()).map(baseName)
        return PartHeader(name: name, filename: filename, contentType: contentType)
    }

    /// A plain `type/subtype` of RFC 6838's restricted characters, lowercased; anything else is octets.
    static func mediaType(_ value: String) -> String {
        let type = (HeaderParameters.split(value).first ?? "").lowercased()
        let pieces = type.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = { (c: UInt8) in
            (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || "!#$&^_.+-".utf8.contains(c)
        }
        guard pieces.count == 2, pieces.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 && $0.utf8.allSatisfy(allowed) }) else {
            return "application/octet-stream"
        }
        return type
    }

    /// The last path segment (some browsers send a whole Windows path), without control characters, at most 255 bytes.
    static func baseName(_ filename: String) -> String {
        let last = filename.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var name = String(String.UnicodeScalarView(last.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f }))
        while name.utf8.count > 255 { name.removeLast() }
        return name == "." || name == ".." ? "" : name
    }

    /// RFC 2046 bchars: DIGIT ALPHA ' ( ) + _ , - . / : = ? and space (not last).
    static func isBoundaryByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || "'()+_,-./:=? ".utf8.contains(c)
    }

    /// The first index of `needle` in `haystack` at or after `from`. Linear when `needle` holds its first byte once.
    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>, from: Int) -> Int? {
        guard let first = needle.first, from >= haystack.startIndex else { return nil }
        var i = from
        let last = haystack.endIndex - needle.count
        while i <= last {
            if haystack[i] == first {
                var k = 1
                while k < needle.count, haystack[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        find(needle, in: haystack[...], from: from)
    }
}

/// `value; name=token; name="quoted string"` split at semicolons outside quotes, and a parameter's value.
/// A backslash is an ordinary character (RFC 7578 §4.2: browsers send `C:\dir\file` unescaped and percent-encode
/// a quote in a name), so a quoted value ends at the next quote.
enum HeaderParameters {
    static func split(_ value: String) -> [Substring] {
        var pieces: [Substring] = []
        var start = value.startIndex, inQuotes = false
        for index in value.indices {
            let c = value[index]
            if c == "\"" { inQuotes.toggle() }
            if c == ";", !inQuotes {
                pieces.append(trimmed(value[start..<index]))
                start = value.index(after: index)
            }
        }
        pieces.append(trimmed(value[start...]))
        return pieces
    }

    /// The value of parameter `name` (case-insensitive), unquoted; nil when absent.
    static func value(of name: String, in pieces: some Sequence<Substring>) -> String? {
        for piece in pieces {
            guard let equals = piece.firstIndex(of: "="), trimmed(piece[..<equals]).lowercased() == name else { continue }
            let raw = trimmed(piece[piece.index(after: equals)...])
            guard raw.first == "\"" else { return raw.contains("\"") ? nil : String(raw) }
            let inner = raw.dropFirst()
            guard let end = inner.firstIndex(of: "\"") else { return nil }  // an unterminated quoted-string
            return String(inner[..<end])
        }
        return nil
    }

    static func trimmed(_ s: Substring) -> Substring {
        var s = s
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return s
    }
}
