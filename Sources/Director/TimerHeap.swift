/// What a pending timer does when it fires; the order breaks ties at equal times.
enum TimerKind: Int, Comparable, Sendable {
    /// An established connection's scheduled end: active becomes inactive.
    case close = 0
    /// A connection's expiry: it leaves the table.
    case expire = 1
    /// A template's expiry: it leaves, or waits 60 s more while connections hang off it.
    case templateExpire = 2
    static func < (a: TimerKind, b: TimerKind) -> Bool { a.rawValue < b.rawValue }
}

/// One pending timer; stale ones (the entry moved on) are skipped when popped.
struct TimerEntry: Comparable, Sendable {
    var time: DirectorTime
    var kind: TimerKind
    var sequence: UInt64
    var connection: ConnectionID

    static func < (a: TimerEntry, b: TimerEntry) -> Bool {
        if a.time != b.time { return a.time < b.time }
        if a.kind != b.kind { return a.kind < b.kind }
        return a.sequence < b.sequence
    }
}

/// A binary min-heap of timers ordered by time, then kind, then arming order.
struct TimerHeap: Sendable {
    private var items: [TimerEntry] = []
    private var sequence: UInt64 = 0

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var first: TimerEntry? { items.first }

    mutating func push(_ time: DirectorTime, _ kind: TimerKind, _ connection: ConnectionID) {
        sequence += 1
        items.append(TimerEntry(time: time, kind: kind, sequence: sequence, connection: connection))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if items[i] < items[parent] {
                items.swapAt(i, parent)
                i = parent
            } else {
                break
            }
        }
    }

    mutating func pop() -> TimerEntry? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l] < items[m] { m = l }
                if r < items.count && items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }

    mutating func removeAll() { items.removeAll() }
}
