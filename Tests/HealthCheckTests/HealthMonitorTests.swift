import Director
import Foundation
import HealthCheck
import Logging
import ShoalCore
import Testing

/// Log lines kept in memory, so a test can see the monitor's structured lines.
final class CapturedLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] = []

    func append(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) {
        lock.withLock { lines.append((level, message, metadata)) }
    }

    func matching(_ message: String) -> [Logger.Metadata] {
        lock.withLock { lines.filter { $0.message == message }.map(\.metadata) }
    }
}

/// A swift-log handler writing to ``CapturedLogs``.
struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        logs.append(event.level, "\(event.message)", metadata.merging(event.metadata ?? [:]) { _, new in new })
    }
}

/// Every event of a monitor, collected by one task so that none is lost between waits.
final class CollectedEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [HealthEvent] = []

    init(_ monitor: HealthMonitor) {
        Task { [self] in
            for await event in monitor.events { lock.withLock { events.append(event) } }
        }
    }

    var all: [HealthEvent] { lock.withLock { events } }
}

/// The monitor end to end: a server proven up, stopped mid-run, reported down; reload semantics.
@Suite struct HealthMonitorTests {
    static let service = VirtualServiceKey.address(.tcp, Endpoint("10.61.1.1:80")!)

    /// The first event for `key` with `isUp` after the first `skip` events, or nil when none came within
    /// `limit` seconds (a hang guard, not a timing assertion).
    static func event(_ events: CollectedEvents, _ key: HealthKey, isUp: Bool, skip: Int = 0, limit: Double = 60) async -> HealthEvent? {
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            if let event = events.all.dropFirst(skip).first(where: { $0.key == key && $0.isUp == isUp }) { return event }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return nil
    }

    @Test func serverStoppedMidRunIsReportedDown() async throws {
        let logs = CapturedLogs()
        let logger = Logger(label: "hc-test") { _ in CapturingLogHandler(logs: logs) }
        let monitor = HealthMonitor(group: testGroup, logger: logger)
        let events = CollectedEvents(monitor)
        let peer = try await PythonPeer("accept", host: "127.0.61.20")
        let key = HealthKey(service: Self.service, server: peer.endpoint)
        let spec = CheckSpec(kind: .tcp, delayLoop: 0.2, connectTimeout: 1, retry: 1, delayBeforeRetry: 0.1)
        await monitor.update([key: (check: spec, alpha: true)])

        let up = await Self.event(events, key, isUp: true)  // alpha: down until proven up
        #expect(up?.report.lastResult?.message == "connected")
        #expect(up?.report.lastChange != nil)
        #expect(await monitor.reports()[key]?.isUp == true)

        peer.stop()
        let down = await Self.event(events, key, isUp: false)
        #expect(down?.report.lastResult?.message == "connection refused")
        #expect(down?.report.isUp == false)
        let report = await monitor.reports()[key]
        #expect(report?.isUp == false)
        // retry 1: the failed check is the second failed attempt in a row.
        #expect(report.map { Array($0.history.suffix(2).map(\.succeeded)) } == [false, false])

        let downLines = logs.matching("real server down")
        #expect(downLines.count == 1)
        #expect(downLines.first?["server"] == "\(peer.endpoint)")
        #expect(downLines.first?["service"] == "-t 10.61.1.1:80")
        #expect(downLines.first?["check"] == "tcp")
        #expect(logs.matching("real server up").count == 1)
        await monitor.stop()
    }

    @Test func updateKeepsUnchangedChecksAndStopsRemovedOnes() async throws {
        let monitor = HealthMonitor(group: testGroup, logger: Logger(label: "hc-test"))
        let events = CollectedEvents(monitor)
        let peer = try await PythonPeer("accept", host: "127.0.61.21")
        let closed = try closedPort(on: "127.0.61.21")
        let good = HealthKey(service: Self.service, server: peer.endpoint)
        let bad = HealthKey(service: Self.service, server: closed)
        let spec = CheckSpec(kind: .tcp, delayLoop: 0.2, connectTimeout: 1, retry: 0, delayBeforeRetry: 0.1)
        await monitor.update([good: (check: spec, alpha: true), bad: (check: spec, alpha: false)])
        #expect(await Self.event(events, good, isUp: true) != nil)
        #expect(await Self.event(events, bad, isUp: false) != nil)

        // Same spec for `good`: it keeps its state (stays up, history kept); `bad` is gone.
        let before = await monitor.reports()[good]?.history.count ?? 0
        await monitor.update([good: (check: spec, alpha: true)])
        let reports = await monitor.reports()
        #expect(reports[bad] == nil)
        #expect(reports[good]?.isUp == true)
        #expect((reports[good]?.history.count ?? 0) >= before)

        // A changed spec restarts the check (alpha again: down until proven up, and an event says so).
        var changed = spec
        changed.rise = 2
        let seen = events.all.count
        await monitor.update([good: (check: changed, alpha: true)])
        #expect(await Self.event(events, good, isUp: false, skip: seen) != nil)
        #expect(await Self.event(events, good, isUp: true, skip: seen) != nil)

        await monitor.stop()
        #expect(await monitor.reports().isEmpty)
    }

    @Test func dynamicWeightEventsFromACommandCheck() async throws {
        let monitor = HealthMonitor(group: testGroup, logger: Logger(label: "hc-test"))
        let events = CollectedEvents(monitor)
        let key = HealthKey(service: Self.service, server: Endpoint("127.0.61.22:80")!)
        let spec = CheckSpec(kind: .command(CommandCheck(command: "exit 5", timeout: 60, dynamicWeight: true)),
                             delayLoop: 0.2, connectTimeout: 1, retry: 0)
        await monitor.update([key: (check: spec, alpha: true)])
        let up = await Self.event(events, key, isUp: true)
        #expect(up?.dynamicWeight == 3)
        #expect(up?.report.dynamicWeight == 3)
        await monitor.stop()
    }
}
