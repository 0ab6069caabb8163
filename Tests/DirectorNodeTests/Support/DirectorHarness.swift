import Director
import DirectorNode
import Foundation
import Logging
import NIOPosix
import ShoalCore

/// A director running in the test process from YAML text kept in a temporary file (rewrite + reload).
final class DirectorHarness: @unchecked Sendable {
    let directory: URL
    let configPath: String
    let server: DirectorServer

    init(_ yaml: String) async throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("shoal-director-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configPath = directory.appendingPathComponent("director.yaml").path
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        let path = configPath
        var logger = Logger(label: "test.director")
        logger.logLevel = .warning
        server = DirectorServer(group: MultiThreadedEventLoopGroup.singleton, logger: logger) {
            try DirectorConfiguration.load(path: path)
        }
        try await server.start()
    }

    /// Replaces the configuration file and reloads; true when the reload applied.
    func reload(_ yaml: String) async throws -> Bool {
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        return await server.reload()
    }

    var table: DirectorTable { server.runtime.liveTable }

    /// The live weight of a server, or nil when it is not in the service's table.
    func weight(_ service: String, _ server: String) -> Int? {
        table.service(.address(.tcp, Endpoint(service)!))?.servers.first { $0.endpoint == Endpoint(server)! }?.weight
    }

    func stop() async {
        await server.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}

