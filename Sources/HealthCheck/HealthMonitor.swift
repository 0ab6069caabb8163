public import Logging
public import NIOCore

/// A change of one server's health, as the director consumes it.
public struct HealthEvent: Sendable {
    public var key: HealthKey
    public var isUp: Bool
    /// The weight a command check with dynamic_weight asked for, if any.
    public var dynamicWeight: Int?
    public var report: ServerHealthReport

    public init(key: HealthKey, isUp: Bool, dynamicWeight: Int?, report: ServerHealthReport) {
        self.key = key
        self.isUp = isUp
        self.dynamicWeight = dynamicWeight
        self.report = report
    }
}

/// Runs the health checks of every real server, each in its own task, and reports changes.
///
/// A server starts up, or down when its target says `alpha`; ``events`` then carries one event per
/// state change or dynamic weight change (and one when a restarted check starts in another state than
/// the one it replaces). Sockets run on the given event loop group; commands run as child processes.
public actor HealthMonitor {
    /// One running check.
    private struct Run {
        var spec: CheckSpec
        var state: HealthState
        var task: Task<Void, Never>
        var id: UInt64
    }

    /// State changes, in order. Finishes when the monitor stops.
    public nonisolated let events: AsyncStream<HealthEvent>
    private let continuation: AsyncStream<HealthEvent>.Continuation
    private let group: any EventLoopGroup
    private let logger: Logger
    private var runs: [HealthKey: Run] = [:]
    private var nextID: UInt64 = 0
    private var stopped = false

    public init(group: any EventLoopGroup, logger: Logger) {
        self.group = group
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: HealthEvent.self, bufferingPolicy: .bufferingNewest(10_000))
    }

    /// Makes the running checks match `targets`: starts new ones, stops removed ones, restarts changed
    /// ones, and leaves the ones whose spec did not change running with their state.
    public func update(_ targets: [HealthKey: (check: CheckSpec, alpha: Bool)]) {
        guard !stopped else { return }
        for (key, run) in runs where targets[key] == nil {
            run.task.cancel()
            runs[key] = nil
            logger.info("health check stopped", metadata: metadata(key, spec: run.spec))
        }
        for (key, target) in targets {
            if let run = runs[key], run.spec == target.check { continue }
            let previous = runs[key]
            previous?.task.cancel()
            nextID += 1
            let state = HealthState(spec: target.check, alpha: target.alpha)
            runs[key] = Run(spec: target.check, state: state, task: start(key: key, spec: target.check, id: nextID), id: nextID)
            logger.info("health check started", metadata: metadata(key, spec: target.check, extra: ["up": "\(state.isUp)"]))
            if let previous, previous.state.isUp != state.isUp {
                continuation.yield(HealthEvent(key: key, isUp: state.isUp, dynamicWeight: nil, report: state.report))
            }
        }
    }

    /// The health of every checked server.
    public func reports() -> [HealthKey: ServerHealthReport] {
        runs.mapValues(\.state.report)
    }

    /// Stops every check and finishes ``events``.
    public func stop() {
        stopped = true
        for run in runs.values { run.task.cancel() }
        runs = [:]
        continuation.finish()
    }

    private func start(key: HealthKey, spec: CheckSpec, id: UInt64) -> Task<Void, Never> {
        let checker = Checkers.make(spec, group: group)
        return Task { [weak self] in
            var delay = 0.0
            while !Task.isCancelled {
                if delay > 0 {
                    do { try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000)) } catch { return }
                }
                let result = await checker.check(key.server)
                guard !Task.isCancelled, let self, let next = await self.record(key: key, id: id, result: result) else { return }
                delay = next
            }
        }
    }

    /// Feeds one attempt to the server's state machine; the delay before the next attempt, or nil to stop.
    private func record(key: HealthKey, id: UInt64, result: CheckResult) -> Double? {
        guard var run = runs[key], run.id == id else { return nil }
        let actions = run.state.record(result)
        runs[key] = run
        var delay: Double?
        var changed = false
        for action in actions {
            switch action {
            case let .scheduleCheck(after), let .retry(after):
                delay = after
            case let .transition(isUp):
                changed = true
                let fields = metadata(key, spec: run.spec, extra: ["result": "\(result.message)"])
                if isUp {
                    logger.notice("real server up", metadata: fields)
                } else {
                    logger.warning("real server down", metadata: fields)
                }
            case let .weightChange(weight):
                changed = true
                logger.notice("real server weight changed",
                              metadata: metadata(key, spec: run.spec, extra: ["weight": "\(weight)", "result": "\(result.message)"]))
            }
        }
        if changed {
            continuation.yield(HealthEvent(key: key, isUp: run.state.isUp, dynamicWeight: run.state.dynamicWeight, report: run.state.report))
        }
        return delay ?? run.spec.delayLoop
    }

    private func metadata(_ key: HealthKey, spec: CheckSpec, extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var fields: Logger.Metadata = [
            "service": "\(key.service.ruleText)", "server": "\(key.server)", "check": "\(spec.kind.name)",
        ]
        fields.merge(extra) { _, new in new }
        return fields
    }
}
