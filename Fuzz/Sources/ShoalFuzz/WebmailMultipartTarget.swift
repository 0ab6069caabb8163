import Webmail

/// A compose form with uploads: the first line is the `Content-Type` value, the rest the body, through
/// `MultipartFormData.boundary` and `MultipartFormData.parse` with small limits. Checks: no more parts, fields or
/// files than allowed and none over its size; file names without path separators or control characters; the
/// result framed again with the same boundary parses back to itself.
enum WebmailMultipartTarget {
    static let limits = MultipartFormData.Limits(
        maximumParts: 8, maximumPartHeaderBytes: 256, maximumFiles: 3, maximumFileBytes: 512, maximumTotalFileBytes: 1024,
        fields: FormFields.Limits(maximumFields: 6, maximumNameBytes: 16, maximumValueBytes: 64, longFields: ["text"], maximumLongValueBytes: 256))

    static func run(_ data: [UInt8]) {
        let split = data.firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
        let contentType = String(decoding: data[..<split], as: UTF8.self)
        let body = Array(data[min(split + 1, data.endIndex)...])
        guard let boundary = try? MultipartFormData.boundary(contentType: contentType),
              let form = try? MultipartFormData.parse(body, boundary: boundary, limits: limits) else { return }
        invariant(form.fields.pairs.count <= 6 && form.files.count <= 3, "more fields or files than allowed")
        invariant(form.fields.pairs.count + form.files.count <= 8, "more parts than allowed")
        for (name, value) in form.fields.pairs {
            invariant(name.utf8.count <= 16 && value.utf8.count <= (name == "text" ? 256 : 64), "a field over its limit")
        }
        invariant(form.files.allSatisfy { $0.bytes.count <= 512 } && form.files.reduce(0) { $0 + $1.bytes.count } <= 1024, "files over the limit")
        for file in form.files {
            invariant(!file.filename.isEmpty && !file.filename.contains("/") && !file.filename.contains("\\"), "a path in a file name")
            invariant(!file.filename.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, "a control character in a file name")
            invariant(file.contentType.split(separator: "/").count == 2 && !file.contentType.contains(where: { $0 == ";" || $0 == " " || $0.isNewline }),
                      "an unchecked media type")
        }
        let again = try? MultipartFormData.parse(frame(form, boundary: boundary), boundary: boundary, limits: limits)
        invariant(again == form, "framing the result again does not parse back to it")
    }

    /// The form as a browser would send it.
    static func frame(_ form: MultipartFormData, boundary: String) -> [UInt8] {
        func quoted(_ s: String) -> String { "\"" + s + "\"" }  // a parsed name never holds a quote
        var out: [UInt8] = []
        for (name, value) in form.fields.pairs {
            out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\(quoted(name))\r\n\r\n\(value)\r\n".utf8)
        }
        for file in form.files {
            out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\(quoted(file.field)); filename=\(quoted(file.filename))\r\nContent-Type: \(file.contentType)\r\n\r\n".utf8)
            out += file.bytes + Array("\r\n".utf8)
        }
        return out + Array("--\(boundary)--\r\n".utf8)
    }
}
