import ArgumentParser
import Logging
import MailNode
import ShoalServer

extension Shoal {
    /// `shoal mail-node --config FILE`: one mail node (SMTP and LMTP) on the shared store.
    struct MailNodeCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mail-node",
            abstract: "Run a mail node: SMTP and LMTP into the shared Maildir++ store, users from the directory.",
            discussion: """
                The configuration file is YAML; see the README for every field. SIGTERM or SIGINT stop accepting and
                let sessions finish (deliveries under way complete); SIGHUP re-reads the TLS certificate.
                """
        )

        @Option(name: .long, help: "The node's configuration file (YAML).")
        var config: String

        func run() async throws {
            let logger = Logger(label: "shoal.mail-node")
            NodeRunner.prepareProcess()
            let node: MailNode
            do {
                node = try await MailNode(MailNodeConfiguration.load(path: config), logger: logger)
                try await node.start()
            } catch {
                try exitWithError(error)
            }
            try await NodeRunner.run([node], reload: { await node.reload() }, logger: logger)
        }
    }
}
