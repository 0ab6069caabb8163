import Foundation
import ShoalTestFixtures

/// A tiny SMTP server in Python (Peers/relay_peer.py) for the relay client's tests, in one of three moods:
/// `accept` (a normal MTA that refuses `nobody@` recipients and logs the session), `silent` (accepts the
/// connection and never says a word) and `reject` (greets with 554).
final class RelayPeer: @unchecked Sendable {
    let process: TestProcess
    let port: Int
    /// The session log: one line per command, then `DATA:` and the message as received (dot-stuffed).
    let logPath: String

    /// Starts the peer and waits (without holding a pool thread) for the port it listens on.
    static func start(_ mood: String) async throws -> RelayPeer {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("relay-peer-\(UUID().uuidString).log").path
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = try peers.launch("relay_peer.py", [mood, log])
        let line = try await process.readLine(timeout: 30) ?? ""
        guard let port = Int(line) else {
            process.kill()
            throw HarnessError("relay peer printed '\(line)', not a port")
        }
        return RelayPeer(process: process, port: port, logPath: log)
    }

    init(process: TestProcess, port: Int, logPath: String) {
        self.process = process
        self.port = port
        self.logPath = logPath
    }

    /// What the peer received.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Kills the peer and removes its log.
    func stop() {
        process.kill()
        try? FileManager.default.removeItem(atPath: logPath)
    }
}
