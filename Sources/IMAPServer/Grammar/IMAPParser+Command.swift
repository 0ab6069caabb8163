/// The command grammar (RFC 3501 §9 `command`, with the extensions listed on ``IMAPCommand/Kind``).
extension IMAPParser {
    /// The tag: 1*(ASTRING-CHAR except "+").
    mutating func tag() -> String? {
        let bytes = run(IMAPByteClass.isTagChar)
        guard !bytes.isEmpty, bytes.count <= 64, peek() == UInt8(ascii: " ") || atEnd else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// tag SP command, the whole text.
    mutating func command() -> Result<IMAPCommand, IMAPCommandError> {
        guard let tag = tag() else {
            return .failure(IMAPCommandError(tag: nil, text: "Missing or invalid tag"))
        }
        do {
            guard !atEnd else { throw IMAPSyntaxError("Missing command name after the tag") }
            try space()
            let name = try atom("a command name").uppercased()
            let kind = try commandBody(name)
            try expectEnd()
            return .success(IMAPCommand(tag: tag, kind: kind))
        } catch let failure as IMAPSyntaxError {
            return .failure(IMAPCommandError(tag: tag, text: failure.message))
        } catch {
            return .failure(IMAPCommandError(tag: tag, text: "Syntax error"))
        }
    }

    mutating func commandBody(_ name: String) throws -> IMAPCommand.Kind {
        switch name {
        case "CAPABILITY": return .capability
        case "NOOP": return .noop
        case "LOGOUT": return .logout
        case "STARTTLS": return .starttls
        case "CHECK": return .check
        case "CLOSE": return .close
        case "UNSELECT": return .unselect
        case "EXPUNGE": return .expunge
        case "NAMESPACE": return .namespace
        case "IDLE": return .idle
        case "AUTHENTICATE":
            try space()
            let mechanism = try atom("a SASL mechanism").uppercased()
            guard skip(UInt8(ascii: " ")) else { return .authenticate(mechanism: mechanism, initialResponse: nil) }
            let response = run { IMAPByteClass.isDigit($0) || ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "=") }
            guard !response.isEmpty else { throw error("expected a base64 initial response or =") }
            return .authenticate(mechanism: mechanism, initialResponse: String(decoding: response, as: UTF8.self))
        case "LOGIN":
            try space()
            let user = try astring("a user name")
            try space()
            return .login(user: user, password: try astring("a password"))
        case "SELECT", "EXAMINE":
            try space()
            let mailbox = try mailbox()
            var parameters: [IMAPSelectParameter] = []
            if skip(UInt8(ascii: " ")) { parameters = try parenthesized("SELECT parameters") { try $0.selectParameter() } }
            return name == "SELECT" ? .select(mailbox, parameters: parameters) : .examine(mailbox, parameters: parameters)
        case "CREATE":
            try space()
            let mailbox = try mailbox()
            var uses: [String] = []
            if skip(UInt8(ascii: " ")) {
                try expect(UInt8(ascii: "("), "( opening CREATE parameters")
                guard keyword("USE") else { throw error("expected USE (RFC 6154)") }
                try space()
                uses = try parenthesized("special-use attributes") { parser in
                    try parser.expect(UInt8(ascii: "\\"), "a special-use attribute like \\Sent")
                    return "\\" + (try parser.atom("a special-use attribute"))
                }
                try expect(UInt8(ascii: ")"), ") closing CREATE parameters")
            }
            return .create(mailbox, specialUse: uses)
        case "DELETE":
            try space()
            return .delete(try mailbox())
        case "SUBSCRIBE":
            try space()
            return .subscribe(try mailbox())
        case "UNSUBSCRIBE":
            try space()
            return .unsubscribe(try mailbox())
        case "RENAME":
            try space()
            let from = try mailbox()
            try space()
            return .rename(from: from, to: try mailbox())
        case "LIST":
            return .list(try listArguments())
        case "LSUB":
            try space()
            let reference = try astring("a reference name")
            try space()
            return .lsub(reference: reference, pattern: try listMailbox())
        case "STATUS":
            try space()
            let mailbox = try mailbox()
            try space()
            return .status(mailbox, attributes: try parenthesized("status items") { try $0.statusAttribute() })
        case "APPEND":
            return .append(try appendArguments())
        case "ID":
            try space()
            if keyword("NIL") { return .id(nil) }
            let fields = try parenthesized("ID fields", allowEmpty: true) { parser -> IMAPIDParameter in
                let key = try parser.string("an ID field name")
                try parser.space()
                return IMAPIDParameter(key: key, value: try parser.nstring("an ID field value"))
            }
            guard fields.count <= 30 else { throw error("too many ID fields") }
            return .id(fields)
        case "ENABLE":
            var names: [String] = []
            repeat {
                try space()
                names.append(try atom("a capability name").uppercased())
            } while peek() == UInt8(ascii: " ")
            return .enable(names)
        case "UID":
            try space()
            let sub = try atom("a UID command").uppercased()
            switch sub {
            case "SEARCH", "FETCH", "STORE", "COPY", "MOVE", "SORT", "THREAD": return try selectedCommand(sub, uid: true)
            case "EXPUNGE":
                try space()
                return .uidExpunge(try sequenceSet())
            default: throw IMAPSyntaxError("UID \(sub.prefix(20)) is not a command")
            }
        case "SEARCH", "FETCH", "STORE", "COPY", "MOVE", "SORT", "THREAD":
            return try selectedCommand(name, uid: false)
        default:
            throw IMAPSyntaxError("Unknown command \(name.prefix(20))")
        }
    }

    mutating func selectedCommand(_ name: String, uid: Bool) throws -> IMAPCommand.Kind {
        switch name {
        case "SEARCH":
            return .search(try searchArguments(), uid: uid)
        case "FETCH":
            try space()
            let set = try sequenceSet()
            try space()
            let attributes = try fetchAttributes()
            var modifiers = IMAPFetchModifiers.none
            if skip(UInt8(ascii: " ")) { modifiers = try fetchModifiers() }
            return .fetch(set, attributes: attributes, modifiers: modifiers, uid: uid)
        case "STORE":
            try space()
            let set = try sequenceSet()
            try space()
            return .store(set, try storeAction(), uid: uid)
        case "COPY", "MOVE":
            try space()
            let set = try sequenceSet()
            try space()
            let mailbox = try mailbox()
            return name == "COPY" ? .copy(set, to: mailbox, uid: uid) : .move(set, to: mailbox, uid: uid)
        case "SORT":
            try space()
            let criteria = try parenthesized("sort criteria") { try $0.sortCriterion() }
            try space()
            let charset = try astring("a charset").uppercased()
            return .sort(criteria: criteria, charset: charset, key: try searchKeys(), uid: uid)
        default:  // THREAD
            try space()
            let algorithmName = try atom("a thread algorithm").uppercased()
            guard let algorithm = IMAPThreadAlgorithm(rawValue: algorithmName) else {
                throw IMAPSyntaxError("Unknown thread algorithm \(algorithmName.prefix(20))")
            }
            try space()
            let charset = try astring("a charset").uppercased()
            return .thread(algorithm: algorithm, charset: charset, key: try searchKeys(), uid: uid)
        }
    }

    mutating func selectParameter() throws -> IMAPSelectParameter {
        let name = try atom("a SELECT parameter").uppercased()
        switch name {
        case "CONDSTORE": return .condStore
        case "QRESYNC":
            try space()
            try expect(UInt8(ascii: "("), "( opening QRESYNC parameters")
            let validity = try nzNumber("a UIDVALIDITY")
            try space()
            let modSeq = try modSequence()
            var known: IMAPSequenceSet?
            var match: IMAPSequenceMatch?
            if skip(UInt8(ascii: " ")) {
                if peek() != UInt8(ascii: "(") {
                    known = try sequenceSet()
                    if skip(UInt8(ascii: " ")) { match = try sequenceMatch() }
                } else {
                    match = try sequenceMatch()
                }
            }
            try expect(UInt8(ascii: ")"), ") closing QRESYNC parameters")
            return .qresync(uidValidity: validity, modSeq: modSeq, knownUIDs: known, sequenceMatch: match)
        default:
            guard skip(UInt8(ascii: " ")) else { return .other(name: name, value: nil) }
            return .other(name: name, value: try extensionValue())
        }
    }

    mutating func sequenceMatch() throws -> IMAPSequenceMatch {
        try expect(UInt8(ascii: "("), "( opening the sequence match data")
        let numbers = try sequenceSet()
        try space()
        let uids = try sequenceSet()
        try expect(UInt8(ascii: ")"), ") closing the sequence match data")
        return IMAPSequenceMatch(sequenceNumbers: numbers, uids: uids)
    }

    mutating func statusAttribute() throws -> IMAPStatusAttribute {
        let name = try atom("a status item").uppercased()
        guard let attribute = IMAPStatusAttribute(rawValue: name) else { throw IMAPSyntaxError("Unknown status item \(name.prefix(20))") }
        return attribute
    }

    mutating func listArguments() throws -> IMAPListCommand {
        try space()
        var command = IMAPListCommand(reference: "", patterns: [])
        if peek() == UInt8(ascii: "(") {
            command.isExtended = true
            command.selectionOptions = try parenthesized("LIST selection options", allowEmpty: true) { parser in
                switch try parser.atom("a selection option").uppercased() {
                case "SUBSCRIBED": .subscribed
                case "REMOTE": .remote
                case "RECURSIVEMATCH": .recursiveMatch
                case "SPECIAL-USE": .specialUse
                case let other: .other(other)
                }
            }
            try space()
        }
        command.reference = try astring("a reference name")
        try space()
        if peek() == UInt8(ascii: "(") {
            command.isExtended = true
            command.patterns = try parenthesized("mailbox patterns") { try $0.listMailbox() }
        } else {
            command.patterns = [try listMailbox()]
        }
        if skip(UInt8(ascii: " ")) {
            guard keyword("RETURN") else { throw error("expected RETURN") }
            command.isExtended = true
            try space()
            command.returnOptions = try parenthesized("LIST return options", allowEmpty: true) { parser in
                switch try parser.atom("a return option").uppercased() {
                case "SUBSCRIBED": return .subscribed
                case "CHILDREN": return .children
                case "SPECIAL-USE": return .specialUse
                case "STATUS":
                    try parser.space()
                    return .status(try parser.parenthesized("status items") { try $0.statusAttribute() })
                case let other: return .other(other)
                }
            }
        }
        if command.selectionOptions.contains(.recursiveMatch) && command.selectionOptions.count == 1 {
            throw IMAPSyntaxError("RECURSIVEMATCH needs another selection option")
        }
        return command
    }

    mutating func appendArguments() throws -> IMAPAppend {
        try space()
        let mailbox = try mailbox()
        try space()
        var flags: [IMAPFlag] = []
        var date: IMAPDateTime?
        if peek() == UInt8(ascii: "(") {
            flags = try flagList()
            try space()
        }
        if peek() == UInt8(ascii: "\"") {
            date = try dateTime()
            try space()
        }
        guard peek() == UInt8(ascii: "{") || peek() == UInt8(ascii: "~") else { throw error("expected the message as a literal") }
        let literal = try literal(allowBinary: true)
        return IMAPAppend(mailbox: mailbox, flags: flags, internalDate: date, message: literal.bytes, isBinary: literal.binary)
    }

    mutating func storeAction() throws -> IMAPStoreAction {
        var unchangedSince: UInt64?
        if skip(UInt8(ascii: "(")) {
            guard keyword("UNCHANGEDSINCE") else { throw error("expected UNCHANGEDSINCE") }
            try space()
            unchangedSince = try modSequence()
            try expect(UInt8(ascii: ")"), ") closing the STORE modifiers")
            try space()
        }
        let operation: IMAPStoreAction.Operation
        if skip(UInt8(ascii: "+")) { operation = .add } else if skip(UInt8(ascii: "-")) { operation = .remove } else { operation = .replace }
        let item = try atom("FLAGS or FLAGS.SILENT").uppercased()
        guard item == "FLAGS" || item == "FLAGS.SILENT" else { throw IMAPSyntaxError("Expected FLAGS, +FLAGS or -FLAGS, not \(item.prefix(20))") }
        try space()
        var flags: [IMAPFlag]
        if peek() == UInt8(ascii: "(") {
            flags = try flagList()
        } else {
            flags = [try storableFlag()]
            while skip(UInt8(ascii: " ")) { flags.append(try storableFlag()) }
        }
        return IMAPStoreAction(operation: operation, silent: item == "FLAGS.SILENT", flags: flags, unchangedSince: unchangedSince)
    }

    mutating func sortCriterion() throws -> IMAPSortCriterion {
        var reversed = false
        if keyword("REVERSE") {
            reversed = true
            try space()
        }
        let name = try atom("a sort key").uppercased()
        guard let key = IMAPSortCriterion.Key(rawValue: name) else { throw IMAPSyntaxError("Unknown sort key \(name.prefix(20))") }
        return IMAPSortCriterion(key, reversed: reversed)
    }
}
