#if canImport(Glibc)
import Glibc
#endif
import CEpoll
import Director
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ShoalCore
import ShoalServer
import Synchronization

/// One thread of the epoll forwarding engine: its own epoll instance, its own `SO_REUSEPORT` listening socket
/// per service, and the connections it accepted (never touched by another thread). Other threads talk to it
/// only through `enqueue` (a locked queue and a wake-up pipe).
///
/// Per connection: `accept4`, the Director core's `schedule` (the same call, table entry and limits as the NIO
/// path), a non-blocking `connect`, an optional PROXY header, then recv/send through one per-thread buffer
/// (only bytes a full socket did not take are kept per connection). Edge-triggered: two `epoll_ctl` per connection.
/// The thread, its epoll instance, wake-ups and sweep timing are ShoalServer's `EpollLoop` (shared with the web
/// node's engine); this class is the forwarding on top.
final class EpollWorker: EpollLoopHandler, @unchecked Sendable {
    enum Command {
        case addListener(Int32, EpollProxyListener)
        case removeListener(Int32, @Sendable () -> Void)
        case closeAll
        case stop(@Sendable () -> Void)
        /// Runs a preamble's resumed work (`EpollResume`) if its connection is still there.
        case resume(slot: Int, generation: UInt32, @Sendable (any EpollPreamble, Int64) -> [EpollPreambleStep])
        /// Closes the connections whose preamble may end now (drain).
        case quiesce
    }

    private let index: Int
    private let logger: Logger
    private let loop: EpollLoop
    private var epoll: Int32 { loop.epoll }
    /// The loop ended: commands arriving later only get their completion run.
    private var exited = false
    /// Connections open on this thread (read by other threads for drain and status).
    let openCount = Atomic<Int>(0)

    // Owned by the worker thread from here on.
    private var listeners: [Int32: EpollProxyListener] = [:]
    /// Listeners taken out of epoll after running out of descriptors (put back at the next sweep).
    private var pausedListeners: Set<Int32> = []
    var slots: [EpollConnection?] = []
    var generations: [UInt32] = []
    private var freeSlots: [Int] = []
    let buffer: UnsafeMutableRawPointer
    let bufferSize = 64 * 1024
    /// Relay through a per-thread pipe with `splice(2)` instead of recv/send (`SHOAL_EPOLL_RELAY=splice`, for
    /// measuring both; bytes a full socket did not take are read out of the pipe into the connection).
    private let pipe: (read: Int32, write: Int32)?
    var now: Int64 = 0

    private static let listenerTag: UInt64 = 1 << 62
    private static let sweepInterval: Int64 = 250

    init(index: Int, logger: Logger) throws(EpollEngineError) {
        self.index = index
        self.logger = logger
        loop = try EpollLoop(name: "worker \(index)")
        buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
        if ProcessInfo.processInfo.environment["SHOAL_EPOLL_RELAY"] == "splice" {
            var ends: [Int32] = [0, 0]
            guard Glibc.pipe(&ends) == 0 else { throw EpollEngineError("pipe", "splice worker \(index)") }
            for fd in ends { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
            pipe = (ends[0], ends[1])
        } else {
            pipe = nil
        }
    }

    deinit {
        buffer.deallocate()
        if let pipe {
            close(pipe.read)
            close(pipe.write)
        }
    }

    /// Runs `command` on the worker thread soon.
    func enqueue(_ command: Command) {
        let box = UncheckedCommand(command: command)
        guard loop.enqueue({ self.run(box.command) }) else { return Self.complete(command) }
    }

    /// A command crossing to the worker thread (its listener and completions are Sendable; the enum is not marked so).
    private struct UncheckedCommand: @unchecked Sendable { let command: Command }

    /// Runs the completion of a command the loop will never see.
    private static func complete(_ command: Command) {
        switch command {
        case let .removeListener(_, done), let .stop(done): done()
        case let .addListener(fd, _): close(fd)
        case .closeAll, .resume, .quiesce: break
        }
    }

    // MARK: The loop

    func run() {
        now = Self.clock()
        loop.run(self, sweepInterval: Self.sweepInterval)
    }

    func loopEnded() {
        exited = true
        for slot in slots.indices where slots[slot] != nil { closeConnection(slot, reset: false) }
        for fd in listeners.keys { close(fd) }
        listeners = [:]
    }

    func sweep(now: Int64) {
        self.now = now
        sweepConnections()
    }

    func epollEvent(tag: UInt64, events: UInt32, now: Int64) {
        self.now = now
        dispatch(epoll_event(events: events, data: epoll_data_t(u64: tag)))
    }

    /// Monotonic milliseconds (the coarse clock: one vDSO read per wake-up).
    static func clock() -> Int64 { EpollLoop.clock() }

    private func dispatch(_ event: epoll_event) {
        let data = event.data.u64
        switch data >> 62 {
        case 0:
            let side: RelaySide = data & 1 == 0 ? .client : .server
            let slot = Int((data >> 1) & 0x7FFF_FFFF)
            let generation = UInt32(truncatingIfNeeded: data >> 32) & 0x3FFF_FFFF
            guard slot < slots.count, slots[slot] != nil, generations[slot] == generation else { return }
            connectionEvent(slot, side: side, events: event.events)
        case 1:
            let fd = Int32(truncatingIfNeeded: data & 0xFFFF_FFFF)
            if let listener = listeners[fd] { accept(from: fd, listener: listener) }
        default:
            break
        }
    }

    private func run(_ command: Command) {
        guard !exited else { return Self.complete(command) }
        switch command {
        case let .addListener(fd, listener):
            listeners[fd] = listener
            var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: Self.listenerTag | UInt64(UInt32(bitPattern: fd))))
            _ = epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event)
        case let .removeListener(fd, done):
            if listeners.removeValue(forKey: fd) != nil {
                _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
                pausedListeners.remove(fd)
                close(fd)
            }
            done()
        case .closeAll:
            for slot in slots.indices where slots[slot] != nil { closeConnection(slot, reset: false) }
        case let .resume(slot, generation, body):
            guard slot < slots.count, generations[slot] == generation, let connection = slots[slot], connection.talking,
                  let preamble = connection.preamble else { return }
            apply(body(preamble, now), slot)
            talk(slot)
        case .quiesce:
            for slot in slots.indices {
                guard let connection = slots[slot], connection.talking, connection.preamble?.mayQuiesce == true else { continue }
                closeConnection(slot, reset: false)
            }
        case let .stop(done):
            loop.stop()
            for slot in slots.indices where slots[slot] != nil { closeConnection(slot, reset: false) }
            for fd in listeners.keys { close(fd) }
            listeners = [:]
            done()
        }
    }

    // MARK: Accepting

    private func accept(from listenFD: Int32, listener: EpollProxyListener) {
        for _ in 0..<64 {
            let fd: Int32, storage: sockaddr_storage
            switch EpollSockets.accept(listenFD) {
            case let .accepted(accepted, peer): (fd, storage) = (accepted, peer)
            case .again: continue
            case .done: return
            case let .exhausted(code):
                // Out of descriptors: stop polling this socket until the next sweep.
                logger.warning("cannot accept: out of descriptors", metadata: ["listener": "\(listener.listen)", "error": "\(EpollEngineError("accept4", "", code: code))"])
                _ = epoll_ctl(epoll, EPOLL_CTL_DEL, listenFD, nil)
                pausedListeners.insert(listenFD)
                return
            }
            guard let client = EpollSockets.endpoint(storage) else {
                close(fd)
                continue
            }
            let (service, preambles) = listener.accepting
            open(fd, client: client, service: service, preambles: preambles)
        }
    }

    private func open(_ fd: Int32, client: Endpoint, service: TCPProxyService, preambles: (any EpollPreambleFactory)?) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = slots.count
            slots.append(nil)
            generations.append(0)
        }
        slots[slot] = EpollConnection(client: fd, clientAddress: client, service: service, now: now)
        openCount.add(1, ordering: .relaxed)
        guard register(fd, slot: slot, side: .client) else {
            closeConnection(slot, reset: false)
            return
        }
        if let preambles {
            let generation = generations[slot]
            let resume = EpollResume { [self] body in enqueue(.resume(slot: slot, generation: generation, body)) }
            let preamble = preambles.makePreamble(client: client, resume: resume)
            slots[slot]!.preamble = preamble
            slots[slot]!.talking = true
            apply(preamble.start(now: now), slot)
            return
        }
        startConnect(slot)
    }

    private func register(_ fd: Int32, slot: Int, side: RelaySide) -> Bool {
        let data = UInt64(generations[slot]) << 32 | UInt64(slot) << 1 | (side == .client ? 0 : 1)
        let mask = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
        var event = epoll_event(events: mask, data: epoll_data_t(u64: data))
        return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0
    }

    // MARK: Connecting

    /// Asks the Director core for a server (as the NIO path does) and starts connecting to it.
    func startConnect(_ slot: Int) {
        guard let connection = slots[slot] else { return }
        let service = connection.service
        let request = connection.request ?? ConnectionRequest(proto: .tcp, client: connection.clientAddress, virtual: service.virtual)
        guard let lease = service.scheduler.schedule(request, excluding: connection.refused) else {
            service.logger.notice("no real server available", metadata: ["service": "\(service.service)", "client": "\(connection.clientAddress)"])
            if connection.talking, let preamble = connection.preamble {
                slots[slot]!.state = RelayState(now: now, maxAttempts: service.settings.maxAttempts)
                return apply(preamble.connectFailed(now: now), slot)
            }
            closeConnection(slot, reset: false)
            return
        }
        slots[slot]!.lease = lease
        let fd = EpollSockets.streamSocket(for: lease.destination)
        guard fd >= 0 else {
            connectFailed(slot, error: EpollEngineError("socket", "to \(lease.destination)"))
            return
        }
        slots[slot]!.server = fd
        EpollSockets.setNoDelay(fd)
        guard EpollSockets.connect(fd, to: lease.destination) else {
            connectFailed(slot, error: EpollEngineError("connect", "to \(lease.destination)"))
            return
        }
        guard register(fd, slot: slot, side: .server) else {
            connectFailed(slot, error: EpollEngineError("epoll_ctl", "to \(lease.destination)"))
            return
        }
    }

    /// The server refused or did not answer: give its lease back and try the next choice, or close.
    func connectFailed(_ slot: Int, error: EpollEngineError) {
        guard var connection = slots[slot] else { return }
        if connection.server >= 0 {
            close(connection.server)
            connection.server = -1
        }
        let service = connection.service
        if let lease = connection.lease {
            service.scheduler.abandon(lease)
            connection.refused.insert(lease.destination)
            service.logger.info("real server refused, trying the next choice", metadata: [
                "service": "\(service.service)", "server": "\(lease.destination)", "error": "\(error)",
            ])
        }
        connection.lease = nil
        let action = connection.state.connectFailed(now: now)
        slots[slot] = connection
        if action == .close, connection.talking, let preamble = connection.preamble {
            // Every attempt failed: the preamble answers its client (the connection stays).
            slots[slot]!.state = RelayState(now: now, maxAttempts: service.settings.maxAttempts)
            return apply(preamble.connectFailed(now: now), slot)
        }
        perform(action, slot)
    }

    /// The server accepted: relay from now on, the PROXY header first; false when that already failed.
    func connected(_ slot: Int) -> Bool {
        slots[slot]!.state.connected(now: now)
        let connection = slots[slot]!
        if let version = connection.service.settings.sendProxyProtocol {
            let header = ProxyProtocolHeader(source: connection.clientAddress, destination: connection.service.virtual)
            var bytes = ByteBuffer()
            header.encode(version, into: &bytes)
            let sent = bytes.withUnsafeReadableBytes { send(connection.server, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < bytes.readableBytes {
                guard sent >= 0 || errno == EAGAIN else {
                    perform(slots[slot]!.state.failed(), slot)
                    return false
                }
                bytes.moveReaderIndex(forwardBy: max(0, sent))
                bytes.withUnsafeReadableBytes { slots[slot]!.toServer.keep($0.baseAddress!, count: $0.count) }
                slots[slot]!.state.read(from: .client, now: now, pendingLeft: true)
                slots[slot]!.serverWritable = false
            }
        }
        if slots[slot]!.talking, let preamble = slots[slot]!.preamble, let lease = slots[slot]!.lease {
            apply(preamble.connected(to: lease.destination, now: now), slot)
            return slots[slot] != nil
        }
        return true
    }

    // MARK: Relaying

    private func connectionEvent(_ slot: Int, side: RelaySide, events: UInt32) {
        if slots[slot]!.talking { return talkEvent(slot, side: side, events: events) }
        let error = events & EPOLLERR.rawValue != 0
        let hangup = events & (EPOLLHUP.rawValue | EPOLLRDHUP.rawValue) != 0
        if case .connecting = slots[slot]!.state.phase {
            if side == .server {
                if error || events & EPOLLHUP.rawValue != 0 {
                    let code = EpollSockets.pendingError(slots[slot]!.server)
                    return connectFailed(slot, error: EpollEngineError("connect", "to \(slots[slot]!.lease?.destination.description ?? "?")", code: code))
                }
                // Connected: go on below with what else this event says (a greeting may have arrived with it).
                guard events & EPOLLOUT.rawValue != 0, connected(slot) else { return }
            } else if error {
                return closeConnection(slot, reset: true)
            } else {
                // Data or a FIN from the client before the server is up: read once connected.
                if events & EPOLLIN.rawValue != 0 || hangup { slots[slot]!.clientReadable = true }
                if hangup { slots[slot]!.clientHangup = true }
                return
            }
        }
        if error {
            return perform(slots[slot]!.state.failed(), slot)
        }
        if events & EPOLLIN.rawValue != 0 || hangup {
            if side == .client { slots[slot]!.clientReadable = true } else { slots[slot]!.serverReadable = true }
        }
        if hangup {
            if side == .client { slots[slot]!.clientHangup = true } else { slots[slot]!.serverHangup = true }
        }
        if events & EPOLLOUT.rawValue != 0 {
            if side == .client { slots[slot]!.clientWritable = true } else { slots[slot]!.serverWritable = true }
        }
        pump(slot)
    }

    /// Moves bytes both ways until every socket would block, passing EOFs on as half-closes.
    func pump(_ slot: Int) {
        var progress = true
        while progress {
            progress = false
            for index in 0..<2 {
                let side: RelaySide = index == 0 ? .client : .server
                guard let connection = slots[slot], connection.state.phase == .relaying else { return }
                // Bytes waiting for `side`'s socket.
                if side == .client ? (!connection.toClient.isEmpty && connection.clientWritable)
                                   : (!connection.toServer.isEmpty && connection.serverWritable) {
                    let fd = connection.fd(side)
                    let result = side == .client
                        ? slots[slot]!.toClient.flush { send(fd, $0, $1, Int32(MSG_NOSIGNAL)) }
                        : slots[slot]!.toServer.flush { send(fd, $0, $1, Int32(MSG_NOSIGNAL)) }
                    let empty = side == .client ? slots[slot]!.toClient.isEmpty : slots[slot]!.toServer.isEmpty
                    if empty {
                        perform(slots[slot]!.state.drained(to: side), slot)
                        progress = true
                    } else if result < 0 && errno != EAGAIN && errno != EINTR {
                        return perform(slots[slot]!.state.failed(), slot)
                    } else if side == .client {
                        slots[slot]!.clientWritable = false
                    } else {
                        slots[slot]!.serverWritable = false
                    }
                    continue
                }
                let readable = side == .client ? connection.clientReadable : connection.serverReadable
                guard readable, connection.state.mayRead(from: side) else { continue }
                if forward(slot, from: side, connection: connection) { progress = true }
            }
        }
    }

    /// Moves up to a buffer's worth from `source` to `sink`: (bytes read or -1/0 as recv returns, bytes written or
    /// -1 with errno); bytes read but not written are left at the start of `buffer`.
    private func move(from source: Int32, to sink: Int32) -> (read: Int, sent: Int) {
        guard let pipe else {
            let count = recv(source, buffer, bufferSize, 0)
            guard count > 0 else { return (count, 0) }
            let sent = send(sink, buffer, count, Int32(MSG_NOSIGNAL))
            if sent > 0 && sent < count { memmove(buffer, buffer + sent, count - sent) }
            return (count, sent)
        }
        let count = EpollSockets.splice(source, nil, pipe.write, nil, bufferSize, EpollSockets.spliceFlags)
        guard count > 0 else { return (count, 0) }
        let sent = EpollSockets.splice(pipe.read, nil, sink, nil, count, EpollSockets.spliceFlags)
        let code = errno
        let left = count - max(0, sent)
        if left > 0 {
            // Empty the pipe for the next connection: what the sink did not take waits in the connection.
            var taken = 0
            while taken < left {
                let n = read(pipe.read, buffer + taken, left - taken)
                guard n > 0 else { break }
                taken += n
            }
        }
        errno = code
        return (count, sent)
    }

    /// One read from `side` written to the other side; true when something changed.
    private func forward(_ slot: Int, from side: RelaySide, connection: EpollConnection) -> Bool {
        let source = connection.fd(side), sink = connection.fd(side.other)
        var (count, sent) = move(from: source, to: sink)
        if count > 0 {
            if sent < 0 {
                guard errno == EAGAIN else {
                    perform(slots[slot]!.state.failed(), slot)
                    return false
                }
                sent = 0
            }
            let left = count - sent
            if left > 0 {
                if side == .client {
                    slots[slot]!.toServer.keep(buffer, count: left)
                    slots[slot]!.serverWritable = false
                } else {
                    slots[slot]!.toClient.keep(buffer, count: left)
                    slots[slot]!.clientWritable = false
                }
            }
            slots[slot]!.state.read(from: side, now: now, pendingLeft: left > 0)
            let due = slots[slot]!.traffic.add(inbound: side == .client ? UInt64(count) : 0, outbound: side == .server ? UInt64(count) : 0)
            if due, let lease = connection.lease { slots[slot]!.traffic.report(lease, to: connection.service.scheduler) }
            // A short read without a FIN reported means the socket is empty (the next byte brings a new edge).
            let hangup = side == .client ? connection.clientHangup : connection.serverHangup
            if count < bufferSize && !hangup {
                if side == .client { slots[slot]!.clientReadable = false } else { slots[slot]!.serverReadable = false }
            }
            return true
        }
        if count == 0 {
            if side == .client { slots[slot]!.clientReadable = false } else { slots[slot]!.serverReadable = false }
            perform(slots[slot]!.state.endOfFile(from: side), slot)
            return true
        }
        let code = errno
        if code == EINTR { return true }
        if code == EAGAIN {
            if side == .client { slots[slot]!.clientReadable = false } else { slots[slot]!.serverReadable = false }
            return false
        }
        perform(slots[slot]!.state.failed(), slot)
        return false
    }

    private func perform(_ action: RelayState.Action, _ slot: Int) {
        switch action {
        case .none:
            break
        case let .shutdownWrite(side):
            guard let connection = slots[slot] else { return }
            _ = shutdown(connection.fd(side), Int32(SHUT_WR))
            perform(slots[slot]!.state.didShutdownWrite(side), slot)
        case .close:
            closeConnection(slot, reset: false)
        case .reset:
            closeConnection(slot, reset: true)
        case .retry:
            startConnect(slot)
        }
    }

    /// Closes both sockets (with a reset when `reset`), reports the last traffic and the close to the Director core.
    func closeConnection(_ slot: Int, reset: Bool) {
        guard var connection = slots[slot] else { return }
        slots[slot] = nil
        generations[slot] = (generations[slot] &+ 1) & 0x3FFF_FFFF
        freeSlots.append(slot)
        if reset {
            EpollSockets.setResetOnClose(connection.client)
            if connection.server >= 0 { EpollSockets.setResetOnClose(connection.server) }
        }
        close(connection.client)
        if connection.server >= 0 { close(connection.server) }
        if let lease = connection.lease {
            let scheduler = connection.service.scheduler
            if case .connecting = connection.state.phase {
                scheduler.abandon(lease)
            } else if connection.talking {
                // Closed during a preamble's login: the session was never relayed.
                scheduler.abandon(lease)
            } else {
                connection.traffic.report(lease, to: scheduler)
                scheduler.closed(lease)
            }
        }
        connection.preamble?.closed()
        openCount.subtract(1, ordering: .relaxed)
    }

    // MARK: Sweeping

    /// Closes idle connections, fails connects past their timeout, and polls paused listeners again.
    private func sweepConnections() {
        for fd in pausedListeners {
            var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: Self.listenerTag | UInt64(UInt32(bitPattern: fd))))
            _ = epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event)
        }
        pausedListeners = []
        for slot in slots.indices {
            guard let connection = slots[slot] else { continue }
            let settings = connection.service.settings
            if connection.talking, let preamble = connection.preamble {
                var connecting = false
                if connection.server >= 0, case .connecting = connection.state.phase { connecting = true }
                if connecting, connection.state.sweep(now: now, idleTimeout: .max, connectTimeout: settings.connectTimeout.nanoseconds / 1_000_000)
                    == .connectTimedOut {
                    connectFailed(slot, error: EpollEngineError("connect", "to \(connection.lease?.destination.description ?? "?")", code: ETIMEDOUT))
                } else {
                    apply(preamble.sweep(now: now, connecting: connecting), slot)
                }
                if slots[slot]?.talking == true { talk(slot) }
                continue
            }
            let verdict = connection.state.sweep(now: now, idleTimeout: settings.idleTimeout.nanoseconds / 1_000_000,
                                                 connectTimeout: settings.connectTimeout.nanoseconds / 1_000_000)
            switch verdict {
            case .keep:
                break
            case .idle:
                closeConnection(slot, reset: false)
            case .connectTimedOut:
                connectFailed(slot, error: EpollEngineError("connect", "to \(connection.lease?.destination.description ?? "?")", code: ETIMEDOUT))
            }
        }
    }
}
