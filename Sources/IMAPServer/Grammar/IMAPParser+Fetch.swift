import MIME
/// FETCH data items, section specs and partials (RFC 3501 §6.4.5, RFC 3516, RFC 7162).
extension IMAPParser {
    /// A macro (ALL, FAST, FULL), one item, or a parenthesized list of items.
    mutating func fetchAttributes() throws -> [IMAPFetchAttribute] {
        if peek() == UInt8(ascii: "(") { return try parenthesized("FETCH items") { try $0.fetchAttribute() } }
        if keyword("ALL") { return IMAPFetchAttribute.all }
        if keyword("FAST") { return IMAPFetchAttribute.fast }
        if keyword("FULL") { return IMAPFetchAttribute.full }
        return [try fetchAttribute()]
    }

    mutating func fetchAttribute() throws -> IMAPFetchAttribute {
        let start = index
        let name = String(decoding: run { IMAPByteClass.isDigit($0) || $0 == UInt8(ascii: ".") || ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z")) }, as: UTF8.self).uppercased()
        switch name {
        case "ENVELOPE": return .envelope
        case "FLAGS": return .flags
        case "INTERNALDATE": return .internalDate
        case "RFC822": return .rfc822
        case "RFC822.HEADER": return .rfc822Header
        case "RFC822.SIZE": return .rfc822Size
        case "RFC822.TEXT": return .rfc822Text
        case "BODYSTRUCTURE": return .bodyStructure
        case "UID": return .uid
        case "MODSEQ": return .modSeq
        case "BODY" where peek() != UInt8(ascii: "["): return .bodyStructureWithoutExtensions
        case "BODY", "BODY.PEEK":
            let section = try section()
            return .body(section: section, partial: try partial(), peek: name == "BODY.PEEK")
        case "BINARY", "BINARY.PEEK":
            let part = try binaryPart()
            return .binary(part: part, partial: try partial(), peek: name == "BINARY.PEEK")
        case "BINARY.SIZE":
            return .binarySize(part: try binaryPart())
        default:
            index = start
            throw error("unknown FETCH item")
        }
    }

    /// "[" [section-spec] "]".
    mutating func section() throws -> MessageSection {
        try expect(UInt8(ascii: "["), "[ opening a section")
        var section = MessageSection()
        if skip(UInt8(ascii: "]")) { return section }
        while let next = peek(), IMAPByteClass.isDigit(next) {
            guard section.path.count < 32 else { throw error("section part too deep") }
            section.path.append(Int(try nzNumber("a part number")))
            guard skip(UInt8(ascii: ".")) else { break }
        }
        let dotted = section.path.isEmpty || text[index - 1] == UInt8(ascii: ".")
        if dotted {
            let start = index
            let name = String(decoding: run { $0 == UInt8(ascii: ".") || ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z")) }, as: UTF8.self).uppercased()
            switch name {
            case "HEADER": section.text = .header
            case "TEXT": section.text = .text
            case "MIME" where !section.path.isEmpty: section.text = .mime
            case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
                try space()
                let names = try parenthesized("header field names") { try $0.astring("a header field name") }
                section.text = name == "HEADER.FIELDS" ? .headerFields(names) : .headerFieldsNot(names)
            default:
                index = start
                throw error("expected a section (part numbers, HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT or MIME)")
            }
        }
        try expect(UInt8(ascii: "]"), "] closing the section")
        return section
    }

    /// section-binary: "[" [section-part] "]".
    mutating func binaryPart() throws -> [Int] {
        try expect(UInt8(ascii: "["), "[ opening a section")
        var part: [Int] = []
        if skip(UInt8(ascii: "]")) { return part }
        repeat {
            guard part.count < 32 else { throw error("section part too deep") }
            part.append(Int(try nzNumber("a part number")))
        } while skip(UInt8(ascii: "."))
        try expect(UInt8(ascii: "]"), "] closing the section")
        return part
    }

    /// ["<" number "." nz-number ">"].
    mutating func partial() throws -> IMAPPartial? {
        guard skip(UInt8(ascii: "<")) else { return nil }
        let origin = try number("a partial origin")
        try expect(UInt8(ascii: "."), ". in the partial range")
        let count = try nzNumber("a partial length")
        try expect(UInt8(ascii: ">"), "> closing the partial range")
        return IMAPPartial(origin: origin, count: count)
    }

    /// "(" fetch-modifier *(SP fetch-modifier) ")": CHANGEDSINCE n, VANISHED.
    mutating func fetchModifiers() throws -> IMAPFetchModifiers {
        var modifiers = IMAPFetchModifiers()
        _ = try parenthesized("FETCH modifiers") { parser in
            if parser.keyword("CHANGEDSINCE") {
                try parser.space()
                modifiers.changedSince = try parser.modSequence()
            } else if parser.keyword("VANISHED") {
                modifiers.vanished = true
            } else {
                throw parser.error("unknown FETCH modifier")
            }
        }
        return modifiers
    }
}
