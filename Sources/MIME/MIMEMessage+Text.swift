extension MIMEMessage {
    /// A part's body with its Content-Transfer-Encoding undone (base64, quoted-printable; others as they are).
    public func decodedBody(ofPart index: Int) -> [UInt8]? {
        guard parts.indices.contains(index) else { return nil }
        let part = parts[index]
        let body = bytes[part.bodyRange]
        switch part.transferEncoding?.string.lowercased() {
        case "base64": return Base64.decode(body)
        case "quoted-printable": return QuotedPrintable.decode(body)
        default: return Array(body)
        }
    }

    /// A text part's body as text, for SEARCH BODY/TEXT: transfer encoding undone, then its charset (us-ascii when
    /// none; an unknown charset or invalid bytes read as UTF-8 with replacement characters). Nil for parts that are
    /// not text/* (or not leaves).
    public func decodedText(ofPart index: Int) -> String? {
        guard parts.indices.contains(index), parts[index].kind == .leaf, parts[index].contentType.isText,
              let body = decodedBody(ofPart: index) else { return nil }
        let charset = parts[index].contentType.charset ?? "us-ascii"
        return Charset.decode(body, charset: charset) ?? String(decoding: body, as: UTF8.self)
    }

    /// Every header value of the message decoded for SEARCH HEADER/SUBJECT/FROM...: encoded words decoded, folds removed.
    public func decodedHeaderValue(_ name: String, ofPart index: Int = 0) -> [String] {
        guard parts.indices.contains(index) else { return [] }
        let header = parts[index].header
        return header.fields(named: name).map { EncodedWord.decode(bytes: header.rawValue(of: $0)) }
    }
}
