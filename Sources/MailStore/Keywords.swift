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
