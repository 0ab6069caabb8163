/// What the health state machine asks its driver to do after an input.
public enum HealthAction: Hashable, Sendable {
    /// Run the next check after this many seconds (the delay_loop, or 0 for the first check).
    case scheduleCheck(after: Double)
    /// Run the same check again after this many seconds (delay_before_retry); the failure is not counted yet.
    case retry(after: Double)
    /// The server changed state.
    case transition(isUp: Bool)
    /// A command check asked for a new weight (keepalived misc_dynamic).
    case weightChange(Int)
}

/// The health of one real server as a pure state machine: attempt results in, actions out.
///
/// keepalived semantics: a failed attempt is retried `retry` times, `delay_before_retry` apart, before it
/// counts as one failed check; `fall` consecutive failed checks bring an up server down and `rise`
/// consecutive good checks bring a down server up. With `alpha` a server starts down until proven up;
/// otherwise it starts up.
public struct HealthState: Hashable, Sendable {
    public let spec: CheckSpec
    public private(set) var isUp: Bool
    /// The weight a command check last asked for, if it ever did.
    public private(set) var dynamicWeight: Int?
    /// Consecutive good checks (reset by a failed one).
    public private(set) var goodStreak = 0
    /// Consecutive failed checks (reset by a good one).
    public private(set) var badStreak = 0
    /// Retries spent on the current check.
    public private(set) var retriesUsed = 0
    /// The most recent attempt results, oldest first, at most `historyLimit`.
    public private(set) var history: [CheckResult] = []
    /// When the server last changed state.
    public private(set) var lastChange: Double?
    public let historyLimit: Int

    public init(spec: CheckSpec, alpha: Bool, historyLimit: Int = 20) {
        self.spec = spec
        self.isUp = !alpha
        self.historyLimit = max(1, historyLimit)
    }

    /// The first action: check at once.
    public func start() -> [HealthAction] { [.scheduleCheck(after: 0)] }

    /// Records one attempt and says what to do next.
    public mutating func record(_ result: CheckResult) -> [HealthAction] {
        history.append(result)
        if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }

        guard result.succeeded else {
            if retriesUsed < spec.retry {
                retriesUsed += 1
                return [.retry(after: spec.delayBeforeRetry)]
            }
            retriesUsed = 0
            goodStreak = 0
            badStreak += 1
            var actions: [HealthAction] = []
            if isUp && badStreak >= spec.fall {
                isUp = false
                lastChange = result.time
                actions.append(.transition(isUp: false))
            }
            actions.append(.scheduleCheck(after: spec.delayLoop))
            return actions
        }

        retriesUsed = 0
        badStreak = 0
        goodStreak += 1
        var actions: [HealthAction] = []
        if let weight = result.dynamicWeight, weight != dynamicWeight {
            dynamicWeight = weight
            actions.append(.weightChange(weight))
        }
        if !isUp && goodStreak >= spec.rise {
            isUp = true
            lastChange = result.time
            actions.append(.transition(isUp: true))
        }
        actions.append(.scheduleCheck(after: spec.delayLoop))
        return actions
    }

    /// The report the admin API shows.
    public var report: ServerHealthReport {
        ServerHealthReport(isUp: isUp, checkKind: spec.kind.name, lastResult: history.last, history: history,
                           lastChange: lastChange, dynamicWeight: dynamicWeight)
    }
}
