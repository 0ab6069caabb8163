import Foundation
import ShoalTestFixtures
import NIOConcurrencyHelpers

/// A peer the test started did not come up.
struct PeerFailed: Error, CustomStringConvertible {
    var description: String
}

/// A child process whose standard output is collected line by line.
final class Child: @unchecked Sendable {
    let process = Process()
    private let lines = NIOLockedValueBox<[String]>([])
    private let pipe = Pipe()
    private let drained = DispatchSemaphore(value: 0)

    init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let handle = pipe.fileHandleForReading
        let lines = self.lines, drained = self.drained
        Thread.detachNewThread {
            defer { drained.signal() }
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty {
                    // The last line may lack its newline.
                    if !pending.isEmpty { lines.withLockedValue { $0.append(String(decoding: pending, as: UTF8.self)) } }
                    break
                }
                pending.append(chunk)
                while let nl = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...nl)
                    lines.withLockedValue { $0.append(line) }
                }
            }
        }
        try process.run()
    }

    /// Every line printed so far.
    var output: [String] { lines.withLockedValue { $0 } }

    /// Waits for the child to exit on its own and for its output to be read to the end.
    func wait() {
        process.waitUntilExit()
        drained.wait()
        drained.signal()
    }

    /// `wait()` without holding a thread of the concurrency pool.
    func finished() async {
        _ = try? await offPool { self.wait() }
    }

    /// Kills the child at once (SIGKILL) and reaps it.
    func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { kill() }
}

/// A Python real server on loopback (see `PythonScripts.backend`).
final class Backend: @unchecked Sendable {
    let name: String
    let host: String
    let port: Int
    let child: Child

    init(_ mode: String, _ host: String, _ port: Int, name: String) throws {
        self.name = name
        self.host = host
        self.port = port
        child = try Child(try requiredTool("python3", package: "python3"), ["-c", PythonScripts.backend, mode, host, String(port), name])
        if mode == "udp" { try waitForReady(child, "\(host):\(port)") } else { try waitForListener(host, port) }
    }

    var endpoint: String { "\(host):\(port)" }

    func kill() { child.kill() }
}

/// Waits until a UDP backend printed that it is bound (10 s at most): a datagram sent before is lost.
func waitForReady(_ child: Child, _ address: String) throws {
    for _ in 0..<200 {
        if child.output.contains("ready") { return }
        Thread.sleep(forTimeInterval: 0.05)
    }
    throw PeerFailed(description: "the UDP backend on \(address) did not start in 10 s")
}

/// Polls until something accepts TCP connections at host:port (10 s at most).
func waitForListener(_ host: String, _ port: Int) throws {
    for _ in 0..<200 {
        if canConnect(host, port) { return }
        Thread.sleep(forTimeInterval: 0.05)
    }
    throw PeerFailed(description: "nothing listens on \(host):\(port) after 10 s")
}

/// True when a TCP connection to host:port succeeds.
func canConnect(_ host: String, _ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, host, &address.sin_addr)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// Runs the Python HTTP client (see `PythonScripts.client`) to completion; its output lines.
func httpGets(_ url: String, count: Int) throws -> [String] {
    let child = try Child(try requiredTool("python3", package: "python3"), ["-c", PythonScripts.client, "get", url, String(count)])
    child.wait()
    return child.output
}

/// A Python HTTP client looping until `stop()`.
final class LoopingClient: @unchecked Sendable {
    let child: Child
    let stopFile: String

    init(_ url: String) throws {
        stopFile = NSTemporaryDirectory() + "shoal-stop-\(UUID().uuidString)"
        child = try Child(try requiredTool("python3", package: "python3"), ["-c", PythonScripts.client, "loop", url, stopFile])
    }

    /// `stop()` without holding a thread of the concurrency pool.
    func finish() async -> [String] {
        (try? await offPool { self.stop() }) ?? []
    }

    /// Stops the loop and returns every result line.
    func stop() -> [String] {
        _ = FileManager.default.createFile(atPath: stopFile, contents: Data())
        child.wait()
        try? FileManager.default.removeItem(atPath: stopFile)
        return child.output
    }
}

/// Counts of each distinct line.
func tally(_ lines: [String]) -> [String: Int] {
    lines.reduce(into: [:]) { $0[$1, default: 0] += 1 }
}

