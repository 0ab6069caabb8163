import ArgumentParser
import Dispatch
import Foundation
import Logging
import SMTPServer
import ShoalCore

extension Shoal {
    /// `shoal mail-node --config FILE`: one mail node (SMTP and LMTP) on the shared store.
    struct MailNodeCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mail-node",
            abstract: "Run a mail node: SMTP and LMTP into the shared Maildir++ store, users from the directory.",
            discussion: "The configuration file is YAML; see the README for every field. SIGTERM or SIGINT stops it."
        )

        @Option(name: .long, help: "The node's configuration file (YAML).")
        var config: String

        func run() async throws {
            let configuration: MailNodeConfiguration
            do {
                configuration = try MailNodeConfiguration.load(path: config)
            } catch {
                try exitWithError(error)
            }
            let node: MailNode
            do {
                node = try await MailNode.start(configuration)
            } catch {
                try exitWithError(error)
            }
            await waitForTerminationSignal()
            await node.stop()
        }
    }
}

/// Suspends until SIGTERM or SIGINT arrives.
func waitForTerminationSignal() async {
    // A parent that started us from a thread blocking SIGTERM (Dispatch workers do) passes that mask on.
    var unblock = sigset_t()
    sigemptyset(&unblock)
    sigaddset(&unblock, SIGTERM)
    sigaddset(&unblock, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    signal(SIGTERM, SIG_IGN)
    signal(SIGINT, SIG_IGN)
    let queue = DispatchQueue(label: "shoal.signals")
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let once = OnceFlag()
        let sources = [SIGTERM, SIGINT].map { DispatchSource.makeSignalSource(signal: $0, queue: queue) }
        for source in sources {
            source.setEventHandler {
                if once.claim() {
                    sources.forEach { $0.cancel() }
                    continuation.resume()
                }
            }
            source.resume()
        }
        SignalSources.keep(sources)
    }
}

/// Keeps signal sources alive while they wait.
enum SignalSources {
    nonisolated(unsafe) static var retained: [any DispatchSourceSignal] = []
    static func keep(_ sources: [any DispatchSourceSignal]) { retained = sources }
}

/// A flag that can be claimed once from any thread.
final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false
    func claim() -> Bool { lock.withLock { defer { claimed = true }; return !claimed } }
}
