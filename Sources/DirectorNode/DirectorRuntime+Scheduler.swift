public import Director
public import DirectorProxy
public import ShoalCore

/// The dataplanes' view: every new connection is scheduled in the live table under the lock.
extension DirectorRuntime: ConnectionScheduler {
    public func schedule(_ request: ConnectionRequest, excluding: Set<Endpoint>) -> ProxyLease? {
        let time = now
        return state.withLockedValue { state in
            switch state.live.accept(request, at: time, excluding: excluding) {
            case let .forwarded(connection, destination, _): return ProxyLease(connection: connection, destination: destination)
            case .dropped: return nil
            }
        }
    }

    public func abandon(_ lease: ProxyLease) {
        guard let id = lease.connection else { return }
        state.withLockedValue { $0.live.discard(id) }
    }

    public func traffic(_ lease: ProxyLease, inBytes: UInt64, outBytes: UInt64) {
        guard let id = lease.connection else { return }
        let time = now
        state.withLockedValue { state in
            state.live.recordTraffic(id, inPackets: inBytes > 0 ? 1 : 0, outPackets: outBytes > 0 ? 1 : 0, inBytes: inBytes, outBytes: outBytes)
            state.live.touch(id, at: time)
        }
    }

    public func closed(_ lease: ProxyLease) {
        guard let id = lease.connection else { return }
        let time = now
        state.withLockedValue { $0.live.close(id, at: time) }
    }

    public func accepts(_ server: Endpoint, in service: VirtualServiceKey) -> Bool {
        state.withLockedValue { $0.live.accepts(server, in: service) }
    }

    public func schedule(_ request: ConnectionRequest, to server: Endpoint, in service: VirtualServiceKey) -> ProxyLease? {
        let time = now
        return state.withLockedValue { state in
            guard case let .forwarded(connection, destination, _)? = state.live.accept(request, at: time, to: server) else { return nil }
            return ProxyLease(connection: connection, destination: destination)
        }
    }
}
