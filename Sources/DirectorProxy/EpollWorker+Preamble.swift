#if canImport(Glibc)
import Glibc
#endif
import CEpoll
import Director
import ShoalCore
import ShoalServer

/// The talking phase of an `EpollWorker` connection that has an `EpollPreamble` (a mail login): bytes read
/// from either socket go to the preamble, its steps are performed here, and `.relay` hands the connection to
/// the plain relay (`pump`) with the sockets, flags and pending bytes as they are.
extension EpollWorker {
    /// An event on a talking connection's socket.
    func talkEvent(_ slot: Int, side: RelaySide, events: UInt32) {
        let error = events & EPOLLERR.rawValue != 0
        let hangup = events & (EPOLLHUP.rawValue | EPOLLRDHUP.rawValue) != 0
        if side == .server {
            guard slots[slot]!.server >= 0 else { return }
            if case .connecting = slots[slot]!.state.phase {
                if error || events & EPOLLHUP.rawValue != 0 {
                    let code = EpollSockets.pendingError(slots[slot]!.server)
                    connectFailed(slot, error: EpollEngineError("connect", "to \(slots[slot]!.lease?.destination.description ?? "?")", code: code))
                    return talk(slot)
                }
                guard events & EPOLLOUT.rawValue != 0, connected(slot) else { return talk(slot) }
                guard slots[slot]?.talking == true, slots[slot]!.server >= 0 else { return talk(slot) }
            } else if error {
                slots[slot]!.serverReadable = true  // the next recv reports the error: the preamble hears serverEnded
            }
            if events & EPOLLOUT.rawValue != 0 {
                slots[slot]!.serverWritable = true
                flushTalking(slot, to: .server)
            }
            if events & EPOLLIN.rawValue != 0 || hangup { slots[slot]?.serverReadable = true }
        } else {
            if error { return closeConnection(slot, reset: true) }
            if events & EPOLLOUT.rawValue != 0 {
                slots[slot]!.clientWritable = true
                flushTalking(slot, to: .client)
            }
            if events & EPOLLIN.rawValue != 0 || hangup { slots[slot]?.clientReadable = true }
            if hangup { slots[slot]?.clientHangup = true }
        }
        talk(slot)
    }

    /// Reads what the sockets have for the preamble (the server's first: it may end a login the client's bytes
    /// wait behind) until both would block, the preamble stops taking client input, or it relays or closes.
    func talk(_ slot: Int) {
        while let connection = slots[slot], connection.talking, let preamble = connection.preamble {
            if connection.serverReadable && connection.server >= 0 {
                let count = recv(connection.server, buffer, bufferSize, 0)
                if count > 0 {
                    if count < bufferSize && !connection.serverHangup { slots[slot]!.serverReadable = false }
                    apply(preamble.serverBytes(UnsafeRawBufferPointer(start: buffer, count: count), now: now), slot)
                    continue
                }
                if count < 0 && errno == EINTR { continue }
                slots[slot]!.serverReadable = false
                if count < 0 && errno == EAGAIN { continue }
                apply(preamble.serverEnded(now: now), slot)
                continue
            }
            if connection.clientReadable && !connection.clientEnded && preamble.acceptsClientInput {
                let count = recv(connection.client, buffer, bufferSize, 0)
                if count > 0 {
                    if count < bufferSize && !connection.clientHangup { slots[slot]!.clientReadable = false }
                    apply(preamble.clientBytes(UnsafeRawBufferPointer(start: buffer, count: count), now: now), slot)
                    continue
                }
                if count < 0 && errno == EINTR { continue }
                slots[slot]!.clientReadable = false
                if count < 0 && errno == EAGAIN { continue }
                if count < 0 { return closeConnection(slot, reset: true) }
                slots[slot]!.clientEnded = true
                apply(preamble.clientEnded(now: now), slot)
                continue
            }
            return
        }
    }

    /// Performs a preamble's steps in order (stopping when the connection closed).
    func apply(_ steps: [EpollPreambleStep], _ slot: Int) {
        var relay = false
        for step in steps {
            guard slots[slot] != nil else { return }
            switch step {
            case let .send(side, bytes):
                sendTalking(slot, bytes, to: side)
            case let .connect(request):
                let maxAttempts = slots[slot]!.service.settings.maxAttempts
                slots[slot]!.request = request
                slots[slot]!.refused = []
                slots[slot]!.state = RelayState(now: now, maxAttempts: maxAttempts)
                startConnect(slot)
            case .dropServer:
                dropServer(slot)
            case .relay:
                relay = true
                startRelaying(slot)
            case .close:
                flushTalking(slot, to: .client)
                closeConnection(slot, reset: false)
            case .suspend:
                break
            }
        }
        if relay, slots[slot] != nil { pump(slot) }
    }

    /// Writes `bytes` to `side` behind what is pending there; what the socket does not take waits.
    private func sendTalking(_ slot: Int, _ bytes: [UInt8], to side: RelaySide) {
        guard !bytes.isEmpty else { return }
        let connection = slots[slot]!
        guard connection.fd(side) >= 0 else { return }
        let pendingEmpty = side == .client ? connection.toClient.isEmpty : connection.toServer.isEmpty
        let writable = side == .client ? connection.clientWritable : connection.serverWritable
        var sent = 0
        if pendingEmpty && writable {
            sent = bytes.withUnsafeBytes { send(connection.fd(side), $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent == bytes.count { return }
            sent = max(0, sent)
        }
        bytes.withUnsafeBytes { raw in
            if side == .client {
                slots[slot]!.toClient.keep(raw.baseAddress! + sent, count: raw.count - sent)
                slots[slot]!.clientWritable = false
            } else {
                slots[slot]!.toServer.keep(raw.baseAddress! + sent, count: raw.count - sent)
                slots[slot]!.serverWritable = false
            }
        }
    }

    /// Writes what is pending toward `side` as far as its socket takes it.
    private func flushTalking(_ slot: Int, to side: RelaySide) {
        guard let connection = slots[slot], connection.fd(side) >= 0 else { return }
        let fd = connection.fd(side)
        if side == .client {
            guard !connection.toClient.isEmpty else { return }
            _ = slots[slot]!.toClient.flush { send(fd, $0, $1, Int32(MSG_NOSIGNAL)) }
            if !slots[slot]!.toClient.isEmpty { slots[slot]!.clientWritable = false }
        } else {
            guard !connection.toServer.isEmpty else { return }
            _ = slots[slot]!.toServer.flush { send(fd, $0, $1, Int32(MSG_NOSIGNAL)) }
            if !slots[slot]!.toServer.isEmpty { slots[slot]!.serverWritable = false }
        }
    }

    /// Closes the server connection of a login that ended without a relay and gives its lease back.
    private func dropServer(_ slot: Int) {
        var connection = slots[slot]!
        if connection.server >= 0 { close(connection.server) }
        if let lease = connection.lease { connection.service.scheduler.abandon(lease) }
        connection.server = -1
        connection.lease = nil
        connection.serverReadable = false
        connection.serverHangup = false
        connection.serverWritable = true
        connection.toServer = PendingBytes()
        connection.request = nil
        connection.state = RelayState(now: now, maxAttempts: connection.service.settings.maxAttempts)
        slots[slot] = connection
    }

    /// The preamble is done: the plain relay takes over. Bytes still pending either way are marked so the relay
    /// writes them before anything it reads; a client EOF already read is read again (a closed socket keeps
    /// returning it).
    private func startRelaying(_ slot: Int) {
        slots[slot]!.talking = false
        slots[slot]!.state.connected(now: now)
        if !slots[slot]!.toServer.isEmpty { slots[slot]!.state.read(from: .client, now: now, pendingLeft: true) }
        if !slots[slot]!.toClient.isEmpty { slots[slot]!.state.read(from: .server, now: now, pendingLeft: true) }
        if slots[slot]!.clientEnded { slots[slot]!.clientReadable = true }
    }
}
