import DirectorAdmin
import Foundation
import ShoalCore

/// A real AdminServer on a loopback port (127.0.77.x, port 0) in front of a TestDirector.
struct ServerHarness {
    let director: TestDirector
    let server: AdminServer
    let address: Endpoint
    var base: String { "http://\(address)" }

    static func start(token: String? = nil, host: String = "127.0.77.1", maxBody: Int = 64 * 1024,
                      refresh: Double = 2, director: TestDirector? = nil) async throws -> ServerHarness {
        let director = try director ?? AdminFixture.director()
        let configuration = AdminServerConfiguration(listen: Endpoint(IPAddress(host)!, 0), token: token,
                                                     statusRefreshSeconds: refresh, maxBodyBytes: maxBody)
        let server = AdminServer(configuration: configuration, control: director)
        let address = try await server.start()
        return ServerHarness(director: director, server: server, address: address)
    }

    func url(_ path: String) -> String { base + path }

    func stop() async { await server.shutdown() }
}
