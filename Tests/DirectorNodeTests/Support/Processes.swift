import Foundation
import ShoalTestFixtures

/// The Python programs of this target (`Peers/*.py`).
let peers = PythonPeers(Bundle.module)

/// A Python real server on loopback (`Peers/backend.py`).
final class Backend: @unchecked Sendable {
    let name: String
    let host: String
    let port: Int
    let child: TestProcess

    /// Starts the backend and waits (blocking this thread, briefly) until it is bound.
    init(_ mode: String, _ host: String, _ port: Int, name: String, extra: [String] = []) throws {
        self.name = name
        self.host = host
        self.port = port
        child = try peers.launch("backend.py", [mode, host, String(port), name] + extra)
        if mode == "udp" {
            // A datagram sent before the backend is bound is lost: wait until it says so.
            let deadline = Date().addingTimeInterval(10)
            while !child.outputLines.contains("ready") {
                guard Date() < deadline, child.isRunning else {
                    throw TestProcessError("the UDP backend on \(host):\(port) did not start in 10 s: \(child.standardError)")
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
        } else {
            try TestPorts.waitForListenerBlocking(host, [port], process: child)
        }
    }

    var endpoint: String { "\(host):\(port)" }

    func kill() { child.kill() }
}

/// Runs the Python HTTP client (`Peers/client.py get`) to completion (blocking: call it in `offPool`); its output lines.
func httpGets(_ url: String, count: Int) throws -> [String] {
    let child = try peers.launch("client.py", ["get", url, String(count)])
    try child.waitBlocking()
    return child.outputLines
}

/// A Python HTTP client (`Peers/client.py loop`) looping until `finish()`.
final class LoopingClient: @unchecked Sendable {
    let child: TestProcess
    let stopFile: String

    init(_ url: String) throws {
        stopFile = NSTemporaryDirectory() + "shoal-stop-\(UUID().uuidString)"
        child = try peers.launch("client.py", ["loop", url, stopFile])
    }

    /// Stops the loop and returns every result line.
    func finish() async -> [String] {
        _ = FileManager.default.createFile(atPath: stopFile, contents: Data())
        _ = try? await child.wait()
        try? FileManager.default.removeItem(atPath: stopFile)
        return child.outputLines
    }
}

/// Counts of each distinct line.
func tally(_ lines: [String]) -> [String: Int] {
    lines.reduce(into: [:]) { $0[$1, default: 0] += 1 }
}
