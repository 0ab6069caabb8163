/// A folder's `dovecot-keywords`: lines `<index> <keyword>`; index 0...25 is the letter `a`...`z` in file names.
struct KeywordTable: Equatable, Sendable {
    static let capacity = 26
    var names: [Int: String] = [:]

    /// Parses the file; lines that do not parse are skipped, as Dovecot rebuilds them anyway.
    static func parse(_ bytes: [UInt8]) -> KeywordTable {
        var table = KeywordTable()
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            guard let space = line.firstIndex(of: " "), let index = Int(line[..<space]),
                (0..<capacity).contains(index)
            else { continue }
            let name = line[line.index(after: space)...]
            if !name.isEmpty { table.names[index] = String(name) }
        }
        return table
    }

    func serialized() -> [UInt8] {
        Array(names.keys.sorted().map { "\($0) \(names[$0]!)\n" }.joined().utf8)
    }

    /// The index of `keyword`, matched case-insensitively like IMAP keywords.
    func index(of keyword: String) -> Int? {
        let folded = keyword.lowercased()
        return names.first { $0.value.lowercased() == folded }?.key
    }

    /// Gives `keyword` the lowest free index; nil when all 26 are taken.
    mutating func add(_ keyword: String) -> Int? {
        if let existing = index(of: keyword) { return existing }
        guard let free = (0..<Self.capacity).first(where: { names[$0] == nil }) else { return nil }
        names[free] = keyword
        return free
    }

    /// Checks that `keyword` is an IMAP flag keyword (an atom, not a `\System` flag).
    static func validate(_ keyword: String) throws(MailStoreError) {
        if keyword.isEmpty { throw .invalidKeyword(keyword: keyword, reason: "empty") }
        if keyword.hasPrefix("\\") {
            throw .invalidKeyword(keyword: keyword, reason: "system flags (\\Seen ...) are MailFlag values, not keywords")
        }
        for scalar in keyword.unicodeScalars {
            if scalar.value <= 0x20 || scalar.value >= 0x7F || "(){%*\"\\]".unicodeScalars.contains(scalar) {
                throw .invalidKeyword(keyword: keyword, reason: "not an IMAP atom (character \"\(scalar.escaped(asASCII: true))\")")
            }
        }
    }
}

extension KeywordTable {
    /// The letters of `keywords` in the folder's `dovecot-keywords`, adding new ones under its dotlock
    /// (the one way deliveries and flag changes name keywords).
    static func indices(for keywords: [String], folderPath: String, store: MailStore) async throws(MailStoreError) -> [Int] {
        guard !keywords.isEmpty else { return [] }
        let path = folderPath + "/dovecot-keywords", fsync = store.configuration.fsync
        let known = try await store.blocking("read keywords", path) { () throws(MailStoreError) in
            KeywordTable.parse(try POSIX.readFile(path) ?? [])
        }
        let found = keywords.compactMap(known.index(of:))
        if found.count == keywords.count { return found }
        return try await store.withLocks([store.dotLock(path)], operation: "add keywords") { (held) throws(MailStoreError) in
            let original = KeywordTable.parse(try POSIX.readFile(path) ?? [])
            var table = original
            var indices: [Int] = []
            for keyword in keywords {
                guard let index = table.add(keyword) else { throw .tooManyKeywords(path: path, keyword: keyword) }
                indices.append(index)
            }
            if table != original {
                try held[0].replaceTarget(with: table.serialized(), fsync: fsync, operation: "write keywords")
                if fsync { try POSIX.fsyncDirectory(folderPath) }
            }
            return indices
        }
    }
}
