import Director
import DirectorNode
import Foundation
import NIOPosix
import ShoalCore
import ShoalTestFixtures
import Testing

/// Issue 10 #4 and #5: reloads are all or nothing (listeners and the admin API included), and concurrent
/// admin changes leave exactly one listener per service.
@Suite(.serialized) struct ReloadAtomicityTests {
    /// A listening socket that holds an address busy for the test.
    final class Squatter {
        let fd: Int32
        init(_ host: String, _ port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &address.sin_addr)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(fd, 8) == 0 else { throw SquatFailed(address: "\(host):\(port)") }
        }
        deinit { close(fd) }
    }

    /// One director per test, each on its own loopback address (`net`.1), so no test waits for another's ports.
    static func base(_ net: String) -> String {
        """
        director:
          admin: {listen: \(net).1:9900}
        services:
          - listen: \(net).1:8080
            scheduler: rr
            servers: [{address: \(net).2:8001}]
        """
    }

    @Test func aReloadAddingAServiceOnABusyAddressChangesNothing() async throws {
        let squatter = try Squatter("127.0.91.1", 8081)
        defer { _ = squatter }
        let director = try await DirectorHarness(Self.base("127.0.91"))
        defer { Task { await director.stop() } }
        #expect(try await director.reload(Self.base("127.0.91") + """

              - listen: 127.0.91.1:8082
                scheduler: rr
                servers: [{address: 127.0.91.2:8001}]
              - listen: 127.0.91.1:8081
                scheduler: rr
                servers: [{address: 127.0.91.2:8001}]
            """) == false)
        #expect(await director.server.listenerAddresses == [Endpoint("127.0.91.1:8080")!])
        #expect(director.table.services.map(\.key) == [.address(.tcp, Endpoint("127.0.91.1:8080")!)])
        #expect(!TestPorts.accepts(8082, host: "127.0.91.1"), "the listener bound before the failure was not closed")
    }

    @Test func aReloadMovingTheAdminAPIToABusyPortKeepsTheOldOne() async throws {
        let squatter = try Squatter("127.0.92.1", 9901)
        defer { _ = squatter }
        let director = try await DirectorHarness(Self.base("127.0.92"))
        defer { Task { await director.stop() } }
        let moved = Self.base("127.0.92").replacingOccurrences(of: "127.0.92.1:9900", with: "127.0.92.1:9901")
        #expect(try await director.reload(moved) == false)
        #expect(await director.server.adminAddress == Endpoint("127.0.92.1:9900")!)
        #expect(TestPorts.accepts(9900, host: "127.0.92.1"))
        // The same move to a free port works, and the old port closes.
        let free = Self.base("127.0.92").replacingOccurrences(of: "127.0.92.1:9900", with: "127.0.92.1:9902")
        #expect(try await director.reload(free))
        #expect(await director.server.adminAddress == Endpoint("127.0.92.1:9902")!)
        #expect(!TestPorts.accepts(9900, host: "127.0.92.1"))
    }

    @Test func concurrentAdminAddsAndDeletesLeaveOneListenerPerService() async throws {
        let director = try await DirectorHarness(Self.base("127.0.93"))
        defer { Task { await director.stop() } }
        let key = VirtualServiceKey.address(.tcp, Endpoint("127.0.93.1:8090")!)
        let runtime = director.server.runtime
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<50 {
                group.addTask {
                    if n % 2 == 0 {
                        try? await runtime.apply([.addService(VirtualServiceConfig(key: key, scheduler: .rr))])
                    } else {
                        try? await runtime.apply([.deleteService(key)])
                    }
                }
            }
        }
        let inTable = director.table.service(key) != nil
        #expect(await director.server.listenerAddresses.contains(Endpoint("127.0.93.1:8090")!) == inTable)
        try? await runtime.apply([.deleteService(key)])
        #expect(await director.server.listenerAddresses == [Endpoint("127.0.93.1:8080")!])
        #expect(!TestPorts.accepts(8090, host: "127.0.93.1"), "a listener outlived its service")
    }
}

/// The test could not hold an address busy.
struct SquatFailed: Error {
    var address: String
}
