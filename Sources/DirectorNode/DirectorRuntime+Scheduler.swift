public import Director
public import DirectorProxy
public import ShoalCore

/// The dataplanes' view: every new connection is scheduled in the live table, in place, under its own lock
/// (never the control lock: admin changes and health verdicts do not hold up accepts while they stage).
extension DirectorRuntime: ConnectionScheduler {
    public func schedule(_ request: ConnectionRequest, excluding: Set<Endpoint>) -> ProxyLease? {
        let time = now
        return live.withLockedValue { live in
            switch live.table.accept(request, at: time, excluding: excluding) {
            case let .forwarded(connection, destination, _): return ProxyLease(connection: connection, destination: destination)
            case .dropped: return nil
            }
        }
    }

    public func abandon(_ lease: ProxyLease) {
        guard let id = lease.connection else { return }
        live.withLockedValue { $0.table.discard(id) }
    }

    public func traffic(_ lease: ProxyLease, inBytes: UInt64, outBytes: UInt64) {
        guard let id = lease.connection else { return }
        let time = now
        live.withLockedValue { live in
            live.table.recordTraffic(id, inPackets: inBytes > 0 ? 1 : 0, outPackets: outBytes > 0 ? 1 : 0, inBytes: inBytes, outBytes: outBytes)
            live.table.touch(id, at: time)
        }
    }

    public func closed(_ lease: ProxyLease) {
        guard let id = lease.connection else { return }
        let time = now
        live.withLockedValue { $0.table.close(id, at: time) }
    }

    public func accepts(_ server: Endpoint, in service: VirtualServiceKey) -> Bool {
        live.withLockedValue { $0.table.accepts(server, in: service) }
    }

    public func schedule(_ request: ConnectionRequest, to server: Endpoint, in service: VirtualServiceKey) -> ProxyLease? {
        let time = now
        return live.withLockedValue { live in
            guard case let .forwarded(connection, destination, _)? = live.table.accept(request, at: time, to: server) else { return nil }
            return ProxyLease(connection: connection, destination: destination)
        }
    }
}
