import Testing
@testable import Webmail

/// The compose form's multipart/form-data parser: browsers' framing, every limit refusing, malformed framing refused.
@Suite struct MultipartFormDataTests {
    static let boundary = "----WebKitFormBoundaryX3b9"

    static func body(_ parts: [String], preamble: String = "", epilogue: String = "\r\n") -> [UInt8] {
        Array((preamble + parts.map { "--\(boundary)\r\n\($0)\r\n" }.joined() + "--\(boundary)--" + epilogue).utf8)
    }

    static func field(_ name: String, _ value: String) -> String {
        "Content-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)"
    }

    static func file(_ name: String, _ filename: String, _ type: String?, _ content: String) -> String {
        "Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\n" + (type.map { "Content-Type: \($0)\r\n" } ?? "") + "\r\n" + content
    }

    @Test func boundariesFromContentTypes() throws {
        #expect(try MultipartFormData.boundary(contentType: "multipart/form-data; boundary=\(Self.boundary)") == Self.boundary)
        #expect(try MultipartFormData.boundary(contentType: "Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b:c\"") == "a b:c")
        #expect(throws: MultipartFormData.ParseError.notMultipart) { try MultipartFormData.boundary(contentType: "multipart/mixed; boundary=x") }
        for bad in ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"a\rb\"",
                    "multipart/form-data; boundary=" + String(repeating: "x", count: 71), "multipart/form-data; boundary=\"ends \"",
                    "multipart/form-data; boundary=\"unterminated"] {
            #expect(throws: MultipartFormData.ParseError.badBoundary, "\(bad)") { try MultipartFormData.boundary(contentType: bad) }
        }
    }

    @Test func parsesFieldsAndFilesAsBrowsersSendThem() throws {
        let pdf = "%PDF-1.4\r\n\u{1}binary\r\n--not-a-boundary\r\n"
        let body = Self.body([
            Self.field("csrf", "tok"), Self.field("to", "bob@shoal.test"), Self.field("text", "line 1\r\nline 2\r\n"),
            Self.file("attachment", "C:\\Users\\me\\résumé.pdf", "Application/PDF", pdf),
            Self.file("attachment", "../../etc/passwd", "text/plain; charset=utf-8", "root"),
            Self.file("attachment", "evil.html", "text/html\"; x=y", "<b>"),
            Self.file("attachment", "", "application/octet-stream", ""),  // a file input left empty
        ], preamble: "ignored preamble\r\n", epilogue: "\r\nignored epilogue")
        let form = try MultipartFormData.parse(body, boundary: Self.boundary)
        #expect(form.fields.pairs.map(\.name) == ["csrf", "to", "text"])
        #expect(form.fields["text"] == "line 1\r\nline 2\r\n")
        #expect(form.files == [
            .init(field: "attachment", filename: "résumé.pdf", contentType: "application/pdf", bytes: Array(pdf.utf8)),
            .init(field: "attachment", filename: "passwd", contentType: "text/plain", bytes: Array("root".utf8)),
            .init(field: "attachment", filename: "evil.html", contentType: "application/octet-stream", bytes: Array("<b>".utf8)),
        ])
    }

    @Test func limitsRefuseBeforeCopying() {
        let limits = MultipartFormData.Limits(maximumParts: 4, maximumPartHeaderBytes: 120, maximumFiles: 2, maximumFileBytes: 10,
                                              maximumTotalFileBytes: 15, fields: FormFields.Limits(maximumFields: 2, maximumNameBytes: 8, maximumValueBytes: 5))
        func parse(_ parts: [String]) throws(MultipartFormData.ParseError) { _ = try MultipartFormData.parse(Self.body(parts), boundary: Self.boundary, limits: limits) }
        #expect(throws: MultipartFormData.ParseError.tooManyParts(4)) { try parse(Array(repeating: Self.file("f", "", nil, ""), count: 5)) }
        #expect(throws: MultipartFormData.ParseError.tooManyFiles(2)) { try parse(Array(repeating: Self.file("f", "a", nil, "x"), count: 3)) }
        #expect(throws: MultipartFormData.ParseError.fileTooLarge(filename: "a", limit: 10)) { try parse([Self.file("f", "a", nil, "12345678901")]) }
        #expect(throws: MultipartFormData.ParseError.filesTooLarge(limit: 15)) { try parse([Self.file("f", "a", nil, "12345678"), Self.file("f", "b", nil, "12345678")]) }
        #expect(throws: MultipartFormData.ParseError.field(.tooManyFields(2))) { try parse([Self.field("a", "1"), Self.field("b", "2"), Self.field("c", "3")]) }
        #expect(throws: MultipartFormData.ParseError.field(.valueTooLong(field: "a", limit: 5))) { try parse([Self.field("a", "123456")]) }
        #expect(throws: MultipartFormData.ParseError.field(.nameTooLong("averylongname"))) { try parse([Self.field("averylongname", "1")]) }
        #expect(throws: MultipartFormData.ParseError.partHeaderTooLong(limit: 120)) {
            try parse(["X-Padding: " + String(repeating: "p", count: 200) + "\r\n" + Self.field("a", "1")])
        }
        #expect(throws: MultipartFormData.ParseError.field(.notUTF8(field: "a"))) {
            _ = try MultipartFormData.parse(Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=a\r\n\r\n".utf8) + [0xff]
                                            + Array("\r\n--\(Self.boundary)--".utf8), boundary: Self.boundary, limits: limits)
        }
    }

    /// Bodies framed by boundary "B" and the error each must give.
    static let malformed: [(body: String, error: MultipartFormData.ParseError)] = [
        ("", .noFirstDelimiter),
        ("no boundary here", .noFirstDelimiter),
        ("--B\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue without end", .unterminated),
        ("--B\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--Bjunk\r\n", .malformedDelimiter),
        ("--B\r\nContent-Disposition: form-data; name=a", .unterminated),
        ("--B\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--B--", .notFormData),
        ("--B\r\nContent-Disposition: form-data\r\n\r\nv\r\n--B--", .notFormData),
        ("--B\r\nContent-Type: text/plain\r\n\r\nv\r\n--B--", .notFormData),
        ("--B\r\nno colon\r\n\r\nv\r\n--B--", .malformedPartHeader),
        ("--B\r\n folded: header\r\n\r\nv\r\n--B--", .malformedPartHeader),
        ("--B\r\nContent-Disposition: form-data; name=a\u{0}\r\n\r\nv\r\n--B--", .malformedPartHeader),
        ("--B", .unterminated),
    ]

    @Test func malformedBodiesAreRefused() {
        for bad in Self.malformed {
            #expect(throws: bad.error, "\(bad.body.debugDescription)") { try MultipartFormData.parse(Array(bad.body.utf8), boundary: "B") }
        }
    }

    @Test func anEmptyFormAndPaddingAfterBoundaries() throws {
        #expect(try MultipartFormData.parse(Array("--B--\r\n".utf8), boundary: "B") == MultipartFormData())
        let padded = try MultipartFormData.parse(Array("--B \t\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--B--".utf8), boundary: "B")
        #expect(padded.fields["a"] == "1")
    }

    /// Each step of the delimiter search reads a byte once: a body of near-boundaries parses in linear time (this
    /// counts nothing but would hang or trap on a quadratic search of 4 MiB).
    @Test func nearBoundariesAreStillOneValue() throws {
        let near = String(repeating: "\r\n--" + String(Self.boundary.dropLast()), count: 100_000)
        let body = Self.body([Self.field("text", near)])
        let limits = MultipartFormData.Limits(fields: FormFields.Limits(longFields: ["text"], maximumLongValueBytes: 4 * 1024 * 1024))
        #expect(try MultipartFormData.parse(body, boundary: Self.boundary, limits: limits).fields["text"]?.utf8.count == near.utf8.count)
    }

    @Test func fileNamesKeepOnlyTheirLastSegment() {
        #expect(MultipartFormData.baseName("a/b\\c.txt") == "c.txt")
        #expect(MultipartFormData.baseName("..") == "")
        #expect(MultipartFormData.baseName("tab\there\u{7f}.txt") == "tabhere.txt")
        #expect(MultipartFormData.baseName(String(repeating: "é", count: 200)).utf8.count <= 255)
    }
}
