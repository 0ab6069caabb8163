/// How the message list is ordered.
public enum MessageSort: String, CaseIterable, Sendable {
    /// Newest arrival first (the default; only the page's messages are read).
    case arrivalDescending = "-arrival"
    case arrivalAscending = "arrival"
    case subject
    case from
    /// Threads (RFC 5256 REFERENCES), newest thread first.
    case thread
}

/// One page of a folder's message list as the browser asked for it: page number, order and search text.
public struct MessageListQuery: Hashable, Sendable {
    public var folder: String
    public var page: Int
    public var sort: MessageSort
    /// Words every message shown must contain (in subject, from, to or body); empty: no search.
    public var search: String

    public init(folder: String = "INBOX", page: Int = 1, sort: MessageSort = .arrivalDescending, search: String = "") {
        self.folder = folder
        self.page = page
        self.sort = sort
        self.search = search
    }

    /// The query of `/mail?folder=...&page=...&sort=...&q=...`; bad values fall back to the defaults.
    public init(_ fields: FormFields) {
        folder = fields["folder"].flatMap { $0.isEmpty ? nil : $0 } ?? "INBOX"
        page = max(1, min(1_000_000, Int(fields["page"] ?? "") ?? 1))
        sort = fields["sort"].flatMap(MessageSort.init(rawValue:)) ?? .arrivalDescending
        search = String((fields["q"] ?? "").prefix(200))
    }

    /// The search words, lowercased.
    public var words: [String] { search.lowercased().split(separator: " ").map(String.init) }

    /// The indices of one page among `total` items.
    public func range(total: Int, pageSize: Int) -> Range<Int> {
        let start = min(total, (page - 1) * pageSize)
        return start..<min(total, start + pageSize)
    }
}
