/// SORT (RFC 5256 §3): messages ordered by the criteria in turn, ties left in mailbox order; strings compare
/// i;ascii-casemap (the values are casemapped already).
public enum IMAPSorter {
    public static func sort(_ messages: [IMAPSortValues], by criteria: [IMAPSortCriterion]) -> [IMAPSortValues] {
        messages.sorted { a, b in
            for criterion in criteria {
                let order = compare(a, b, criterion.key)
                if order != 0 { return criterion.reversed ? order > 0 : order < 0 }
            }
            return a.sequenceNumber < b.sequenceNumber
        }
    }

    /// -1, 0 or 1.
    static func compare(_ a: IMAPSortValues, _ b: IMAPSortValues, _ key: IMAPSortCriterion.Key) -> Int {
        switch key {
        case .arrival: compare(a.arrival, b.arrival)
        case .date: compare(a.sent, b.sent)
        case .size: compare(a.size, b.size)
        case .from: compare(a.from, b.from)
        case .to: compare(a.to, b.to)
        case .cc: compare(a.cc, b.cc)
        case .subject: compare(a.subject.key, b.subject.key)
        case .displayFrom: compare(a.displayFrom, b.displayFrom)
        case .displayTo: compare(a.displayTo, b.displayTo)
        }
    }

    static func compare<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }

    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.lexicographicallyPrecedes(b) ? -1 : (a == b ? 0 : 1)
    }

    /// SORT DATE order: sent date, then mailbox order (THREAD uses it for threads and siblings).
    static func byDate(_ a: IMAPSortValues, _ b: IMAPSortValues) -> Bool {
        a.sent != b.sent ? a.sent < b.sent : a.sequenceNumber < b.sequenceNumber
    }
}
