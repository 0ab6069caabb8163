public import Director
public import Logging
import NIOConcurrencyHelpers

/// The director's kernel dataplane (keepalived's role): the kernel forwards, and this applies the runtime's
/// minimal command diffs to it in order, reconciles it with the runtime's table at start, and reads its
/// counters back.
public final class IPVSDataplane: Sendable {
    /// What to do with services already in the kernel at start that the configuration does not name.
    public enum Existing: String, Sendable, CaseIterable {
        /// Keep them (services the configuration names are still brought to it).
        case adopt
        /// Remove them: the kernel ends up holding exactly the configuration.
        case replace
    }

    public let kernel: IPVSKernel
    let logger: Logger
    private let queue: AsyncStream<[IPVSCommand]>.Continuation
    private let worker: NIOLockedValueBox<Task<Void, Never>?> = NIOLockedValueBox(nil)

    public init(kernel: IPVSKernel = IPVSKernel(threads: 1), logger: Logger) {
        self.kernel = kernel
        self.logger = logger
        let (stream, continuation) = AsyncStream<[IPVSCommand]>.makeStream()
        queue = continuation
        let task = Task { [kernel, logger] in
            for await commands in stream {
                do throws(IPVSBatchError) {
                    try await kernel.apply(commands)
                    for command in commands { logger.debug("kernel IPVS", metadata: ["command": "\(command)"]) }
                } catch {
                    logger.error("kernel IPVS refused a change", metadata: ["command": "\(error.command.map { "\($0)" } ?? "-")",
                                                                              "error": "\(error.error)"])
                }
            }
        }
        worker.withLockedValue { $0 = task }
    }

    /// Brings the kernel to `table`'s services, servers and timeouts; returns the commands it applied.
    @discardableResult
    public func reconcile(to table: DirectorTable, existing: Existing) async throws(IPVSBatchError) -> [IPVSCommand] {
        let snapshot: IPVSSnapshot
        do throws(IPVSKernelError) { snapshot = try await kernel.snapshot() } catch { throw IPVSBatchError(index: 0, command: nil, error: error) }
        let commands = Self.commands(from: snapshot.table, to: table, existing: existing)
        if !commands.isEmpty { try await kernel.apply(commands) }
        return commands
    }

    /// What turns the kernel's `current` table into `table`: the timeouts when they differ, then the minimal
    /// diff; with `.adopt`, services only the kernel has are left alone.
    public static func commands(from current: DirectorTable, to table: DirectorTable, existing: Existing) -> [IPVSCommand] {
        var commands: [IPVSCommand] = []
        let t = table.timeouts
        if current.timeouts != t { commands.append(.setTimeouts(tcp: t.tcp, tcpFin: t.tcpFin, udp: t.udp)) }
        var diff = current.commands(toReach: table.desiredServices)
        if existing == .adopt {
            let wanted = Set(table.services.map(\.key))
            diff.removeAll { if case let .deleteService(key) = $0 { return !wanted.contains(key) } else { return false } }
        }
        return commands + diff
    }

    /// Queues a diff for the kernel; diffs are applied one after another in the order they were queued.
    public func enqueue(_ commands: [IPVSCommand]) {
        guard !commands.isEmpty else { return }
        queue.yield(commands)
    }

    /// Waits until every queued diff has been applied, then stops (the kernel keeps its table).
    public func shutdown() async {
        queue.finish()
        await worker.withLockedValue { $0 }?.value
        await kernel.shutdown()
    }
}
