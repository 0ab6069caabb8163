import ArgumentParser
import HTTPCache
import Logging
import NIOPosix
import ShoalServer

extension Shoal {
    /// `shoal cache-node --config FILE`: one HTTP cache node (reverse and/or forward proxy) with ICP.
    struct CacheNodeCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cache-node",
            abstract: "Run a cache node: an HTTP/1.1 caching proxy on local disk that asks its ICP siblings before the origin.",
            discussion: """
                The configuration file is YAML (see CacheNodeConfiguration). SIGTERM or SIGINT stop accepting and let
                answers under way finish; SIGHUP reopens the access log.
                """
        )

        @Option(name: .long, help: "The node's configuration file (YAML).")
        var config: String

        func run() async throws {
            let logger = Logger(label: "shoal.cache-node")
            NodeRunner.prepareProcess()
            let node: CacheNode
            do {
                let configuration = try CacheNodeConfiguration.load(path: config)
                let group = configuration.eventLoops.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) } ?? .singleton
                node = try CacheNode(configuration, group: group, logger: logger)
                try await node.start()
            } catch {
                try exitWithError(error)
            }
            try await NodeRunner.run([node], reload: { await node.reload() }, logger: logger)
        }
    }
}
