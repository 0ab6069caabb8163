public import ICP
public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
public import ShoalCore
public import ShoalServer

/// Where this node's own queries go instead of to each peer: one datagram to a multicast group (RFC 2186 §4),
/// with the TTL it may travel; the peers stay the expected responders.
public struct ICPMulticast: Sendable, Hashable {
    public var group: Endpoint
    public var ttl: Int

    public init(group: Endpoint, ttl: Int) {
        self.group = group
        self.ttl = ttl
    }
}

/// One ICP peer as configured: its ICP address, its HTTP proxy address, sibling or parent.
public struct ICPPeerAddress: Sendable, Hashable {
    public var icp: Endpoint
    public var http: Endpoint
    public var kind: ICPPeer.Kind

    public init(icp: Endpoint, http: Endpoint, kind: ICPPeer.Kind) {
        self.icp = icp
        self.http = http
        self.kind = kind
    }
}

/// A cache node's ICP socket (RFC 2186/2187), server and client on one UDP port as Squid does: queries from
/// peers are answered by `ICPQueryAnswerer` from the store, on the socket's own thread (`DatagramThread`: the
/// answer leaves with no event loop in between); our own queries go to every peer and the replies
/// are folded into an `ICPPeerSelection` with an adaptive timeout (`ICPTimeoutPolicy`); silent peers are
/// marked down (`ICPPeerHealth`) and keep being queried as probes until they answer.
public final class ICPEndpoint: Sendable {
    /// Answers whether a URL is a HIT for ICP (fresh 30 s more); called on the ICP thread, must not block.
    public typealias Lookup = @Sendable (String) -> ICPQueryAnswerer.ObjectState

    public let peers: [ICPPeerAddress]
    /// Our queries go to this group, once, instead of to each peer.
    public let multicast: ICPMulticast?
    /// Groups whose queries this node answers (each a socket bound to the group, joined; answers leave from
    /// the unicast socket).
    public let groups: [Endpoint]
    let allowed: Set<IPAddress>
    let lookup: Lookup
    /// True while the node is overloaded (too many fills under way): queries get MISS_NOFETCH.
    let overloaded: @Sendable () -> Bool
    let timeoutPolicy: ICPTimeoutPolicy
    /// Microseconds the socket's thread polls after a datagram before sleeping.
    let pollMicroseconds: Int
    let logger: Logger

    struct Round {
        var selection: ICPPeerSelection
        var sentAt: NIODeadline
        var continuation: CheckedContinuation<ICPSelectionResult, Never>?
        var timeout: Scheduled<Void>?
    }

    struct State {
        var socket: DatagramThread?
        var groupSockets: [DatagramThread] = []
        /// Where round timeouts are scheduled.
        var loop: (any EventLoop)?
        var rounds: [UInt32: Round] = [:]
        var health: [ICPPeerHealth]
        var counters = ICPCounters()
        var nextRequest: UInt32 = UInt32.random(in: 1...0x7fff_ffff)
        var refusingFetches = false
        var replyLatencies: [Int64] = []
    }

    let state: NIOLockedValueBox<State>

    public init(peers: [ICPPeerAddress], allowed: Set<IPAddress>, downAfter: Int = 5, timeoutPolicy: ICPTimeoutPolicy = ICPTimeoutPolicy(),
                pollMicroseconds: Int = 50, multicast: ICPMulticast? = nil, groups: [Endpoint] = [], logger: Logger,
                overloaded: @escaping @Sendable () -> Bool = { false }, lookup: @escaping Lookup) {
        self.pollMicroseconds = pollMicroseconds
        self.multicast = multicast
        self.groups = groups
        self.peers = peers
        self.overloaded = overloaded
        self.allowed = allowed
        self.lookup = lookup
        self.timeoutPolicy = timeoutPolicy
        self.logger = logger
        state = NIOLockedValueBox(State(health: Array(repeating: ICPPeerHealth(downAfter: downAfter), count: peers.count)))
    }

    /// Binds the UDP socket (and one per multicast group listened to) and starts their threads; round timeouts
    /// run on one loop of `group`. Returns the unicast socket's address.
    public func start(listen: Endpoint, group: any EventLoopGroup) async throws -> Endpoint {
        let loop = group.next()
        // Whole datagrams up to RFC 2186's 16 KiB; a longer one arrives cut and fails the length check.
        let socket = try DatagramThread.bind(listen, maximumDatagram: ICPMessage.maximumLength + 1, name: "shoal-icp",
                                             pollMicroseconds: pollMicroseconds) { bytes, sender in
            self.received(bytes, from: sender)
        }
        if let multicast { socket.setMulticastTTL(multicast.ttl) }
        state.withLockedValue { state in
            state.socket = socket
            state.loop = loop
        }
        for address in groups {
            let listener: DatagramThread
            do {
                listener = try DatagramThread.bind(address, maximumDatagram: ICPMessage.maximumLength + 1, name: "shoal-icp-group") { bytes, sender in
                    self.received(bytes, from: sender)
                }
                state.withLockedValue { $0.groupSockets.append(listener) }
                try listener.join(group: address.address)
            } catch {
                await close()
                throw ListenerError(address: address, underlying: error)
            }
        }
        return socket.boundAddress
    }

    /// Closes every socket of the endpoint.
    public func close() async {
        let sockets = state.withLockedValue { state in
            defer { state.socket = nil; state.groupSockets = [] }
            return (state.socket.map { [$0] } ?? []) + state.groupSockets
        }
        for socket in sockets { await socket.close() }
    }

    /// MISS_NOFETCH to every query while set (warming up, overloaded).
    public func setRefusingFetches(_ refusing: Bool) {
        state.withLockedValue { $0.refusingFetches = refusing }
    }

    /// The counters so far.
    public var counters: ICPCounters { state.withLockedValue { $0.counters } }

    /// Peer health, in configuration order.
    public var health: [ICPPeerHealth] { state.withLockedValue { $0.health } }

    func allows(_ address: SocketAddress?) -> Bool {
        if allowed.isEmpty { return true }
        guard let endpoint = address.flatMap(Endpoint.init(socketAddress:)) else { return false }
        return allowed.contains(endpoint.address)
    }

    /// One datagram arrived (on the socket's thread).
    func received(_ bytes: UnsafeRawBufferPointer, from sender: SocketAddress) {
        let (refusing, socket, listensToGroups) = state.withLockedValue { ($0.refusingFetches, $0.socket, !$0.groupSockets.isEmpty) }
        if listensToGroups, let socket, Endpoint(socketAddress: sender) == socket.boundAddress {
            // Our own query, looped back by a group we also listen to.
            state.withLockedValue { $0.counters.dropped["own", default: 0] += 1 }
            return
        }
        let conditions = ICPQueryAnswerer.Conditions(allowed: allows(sender), refusingFetches: refusing || overloaded())
        let outcome = ICPQueryAnswerer.handle(bytes, conditions: conditions, lookup: lookup)
        switch outcome {
        case let .drop(error):
            state.withLockedValue { $0.counters.drop(error) }
            logger.debug("ICP datagram dropped", metadata: ["from": "\(sender)", "reason": "\(error)"])
        case let .answer(reply, opcode, query):
            state.withLockedValue { state in
                if let query { state.counters.received[query.opcode, default: 0] += 1 } else { state.counters.dropped["malformed", default: 0] += 1 }
                state.counters.sent[opcode, default: 0] += 1
            }
            socket?.send(reply, to: sender)
        case let .reply(message):
            replyArrived(message, from: sender)
        }
    }

    func replyArrived(_ message: ICPMessage, from sender: SocketAddress) {
        let senderEndpoint = Endpoint(socketAddress: sender)
        let now = NIODeadline.now()
        let finished: (CheckedContinuation<ICPSelectionResult, Never>, ICPSelectionResult, Scheduled<Void>?)? = state.withLockedValue { state in
            state.counters.received[message.opcode, default: 0] += 1
            guard let index = peers.firstIndex(where: { $0.icp == senderEndpoint }) else { return nil }
            guard var round = state.rounds[message.requestNumber] else {
                // A late reply still proves the peer is alive.
                state.health[index].heard()
                return nil
            }
            let rtt = (now - round.sentAt).nanoseconds
            state.health[index].replied(rtt: rtt)
            state.replyLatencies.append(rtt)
            if state.replyLatencies.count > 4096 { state.replyLatencies.removeFirst(2048) }
            let result = round.selection.receive(message.opcode, from: index, rtt: rtt)
            if let result, let continuation = round.continuation {
                round.continuation = nil
                state.rounds[message.requestNumber] = nil
                return (continuation, result, round.timeout)
            }
            state.rounds[message.requestNumber] = round
            return nil
        }
        if let finished {
            let (continuation, result, timeout) = finished
            timeout?.cancel()
            continuation.resume(returning: result)
        }
    }

    /// Asks every peer about `url` (RFC 2187 §3.1): the first HIT, else the fastest parent's MISS, else direct.
    /// Returns `.direct` at once when there are no peers or the socket is not bound.
    public func select(url: String) async -> ICPSelectionResult {
        guard !peers.isEmpty, let (socket, loop) = state.withLockedValue({ state in state.socket.flatMap { socket in state.loop.map { (socket, $0) } } })
        else { return .direct }
        return await withCheckedContinuation { continuation in
            let prepared: (UInt32, [UInt8], Int64, Bool)? = state.withLockedValue { state in
                let number = state.nextRequest
                state.nextRequest = state.nextRequest &+ 1
                guard let bytes = try? ICPMessage(opcode: .query, requestNumber: number, url: url).encoded() else { return nil }
                let expected = Set(state.health.indices.filter { state.health[$0].isUp })
                let wait = timeoutPolicy.timeout(for: expected.map { state.health[$0] })
                var round = Round(selection: ICPPeerSelection(peers: peers.map { ICPPeer(name: "\($0.icp)", kind: $0.kind) }, expected: expected),
                                  sentAt: .now(), continuation: continuation)
                let immediate = round.selection.result != nil
                if immediate { round.continuation = nil }
                state.rounds[number] = round
                state.counters.sent[.query, default: 0] += multicast == nil ? peers.count : 1
                return (number, bytes, wait, immediate)
            }
            guard let prepared else {
                continuation.resume(returning: .direct)
                return
            }
            let (number, bytes, wait, immediate) = prepared
            if let multicast {
                socket.send(bytes, to: multicast.group.socketAddress)
            } else {
                for peer in peers { socket.send(bytes, to: peer.icp.socketAddress) }
            }
            if immediate {
                // No peer is up: the query went out as a probe; keep the round open to mark replies, then go direct.
                scheduleExpiry(number, after: wait, on: loop)
                continuation.resume(returning: .direct)
                return
            }
            let task = loop.scheduleTask(in: .nanoseconds(wait)) { self.expire(number) }
            state.withLockedValue { $0.rounds[number]?.timeout = task }
        }
    }

    func scheduleExpiry(_ number: UInt32, after wait: Int64, on loop: any EventLoop) {
        loop.scheduleTask(in: .nanoseconds(wait)) { self.expire(number) }
    }

    /// A round's time is up: peers it still waited for missed a reply; decide with what came.
    func expire(_ number: UInt32) {
        let finished: (CheckedContinuation<ICPSelectionResult, Never>, ICPSelectionResult)? = state.withLockedValue { state in
            guard var round = state.rounds.removeValue(forKey: number) else { return nil }
            for index in round.selection.awaiting { state.health[index].missed() }
            // Down peers that were only probed and did not answer stay down; count their silence too.
            for index in state.health.indices where !state.health[index].isUp && !round.selection.awaiting.contains(index) {
                state.health[index].missed()
            }
            let result = round.selection.timeOut()
            guard let continuation = round.continuation else { return nil }
            return (continuation, result)
        }
        if let finished { finished.0.resume(returning: finished.1) }
    }

    /// Reply latencies measured by our queries (nanoseconds), most recent last.
    public var replyLatencies: [Int64] { state.withLockedValue { $0.replyLatencies } }
}
