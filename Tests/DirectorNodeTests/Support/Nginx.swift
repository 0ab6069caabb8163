import Foundation
import ShoalTestFixtures

/// A real nginx (Debian `nginx-light`) with a generated configuration in a temporary directory.
final class Nginx: @unchecked Sendable {
    let directory: String
    let child: Child

    /// `servers` is the body of the `http {}` block (one or more `server {}` blocks).
    init(servers: String, waitFor listeners: [(String, Int)]) throws {
        let nginx = try requiredTool("nginx", package: "nginx-light")
        directory = NSTemporaryDirectory() + "shoal-nginx-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let conf = NginxConfig.text(directory: directory, servers: servers)
        try conf.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        child = try Child(nginx, NginxConfig.arguments(directory: directory))
        for (host, port) in listeners { try waitForListener(host, port) }
    }

    func stop() {
        child.kill()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
