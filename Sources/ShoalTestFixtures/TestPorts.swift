import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loopback ports for tests: free ones (bound to port 0 and closed; never handed out twice in one run) and
/// the probe that says whether something accepts TCP connections on one.
public enum TestPorts {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var handedOut: Set<Int> = []

    /// A TCP port on `host` that nobody listens on right now, not returned before in this test run.
    public static func free(host: String = "127.0.0.1") throws -> Int {
        for _ in 0..<50 {
            let port = try bindZero(host: host)
            if lock.withLock({ handedOut.insert(port).inserted }) { return port }
        }
        throw TestProcessError("no free port on \(host) found in 50 tries")
    }

    /// True when something accepts TCP connections on host:port.
    public static func accepts(_ port: Int, host: String = "127.0.0.1") -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = ipv4(host, port)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Polls (without holding a pool thread) until every port accepts connections; throws after `timeout`
    /// seconds, or at once when `process` (the server expected to listen) exits, with its output.
    public static func waitForListener(_ host: String = "127.0.0.1", _ ports: [Int], timeout: Double = 10,
                                       process: TestProcess? = nil) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !ports.allSatisfy({ accepts($0, host: host) }) {
            if let process, !process.isRunning {
                throw TestProcessError("\(process.name) exited with status \(process.terminationStatus) before listening on "
                    + "\(host):\(ports)\n--- stdout\n\(process.standardOutput)\n--- stderr\n\(process.standardError)")
            }
            guard Date() < deadline else {
                throw TestProcessError("nothing listens on \(host):\(ports) after \(timeout) s"
                    + (process.map { "\n--- \($0.name) stderr\n\($0.standardError)" } ?? ""))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// `waitForListener` for one port.
    public static func waitForListener(_ host: String = "127.0.0.1", _ port: Int, timeout: Double = 10,
                                       process: TestProcess? = nil) async throws {
        try await waitForListener(host, [port], timeout: timeout, process: process)
    }

    /// `waitForListener` for synchronous callers (blocks this thread).
    public static func waitForListenerBlocking(_ host: String = "127.0.0.1", _ ports: [Int], timeout: Double = 10,
                                               process: TestProcess? = nil) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !ports.allSatisfy({ accepts($0, host: host) }) {
            if let process, !process.isRunning {
                throw TestProcessError("\(process.name) exited with status \(process.terminationStatus) before listening on "
                    + "\(host):\(ports)\n--- stderr\n\(process.standardError)")
            }
            guard Date() < deadline else { throw TestProcessError("nothing listens on \(host):\(ports) after \(timeout) s") }
            usleep(20_000)
        }
    }

    private static func bindZero(host: String) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestProcessError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = ipv4(host, 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard bound else { throw TestProcessError("binding a free port on \(host) failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func ipv4(_ host: String, _ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }
}
