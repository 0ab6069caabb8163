import Director
import DirectorProxy
import ShoalCore

/// A stand-in for the director core behind the L7 proxy: every service sends its connections to one
/// server of its own, and every server it names is accepted for cookie persistence.
final class FuzzScheduler: ConnectionScheduler, Sendable {
    let servers: [VirtualServiceKey: Endpoint]

    init(servers: [VirtualServiceKey: Endpoint]) { self.servers = servers }

    func schedule(_ request: ConnectionRequest, excluding: Set<Endpoint>) -> ProxyLease? {
        let key: VirtualServiceKey = request.fwmark.map { .fwmark($0, .inet) } ?? .address(.tcp, request.virtual)
        guard let server = servers[key], !excluding.contains(server) else { return nil }
        return ProxyLease(connection: nil, destination: server)
    }

    func abandon(_ lease: ProxyLease) {}
    func traffic(_ lease: ProxyLease, inBytes: UInt64, outBytes: UInt64) {}
    func closed(_ lease: ProxyLease) {}

    func accepts(_ server: Endpoint, in service: VirtualServiceKey) -> Bool { servers[service] == server }

    func schedule(_ request: ConnectionRequest, to server: Endpoint, in service: VirtualServiceKey) -> ProxyLease? {
        accepts(server, in: service) ? ProxyLease(connection: nil, destination: server) : nil
    }
}
