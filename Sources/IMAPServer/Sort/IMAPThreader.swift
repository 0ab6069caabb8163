/// One thread node: a message (its sequence number or UID), or a dummy for a message referred to but absent.
public struct IMAPThreadNode: Hashable, Sendable {
    public var id: UInt32?
    public var children: [IMAPThreadNode]

    public init(id: UInt32?, children: [IMAPThreadNode] = []) {
        self.id = id
        self.children = children
    }
}

/// THREAD (RFC 5256 §3): ORDEREDSUBJECT and REFERENCES over the messages' ``IMAPSortValues``, and the
/// parenthesized answer (RFC 5256 §4).
public enum IMAPThreader {
    /// Messages grouped by base subject; in each group the earliest is the parent of the rest; threads by date.
    public static func orderedSubject(_ messages: [IMAPSortValues], uid: Bool) -> [IMAPThreadNode] {
        let sorted = messages.sorted { a, b in
            a.subject.key != b.subject.key ? a.subject.key.lexicographicallyPrecedes(b.subject.key) : IMAPSorter.byDate(a, b)
        }
        var threads: [(first: IMAPSortValues, node: IMAPThreadNode)] = []
        var index = 0
        while index < sorted.count {
            var end = index + 1
            while end < sorted.count && sorted[end].subject.key == sorted[index].subject.key { end += 1 }
            let children = sorted[(index + 1)..<end].map { IMAPThreadNode(id: id($0, uid)) }
            threads.append((sorted[index], IMAPThreadNode(id: id(sorted[index], uid), children: children)))
            index = end
        }
        return threads.sorted { IMAPSorter.byDate($0.first, $1.first) }.map(\.node)
    }

    static func id(_ message: IMAPSortValues, _ uid: Bool) -> UInt32 { uid ? message.uid : UInt32(message.sequenceNumber) }

    /// `(1)(2 3 (4)(5))`: each thread in parentheses; one child follows its parent, several are each parenthesized.
    public static func render(_ threads: [IMAPThreadNode]) -> String {
        threads.map { "(" + render(node: $0) + ")" }.joined()
    }

    static func render(node: IMAPThreadNode) -> String {
        // A chain of only children is written iteratively (threads may be deep).
        var parts: [String] = []
        var current = node
        while true {
            if let id = current.id { parts.append("\(id)") }
            if current.children.count == 1 {
                current = current.children[0]
                continue
            }
            if !current.children.isEmpty {
                let nested = current.children.map { "(" + render(node: $0) + ")" }.joined()
                if parts.isEmpty { parts.append(nested) } else { parts[parts.count - 1] += " " + nested }
            }
            break
        }
        return parts.joined(separator: " ")
    }
}
