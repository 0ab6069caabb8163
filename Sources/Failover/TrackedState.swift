/// The pure arithmetic of tracking: tracked results in, the FAULT flag and the priority adjustment out
/// (keepalived's rule: no weight ⇒ failure is FAULT; negative weight added while failing; positive while fine).
public struct TrackedState: Hashable, Sendable {
    /// One tracked thing's weight and whether it is fine now.
    public struct Item: Hashable, Sendable {
        public var weight: Int?
        public var fine: Bool

        public init(weight: Int?, fine: Bool) {
            self.weight = weight
            self.fine = fine
        }
    }

    public var items: [Item]

    public init(items: [Item]) { self.items = items }

    public var fault: Bool { items.contains { $0.weight == nil && !$0.fine } }

    /// The sum of the weights in force.
    public var adjustment: Int {
        items.reduce(0) { sum, item in
            guard let weight = item.weight else { return sum }
            if weight < 0 && !item.fine { return sum + weight }
            if weight > 0 && item.fine { return sum + weight }
            return sum
        }
    }
}

/// fall/rise counting for one tracked script: a run of `fall` failures makes it fail, `rise` successes fine.
public struct RiseFallCounter: Hashable, Sendable {
    public let rise: Int
    public let fall: Int
    public private(set) var fine = true
    private var streak = 0

    public init(rise: Int, fall: Int) {
        self.rise = rise
        self.fall = fall
    }

    public mutating func record(success: Bool) {
        if success == fine {
            streak = 0
            return
        }
        streak += 1
        if streak >= (success ? rise : fall) {
            fine = success
            streak = 0
        }
    }
}
