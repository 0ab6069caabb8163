import Director
@testable import DirectorNode
import Failover
import Foundation
import Logging
import NIOPosix
import ShoalCore
import Testing

/// With `--dataplane ipvs`, `failover.sync` drives the kernel's own sync daemons: the settings they get, and the
/// configuration they cannot carry refused before anything starts. (The daemons themselves, started and switched
/// on a real kernel, are in IPVSKernelVMTests.)
struct KernelSyncControlTests {
    @Test func theKernelDaemonGetsTheInterfaceAndSyncIDAndTheDefaultPortIsLeftOut() {
        let plain = KernelSyncControl.settings(ConnectionSyncConfiguration(interface: "eth1", syncID: 7))
        #expect(plain == SyncDaemonSettings(interface: "eth1", syncID: 7))
        let moved = KernelSyncControl.settings(ConnectionSyncConfiguration(interface: "eth1", syncID: 7, port: 9000))
        #expect(moved == SyncDaemonSettings(interface: "eth1", syncID: 7, port: 9000))
        #expect(KernelSyncControl.refusal(ConnectionSyncConfiguration(interface: "eth1", syncID: 7)) == nil)
    }

    @Test func unicastSyncPeersAreRefusedWithTheKernelDataplaneBeforeAnythingStarts() async throws {
        let yaml = """
            services:
              - name: web
                listen: "10.0.0.1:80"
                servers: [{address: "10.0.0.2:80"}]
            failover:
              instances: []
              sync: {interface: lo, sync_id: 3, peers: ["10.0.0.9"]}
            """
        let path = NSTemporaryDirectory() + "shoal-kernel-sync-\(UUID().uuidString).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let server = DirectorServer(group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test.kernel-sync"),
                                    dataplane: .ipvs(.replace)) { try DirectorConfiguration.load(path: path) }
        let error = await #expect(throws: FailoverError.self) { try await server.start() }
        #expect(error?.description.hasPrefix("failover.sync.peers: the kernel's sync daemon") == true, "\(String(describing: error))")
        #expect(server.runtime.liveTable.services.isEmpty, "nothing may be loaded when the start is refused")
    }
}
