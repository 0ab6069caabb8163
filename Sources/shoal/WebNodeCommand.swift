import ArgumentParser
import Logging
import NIOPosix
import ShoalServer
import WebServer

extension Shoal {
    /// `shoal web-node --config FILE`: one static web node serving a (shared) document root.
    struct WebNodeCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "web-node",
            abstract: "Run a web node: a static HTTP/1.1 (and HTTPS) server for a document root on shared storage.",
            discussion: """
                The configuration file is YAML; see the README for every field. SIGTERM or SIGINT stop accepting and
                let answers under way finish; SIGHUP re-reads the TLS certificate, reopens the access log and empties
                the file cache.
                """
        )

        @Option(name: .long, help: "The node's configuration file (YAML).")
        var config: String

        func run() async throws {
            let logger = Logger(label: "shoal.web-node")
            NodeRunner.prepareProcess()
            let node: WebNode
            do {
                let configuration = try WebNodeConfiguration.load(path: config)
                let group = configuration.eventLoops.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) } ?? .singleton
                node = try WebNode(configuration, group: group, logger: logger)
                try await node.start()
            } catch {
                try exitWithError(error)
            }
            try await NodeRunner.run([node], reload: { await node.reload() }, logger: logger)
        }
    }
}
