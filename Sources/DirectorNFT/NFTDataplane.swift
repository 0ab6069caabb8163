public import Director
public import Logging
import NIOConcurrencyHelpers
public import ShoalCore

/// The director's nftables dataplane: the kernel forwards by the rules `NFTRuleset` writes. It keeps a
/// copy of the runtime's live table, applies each command diff the runtime sends to it in order, and
/// replaces the ruleset (one atomic batch) after each; a table nftables cannot carry keeps the rules before it.
public final class NFTDataplane: Sendable {
    public let nft: NFTables
    public let options: NFTRuleset.Options
    let logger: Logger
    private let mirror: NIOLockedValueBox<DirectorTable>
    private let queue: AsyncStream<[IPVSCommand]>.Continuation
    private let stream: NIOLockedValueBox<AsyncStream<[IPVSCommand]>?>
    private let worker: NIOLockedValueBox<Task<Void, Never>?> = NIOLockedValueBox(nil)
    /// The counters of the rules in the kernel, and what earlier rulesets counted (a replacement starts
    /// its counters at zero, so their last readings are carried over, per service and server).
    private let counting = NIOLockedValueBox(Counting())

    struct Counting {
        var plan = NFTCounterPlan([])
        var carried: [VirtualServiceKey: [Endpoint: TrafficStats]] = [:]
    }

    public init(options: NFTRuleset.Options, nft: NFTables = NFTables(), logger: Logger) {
        self.nft = nft
        self.options = options
        self.logger = logger
        mirror = NIOLockedValueBox(DirectorTable())
        let (stream, continuation) = AsyncStream<[IPVSCommand]>.makeStream()
        queue = continuation
        self.stream = NIOLockedValueBox(stream)
    }

    /// Checks that nftables can carry `table` (nothing is applied).
    public static func check(_ table: DirectorTable, options: NFTRuleset.Options) throws(NFTRulesetError) {
        _ = try NFTRuleset(table, options: options)
    }

    /// Replaces the director's tables with `table`'s ruleset, then starts following the queued diffs.
    /// Throws when nftables cannot carry the table or the kernel refuses it (then nothing changed).
    public func start(with table: DirectorTable) async throws {
        let ruleset = try NFTRuleset(table, options: options)
        try await nft.run(ruleset.json)
        mirror.withLockedValue { $0 = table }
        counting.withLockedValue { $0 = Counting(plan: ruleset.counterPlan) }
        guard let stream = self.stream.withLockedValue({ s in defer { s = nil }; return s }) else { return }
        let task = Task { [self, nft, options, logger, mirror] in
            for await commands in stream {
                let next: DirectorTable
                do throws(ConfigError) {
                    var copy = mirror.withLockedValue { $0 }
                    try copy.apply(batch: commands.map { (0, $0) })
                    next = copy
                } catch {
                    logger.error("nftables dataplane: cannot follow a change", metadata: ["error": "\(error)"])
                    continue
                }
                mirror.withLockedValue { $0 = next }
                do {
                    let ruleset = try NFTRuleset(next, options: options)
                    let before = await self.readCounters()
                    try await nft.run(ruleset.json)
                    self.counting.withLockedValue { counting in
                        counting.carried = Self.adding(before, to: [:], only: next)
                        counting.plan = ruleset.counterPlan
                    }
                    logger.debug("nftables ruleset replaced", metadata: ["commands": "\(commands.count)"])
                } catch {
                    logger.error("nftables kept its previous rules", metadata: ["error": "\(error)"])
                }
            }
        }
        worker.withLockedValue { $0 = task }
    }

    /// Queues a diff; diffs are applied one after another in the order they were queued.
    public func enqueue(_ commands: [IPVSCommand]) {
        guard !commands.isEmpty else { return }
        queue.yield(commands)
    }

    /// What each real server's rules counted (packets and bytes in; NAT: out and connections too) since
    /// the dataplane started, for the servers of the current table.
    public func counters() async -> [VirtualServiceKey: [Endpoint: TrafficStats]] {
        await readCounters()
    }

    /// The current rules' counters plus what earlier rulesets carried over.
    private func readCounters() async -> [VirtualServiceKey: [Endpoint: TrafficStats]] {
        let (plan, carried) = counting.withLockedValue { ($0.plan, $0.carried) }
        var readings: [String: NFTCounterReading] = [:]
        var families: [String] = []
        if !plan.nat.isEmpty { families.append("inet") }
        if !plan.directRouting.isEmpty { families.append("netdev") }
        for family in families {
            guard let output = try? await nft.run(NFTRuleset.listing(options: options, family: family)),
                  let read = NFTCounterReading.parse(output) else { continue }
            readings.merge(read) { a, _ in a }
        }
        return Self.adding(carried, to: plan.stats(readings), only: nil)
    }

    /// `extra` added into `base`, per service and server; with `table`, only its services' servers are kept.
    static func adding(_ extra: [VirtualServiceKey: [Endpoint: TrafficStats]], to base: [VirtualServiceKey: [Endpoint: TrafficStats]],
                       only table: DirectorTable?) -> [VirtualServiceKey: [Endpoint: TrafficStats]] {
        var out = base
        for (key, servers) in extra {
            for (server, stats) in servers {
                if let table, table.service(key)?.servers.contains(where: { $0.endpoint == server }) != true { continue }
                out[key, default: [:]][server, default: TrafficStats()] += stats
            }
        }
        return out
    }

    /// The table the rules were last built from.
    public var table: DirectorTable { mirror.withLockedValue { $0 } }

    /// Waits for the queued diffs, then removes the director's tables unless `keepRules`, and stops.
    public func shutdown(keepRules: Bool) async {
        queue.finish()
        await worker.withLockedValue { $0 }?.value
        if !keepRules {
            do {
                try await nft.run(NFTRuleset.removal(options: options))
            } catch {
                logger.error("cannot remove the nftables tables", metadata: ["error": "\(error)"])
            }
        }
        await nft.shutdown()
    }
}
