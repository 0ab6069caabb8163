import IMAPServer
import MIME

/// The message list as threads: RFC 5256 THREAD=REFERENCES, computed by the IMAP server's `IMAPThreader` over the
/// same `IMAPSortValues` its THREAD command uses, shown newest thread first, each thread depth-first.
enum MessageThreads {
    /// The deepest indentation the list shows; deeper replies are drawn at this depth.
    static let maximumDepth = 8

    /// The messages of `threads` (node ids are UIDs) in list order with their depth in the thread; dummies (messages
    /// referred to but absent) are not rows, their children take their place. Iterative: threads may be deep.
    static func rows(_ threads: [IMAPThreadNode]) -> [(uid: UInt32, depth: Int)] {
        var rows: [(uid: UInt32, depth: Int)] = []
        for thread in threads.reversed() {
            var stack: [(node: IMAPThreadNode, depth: Int)] = [(thread, 0)]
            while let next = stack.popLast() {
                let (node, depth) = next
                var childDepth = depth
                if let uid = node.id {
                    rows.append((uid, min(depth, maximumDepth)))
                    childDepth = depth + 1
                }
                for child in node.children.reversed() { stack.append((child, childDepth)) }
            }
        }
        return rows
    }
}

/// What threading needs of each message (`IMAPSortValues`: subject, dates, Message-ID, References), read once per
/// process and kept by Maildir base name, as the summaries are.
typealias ThreadValuesCache = BaseNameCache<IMAPSortValues>
