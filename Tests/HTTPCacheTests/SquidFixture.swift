import Foundation
import ShoalTestFixtures

/// A real Squid (Debian `squid`, 5.7) in the foreground (`-N`) with a private configuration: memory cache
/// only, ICP on its own loopback address (Squid ignores ICP from its own address, so peers use others),
/// no pinger or netdb (or it prefers going direct), access log in its native format.
final class SquidFixture: @unchecked Sendable {
    let directory: String
    let process: TestProcess
    let host: String
    let httpPort: Int
    let icpPort: Int

    /// `peers` are `cache_peer` lines' arguments, e.g. `127.0.181.1 sibling 3128 3130`.
    init(host: String, peers: [String] = []) async throws {
        let squid = try requiredTool("squid", package: "squid")
        self.host = host
        let httpPort = try TestPorts.free(host: host)
        let icpPort = try TestPorts.free(host: host)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-squid-\(UUID().uuidString.prefix(8))").path
        self.httpPort = httpPort
        self.icpPort = icpPort
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o777)
        let peerLines = peers.map { "cache_peer \($0) proxy-only no-digest no-netdb-exchange" }.joined(separator: "\n")
        let conf = """
            http_port \(host):\(httpPort)
            icp_port \(icpPort)
            udp_incoming_address \(host)
            pid_filename \(directory)/squid.pid
            cache_log \(directory)/cache.log
            access_log stdio:\(directory)/access.log squid
            cache_store_log none
            coredump_dir \(directory)
            visible_hostname shoal-test-squid
            pinger_enable off
            netdb_filename none
            http_access allow all
            icp_access allow all
            miss_access allow all
            cache_mem 32 MB
            maximum_object_size_in_memory 1 MB
            shutdown_lifetime 0 seconds
            icp_query_timeout 2000
            \(peerLines)
            """
        try conf.write(toFile: directory + "/squid.conf", atomically: true, encoding: .utf8)
        process = try TestProcess(squid, ["-N", "-f", directory + "/squid.conf"], name: "squid", logDirectory: directory)
        do {
            try await TestPorts.waitForListener(host, httpPort, timeout: 30, process: process)
        } catch {
            let log = (try? String(contentsOfFile: directory + "/cache.log", encoding: .utf8)) ?? ""
            stop()
            throw TestProcessError("squid did not start: \(error)\n--- cache.log\n\(log)")
        }
    }

    var proxy: String { "http://\(host):\(httpPort)" }

    var accessLog: String { (try? String(contentsOfFile: directory + "/access.log", encoding: .utf8)) ?? "" }
    var cacheLog: String { (try? String(contentsOfFile: directory + "/cache.log", encoding: .utf8)) ?? "" }

    /// SIGKILL (the one signal sure to stop it whatever mask it started with), reap, remove the directory.
    func stop() {
        process.kill()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
