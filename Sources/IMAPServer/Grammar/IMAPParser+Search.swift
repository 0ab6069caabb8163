/// SEARCH arguments and search keys (RFC 3501 §6.4.4, RFC 4731, RFC 5182, RFC 7162).
extension IMAPParser {
    /// [SP RETURN (...)] [SP CHARSET astring] 1*(SP search-key), RETURN and CHARSET in either order.
    mutating func searchArguments() throws -> IMAPSearchCommand {
        var charset: String?
        var returnOptions: [IMAPSearchReturnOption]?
        while true {
            try space()
            if returnOptions == nil, keyword("RETURN") {
                try space()
                returnOptions = try parenthesized("SEARCH return options", allowEmpty: true) { parser in
                    let name = try parser.atom("a return option").uppercased()
                    guard let option = IMAPSearchReturnOption(rawValue: name) else { throw IMAPSyntaxError("Unknown SEARCH return option \(name.prefix(20))") }
                    return option
                }
            } else if charset == nil, keyword("CHARSET") {
                try space()
                charset = try astring("a charset").uppercased()
            } else {
                break
            }
        }
        let key = try searchKeysAfterSpace()
        return IMAPSearchCommand(charset: charset, returnOptions: returnOptions, key: key)
    }

    /// 1*(SP search-key): one key, or `.and` of several.
    mutating func searchKeys() throws -> IMAPSearchKey {
        try space()
        return try searchKeysAfterSpace()
    }

    /// search-key *(SP search-key), the first space already consumed.
    mutating func searchKeysAfterSpace() throws -> IMAPSearchKey {
        var keys = [try searchKey()]
        while skip(UInt8(ascii: " ")) { keys.append(try searchKey()) }
        return keys.count == 1 ? keys[0] : .and(keys)
    }

    mutating func searchKey() throws -> IMAPSearchKey {
        guard depth < Self.maximumDepth else { throw error("search keys nested too deeply") }
        depth += 1
        defer { depth -= 1 }
        guard let next = peek() else { throw error("expected a search key") }
        if next == UInt8(ascii: "(") {
            let keys = try parenthesized("a search key list") { try $0.searchKey() }
            return keys.count == 1 ? keys[0] : .and(keys)
        }
        if IMAPByteClass.isDigit(next) || next == UInt8(ascii: "*") || next == UInt8(ascii: "$") {
            return .sequenceNumbers(try sequenceSet())
        }
        let start = index
        let name = try atom("a search key").uppercased()
        func argument<T>(_ parse: (inout IMAPParser) throws -> T) throws -> T {
            try space()
            return try parse(&self)
        }
        switch name {
        case "ALL": return .all
        case "ANSWERED": return .answered
        case "DELETED": return .deleted
        case "DRAFT": return .draft
        case "FLAGGED": return .flagged
        case "NEW": return .new
        case "OLD": return .old
        case "RECENT": return .recent
        case "SEEN": return .seen
        case "UNANSWERED": return .unanswered
        case "UNDELETED": return .undeleted
        case "UNDRAFT": return .undraft
        case "UNFLAGGED": return .unflagged
        case "UNSEEN": return .unseen
        case "BCC": return .bcc(try argument { try $0.astring("a search string") })
        case "BODY": return .body(try argument { try $0.astring("a search string") })
        case "CC": return .cc(try argument { try $0.astring("a search string") })
        case "FROM": return .from(try argument { try $0.astring("a search string") })
        case "SUBJECT": return .subject(try argument { try $0.astring("a search string") })
        case "TEXT": return .text(try argument { try $0.astring("a search string") })
        case "TO": return .to(try argument { try $0.astring("a search string") })
        case "HEADER":
            let field = try argument { try $0.astring("a header field name") }
            return .header(field: field, value: try argument { try $0.astring("a search string") })
        case "KEYWORD": return .keyword(try argument { try $0.atom("a keyword") })
        case "UNKEYWORD": return .unkeyword(try argument { try $0.atom("a keyword") })
        case "BEFORE": return .before(try argument { try $0.date() })
        case "ON": return .on(try argument { try $0.date() })
        case "SINCE": return .since(try argument { try $0.date() })
        case "SENTBEFORE": return .sentBefore(try argument { try $0.date() })
        case "SENTON": return .sentOn(try argument { try $0.date() })
        case "SENTSINCE": return .sentSince(try argument { try $0.date() })
        case "LARGER": return .larger(try argument { try $0.number("a size") })
        case "SMALLER": return .smaller(try argument { try $0.number("a size") })
        case "UID": return .uid(try argument { try $0.sequenceSet() })
        case "NOT": return .not(try argument { try $0.searchKey() })
        case "OR":
            let first = try argument { try $0.searchKey() }
            return .or(first, try argument { try $0.searchKey() })
        case "MODSEQ":
            try space()
            var entry: IMAPModSeqEntry?
            if peek() == UInt8(ascii: "\"") {
                let name = try string("an entry name")
                try space()
                let type = try atom("priv, shared or all").lowercased()
                guard ["priv", "shared", "all"].contains(type) else { throw IMAPSyntaxError("MODSEQ entry type must be priv, shared or all") }
                entry = IMAPModSeqEntry(name: name, type: type)
                try space()
            }
            return .modSeq(entry, try modSequence())
        default:
            index = start
            throw error("unknown search key \(name.prefix(20))")
        }
    }
}
