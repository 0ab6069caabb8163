public import Director
public import Logging
import NIOConcurrencyHelpers
import ShoalCore

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
        guard let stream = self.stream.withLockedValue({ s in defer { s = nil }; return s }) else { return }
        let task = Task { [nft, options, logger, mirror] in
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
                    try await nft.run(try NFTRuleset(next, options: options).json)
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
