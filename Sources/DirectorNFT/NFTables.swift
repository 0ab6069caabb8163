import CNFTables
import NIOPosix

/// libnftables, one context on a thread of its own: the blocking netlink calls never run on an event loop
/// or the concurrency pool. Input and output are JSON.
public final class NFTables: Sendable {
    let pool: NIOThreadPool
    private let context: ContextBox

    /// The context, used by the pool's one thread only.
    private final class ContextBox: @unchecked Sendable {
        let ctx: OpaquePointer?
        init() { ctx = shoal_nft_open() }
        deinit { if let ctx { shoal_nft_close(ctx) } }
    }

    public init() {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        context = ContextBox()
    }

    /// Stops the thread; later calls fail.
    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }

    /// Runs one JSON batch (all of it or none: nftables commits a batch as one transaction); returns what
    /// nft printed (JSON, for list commands). `dryRun`: the kernel checks the batch and discards it.
    @discardableResult
    public func run(_ commands: String, dryRun: Bool = false) async throws(NFTablesError) -> String {
        let context = self.context
        let outcome: Result<String, NFTablesError>
        do {
            outcome = try await pool.runIfActive { () -> Result<String, NFTablesError> in
                guard let ctx = context.ctx else { return .failure(NFTablesError(commands: commands, message: "cannot create a libnftables context")) }
                shoal_nft_set_dry_run(ctx, dryRun)
                let status = shoal_nft_run(ctx, commands)
                let output = shoal_nft_output(ctx).map { String(cString: $0) } ?? ""
                let errors = shoal_nft_errors(ctx).map { String(cString: $0) } ?? ""
                guard status == 0 else {
                    return .failure(NFTablesError(commands: commands, message: errors.isEmpty ? "nftables refused the batch" : errors))
                }
                return .success(output)
            }
        } catch {
            throw NFTablesError(commands: commands, message: "thread pool: \(error)")
        }
        return try outcome.get()
    }
}

/// nftables refused a batch: its messages (which name the offending part) and the batch's first command.
public struct NFTablesError: Error, Hashable, Sendable, CustomStringConvertible {
    public var commands: String
    public var message: String

    public var description: String {
        "nftables: \(message.trimmingCharacters(in: [" ", "\n"]))"
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
