#if canImport(Glibc)
import Glibc
#endif
import CEpoll
import Logging
import NIOCore
import NIOHTTP1
import ShoalCore
import ShoalHTTP
import ShoalServer
import Synchronization

/// One thread of the web node's epoll engine: its `EpollLoop`, its `SO_REUSEPORT` listening socket, and the
/// connections it accepted. Per request it parses the head with `HTTPRequestHeadParser`, asks the same
/// `HTTPResponder` as the NIO path (`screen`, `immediateResponse`, and `respond` on the concurrency pool for
/// misses, the answer coming back through the loop's queue), frames the answer with `takeHead` and writes head
/// and small body with one `sendmsg`, file slices with `sendfile` from a duplicate of the cached descriptor.
/// Edge-triggered; a socket that does not take everything waits for EPOLLOUT. Timeouts (head, idle, body, send)
/// are one deadline per connection checked by the loop's sweep.
final class EpollWebWorker: EpollLoopHandler, @unchecked Sendable {
    let loop: EpollLoop
    private let engine: EpollWebEngineShared
    private var listenFD: Int32 = -1
    /// The listener is out of epoll after running out of descriptors (put back at the next sweep).
    private var listenerPaused = false
    private var slots: [EpollWebConnection?] = []
    private var generations: [UInt32] = []
    private var freeSlots: [Int] = []
    private let buffer: UnsafeMutableRawPointer
    private let bufferSize = 64 * 1024
    private var now: Int64 = 0
    private var draining = false

    private static let listenerTag: UInt64 = 1 << 62
    private static let sweepInterval: Int64 = 250

    init(index: Int, engine: EpollWebEngineShared) throws(EpollEngineError) {
        loop = try EpollLoop(name: "web worker \(index)")
        self.engine = engine
        buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    func run() {
        now = EpollLoop.clock()
        loop.run(self, sweepInterval: Self.sweepInterval)
    }

    // MARK: Commands (run on the loop)

    func listen(_ fd: Int32) {
        listenFD = fd
        _ = loop.add(fd, events: EPOLLIN.rawValue, tag: Self.listenerTag)
    }

    /// Stops accepting; closes idle connections now and busy ones after their answer.
    func drain() {
        draining = true
        if listenFD >= 0 {
            loop.remove(listenFD)
            close(listenFD)
            listenFD = -1
            listenerPaused = false
        }
        for slot in slots.indices {
            guard let connection = slots[slot] else { continue }
            if case .awaitingHead = connection.phase, connection.bufferedInput == 0, !connection.hasOutput { closeConnection(slot) }
        }
    }

    func loopEnded() {
        if listenFD >= 0 { close(listenFD) }
        for slot in slots.indices where slots[slot] != nil { closeConnection(slot) }
    }

    // MARK: Events

    func epollEvent(tag: UInt64, events: UInt32, now: Int64) {
        self.now = now
        if tag == Self.listenerTag { return accept() }
        let slot = Int(tag & 0xFFFF_FFFF)
        let generation = UInt32(truncatingIfNeeded: tag >> 32)
        guard slot < slots.count, slots[slot] != nil, generations[slot] == generation else { return }
        if events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { return closeConnection(slot) }
        if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 { slots[slot]!.readable = true }
        if events & EPOLLOUT.rawValue != 0 { slots[slot]!.writable = true }
        service(slot)
    }

    func sweep(now: Int64) {
        self.now = now
        if listenerPaused, listenFD >= 0 {
            listenerPaused = false
            _ = loop.add(listenFD, events: EPOLLIN.rawValue, tag: Self.listenerTag)
        }
        for slot in slots.indices {
            guard let connection = slots[slot], connection.deadline <= now else { continue }
            if case .responding = connection.phase { continue }
            engine.logger.debug("HTTP connection timed out", metadata: ["peer": "\(connection.remote.map { "\($0)" } ?? "?")"])
            closeConnection(slot)
        }
    }

    private func accept() {
        for _ in 0..<64 {
            let fd: Int32, storage: sockaddr_storage
            switch EpollSockets.accept(listenFD) {
            case let .accepted(accepted, peer): (fd, storage) = (accepted, peer)
            case .again: continue
            case .done: return
            case .exhausted:
                // Out of descriptors: stop polling the (level-triggered) listener until the next sweep.
                engine.logger.warning("cannot accept: out of descriptors")
                loop.remove(listenFD)
                listenerPaused = true
                return
            }
            guard engine.open.add(1, ordering: .relaxed).newValue <= engine.configuration.maxConnections else {
                engine.open.subtract(1, ordering: .relaxed)
                Self.refuseOverloaded(fd)
                continue
            }
            let remote = engine.needsRemoteAddress ? EpollSockets.endpoint(storage).flatMap { try? SocketAddress(ipAddress: "\($0.address)", port: Int($0.port)) } : nil
            open(fd, remote: remote)
        }
    }

    /// Over the connection cap: 503 and close (as `HTTPOverloadHandler` on the NIO path).
    private static func refuseOverloaded(_ fd: Int32) {
        let text = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        _ = text.utf8.withContiguousStorageIfAvailable { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(fd)
    }

    private func open(_ fd: Int32, remote: SocketAddress?) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = slots.count
            slots.append(nil)
            generations.append(0)
        }
        slots[slot] = EpollWebConnection(fd: fd, remote: remote, deadline: now + engine.headerTimeout)
        let mask = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
        guard loop.add(fd, events: mask, tag: UInt64(generations[slot]) << 32 | UInt64(slot)) else { return closeConnection(slot) }
        // The request often arrives with the connection: read now rather than wait for the edge.
        slots[slot]!.readable = true
        service(slot)
    }

    private func closeConnection(_ slot: Int) {
        guard var connection = slots[slot] else { return }
        slots[slot] = nil
        generations[slot] = generations[slot] &+ 1
        freeSlots.append(slot)
        connection.dropOutput()
        close(connection.fd)
        engine.open.subtract(1, ordering: .relaxed)
    }

    // MARK: Serving

    /// Writes what is pending, reads what arrived and answers what it can, until the socket would block either way.
    private func service(_ slot: Int) {
        var progress = true
        while progress, slots[slot] != nil {
            progress = false
            if slots[slot]!.hasOutput, slots[slot]!.writable {
                let (ok, progressed) = slots[slot]!.flush()
                guard ok else { return closeConnection(slot) }
                if progressed { slots[slot]!.deadline = now + engine.sendTimeout }
                if !slots[slot]!.hasOutput {
                    if slots[slot]!.closeAfterOutput { return closeConnection(slot) }
                    outputDone(slot)
                    progress = true
                }
            }
            if process(slot) { progress = true }
            guard slots[slot] != nil else { return }
            if slots[slot]!.readable, mayRead(slots[slot]!) {
                if read(slot) { progress = true }
            }
        }
        guard let connection = slots[slot], connection.peerClosed, !connection.hasOutput else { return }
        if case .responding = connection.phase { return }
        closeConnection(slot)
    }

    /// Whether to read more now: not while answering or closing, nor past a head's worth of unparsed bytes.
    private func mayRead(_ connection: EpollWebConnection) -> Bool {
        switch connection.phase {
        case .responding, .closing: return false
        case .awaitingHead, .discardingBody: return !connection.peerClosed && connection.bufferedInput <= engine.configuration.maxHeaderBytes + bufferSize
        }
    }

    /// One `recv`; false when nothing changed (the socket is empty).
    private func read(_ slot: Int) -> Bool {
        let fd = slots[slot]!.fd
        let count = recv(fd, buffer, bufferSize, 0)
        if count > 0 {
            slots[slot]!.append(buffer, count: count)
            if case .awaitingHead(idle: true) = slots[slot]!.phase {
                slots[slot]!.phase = .awaitingHead(idle: false)
                if !slots[slot]!.hasOutput { slots[slot]!.deadline = now + engine.headerTimeout }
            }
            return true
        }
        if count < 0, errno == EINTR { return true }
        if count < 0, errno == EAGAIN {
            slots[slot]!.readable = false
            return false
        }
        if count < 0 {
            // A hard error (a reset): nothing can be delivered.
            closeConnection(slot)
            return false
        }
        // The client's FIN: what it sent before is still answered (`service` closes once that is written).
        slots[slot]!.readable = false
        slots[slot]!.peerClosed = true
        return true
    }

    /// Everything written: wait for the next request with the right timeout.
    private func outputDone(_ slot: Int) {
        switch slots[slot]!.phase {
        case .awaitingHead(idle: true): slots[slot]!.deadline = now + engine.idleTimeout
        case .awaitingHead(idle: false): slots[slot]!.deadline = now + engine.headerTimeout
        default: break
        }
    }

    /// Handles the buffered input: heads, bodies to drop; true when something changed.
    private func process(_ slot: Int) -> Bool {
        var changed = false
        while let connection = slots[slot] {
            // One answer at a time beyond the socket: bounded output, answers in order.
            guard !connection.hasOutput || connection.output.count - connection.outputIndex <= 2 else { return changed }
            switch connection.phase {
            case .responding, .closing:
                return changed
            case .awaitingHead:
                guard connection.bufferedInput > 0 else { return changed }
                let outcome = connection.input.withUnsafeBytes { raw in
                    engine.parser.parse(UnsafeRawBufferPointer(rebasing: raw[connection.inputStart...]))
                }
                switch outcome {
                case .incomplete:
                    return changed
                case let .refused(status):
                    refuse(slot, status: status)
                    return true
                case let .head(head, length, body):
                    slots[slot]!.consume(length)
                    received(slot, head: head, body: body)
                    changed = true
                }
            case let .discardingBody(head, keepAlive, left, answered):
                guard connection.bufferedInput > 0 else { return changed }
                changed = true
                switch left {
                case let .bytes(count):
                    let take = min(count, connection.bufferedInput)
                    slots[slot]!.consume(take)
                    if take < count {
                        slots[slot]!.phase = .discardingBody(head: head, keepAlive: keepAlive, left: .bytes(count - take), answered: answered)
                        return changed
                    }
                case .chunked(var skipper, let seen):
                    let result = connection.input.withUnsafeBytes { skipper.skip(UnsafeRawBufferPointer(rebasing: $0[connection.inputStart...])) }
                    switch result {
                    case .invalid:
                        refuse(slot, status: .badRequest)
                        return changed
                    case .consumed:
                        let total = seen + connection.bufferedInput
                        slots[slot]!.consume(connection.bufferedInput)
                        guard total <= engine.configuration.maxDrainBytes + engine.configuration.maxBodyBytes else {
                            closeConnection(slot)
                            return changed
                        }
                        if !answered, skipper.dataBytes > engine.configuration.maxBodyBytes {
                            answerEarly(slot, tooLarge(), head: head, keepAlive: false, closeAfter: false)
                            slots[slot]?.phase = .discardingBody(head: head, keepAlive: false, left: .chunked(skipper, seen: total), answered: true)
                            return changed
                        }
                        slots[slot]!.phase = .discardingBody(head: head, keepAlive: keepAlive, left: .chunked(skipper, seen: total), answered: answered)
                        return changed
                    case let .ended(count):
                        slots[slot]!.consume(count)
                    }
                }
                // The body is over.
                if answered {
                    if !keepAlive { slots[slot]!.closeAfterOutput = true; if !slots[slot]!.hasOutput { closeConnection(slot) }; return changed }
                    slots[slot]!.phase = .awaitingHead(idle: true)
                } else {
                    respond(slot, head: head, keepAlive: keepAlive)
                }
            }
        }
        return changed
    }

    /// A head NIO's path would reject: the status, `Connection: close`, and the connection closes.
    private func refuse(_ slot: Int, status: HTTPResponseStatus) {
        var bytes = ByteBuffer()
        HTTPResponseHead(version: .http1_1, status: status, headers: ["Connection": "close", "Content-Length": "0"]).write(into: &bytes)
        slots[slot]!.output.append(.bytes(bytes))
        slots[slot]!.closeAfterOutput = true
        slots[slot]!.phase = .closing
    }

    private func tooLarge() -> HTTPServerResponse {
        engine.responder.errorResponse(.payloadTooLarge, message: "request body larger than \(engine.configuration.maxBodyBytes) bytes")
    }

    /// A parsed head: screened, its body announced or not, answered (as `HTTPConnectionHandler.received`).
    private func received(_ slot: Int, head: HTTPRequestHead, body: HTTPRequestHeadParser.BodyFraming) {
        slots[slot]!.requestCount += 1
        let keepAlive = head.isKeepAlive && slots[slot]!.requestCount < engine.configuration.maxRequestsPerConnection && !draining
        let expectsContinue = head.headers.first(name: "Expect")?.lowercased() == "100-continue"
        let declared: Int? = if case let .length(count) = body { count } else { nil }
        let announced = body != .none
        let left: EpollWebConnection.BodyLeft = switch body {
        case .none: .bytes(0)
        case let .length(count): .bytes(count)
        case .chunked: .chunked(ChunkedBodySkipper(), seen: 0)
        }
        let early = engine.responder.screen(head) ?? ((declared ?? 0) > engine.configuration.maxBodyBytes ? tooLarge() : nil)
        if let early {
            guard announced else {
                answerEarly(slot, early, head: head, keepAlive: keepAlive, closeAfter: !keepAlive)
                return
            }
            if expectsContinue || (declared ?? 0) > engine.configuration.maxDrainBytes {
                return answerEarly(slot, early, head: head, keepAlive: false, closeAfter: true)
            }
            answerEarly(slot, early, head: head, keepAlive: false, closeAfter: false)
            slots[slot]?.phase = .discardingBody(head: head, keepAlive: false, left: left, answered: true)
            slots[slot]?.deadline = now + engine.bodyTimeout
            return
        }
        guard announced else { return respond(slot, head: head, keepAlive: keepAlive) }
        if expectsContinue {
            var bytes = ByteBuffer()
            HTTPResponseHead(version: head.version, status: .continue).write(into: &bytes)
            slots[slot]!.output.append(.bytes(bytes))
        }
        slots[slot]!.phase = .discardingBody(head: head, keepAlive: keepAlive, left: left, answered: false)
        slots[slot]!.deadline = now + engine.bodyTimeout
    }

    /// An answer before the body: written; the connection closes after it when `closeAfter`, or after a body
    /// that follows has been dropped (the caller sets that phase), or stays as the client wants.
    private func answerEarly(_ slot: Int, _ response: HTTPServerResponse, head: HTTPRequestHead, keepAlive: Bool, closeAfter: Bool) {
        slots[slot]!.phase = keepAlive ? .awaitingHead(idle: true) : .closing
        queue(slot, response, head: head, keepAlive: keepAlive)
        if closeAfter { slots[slot]!.closeAfterOutput = true }
    }

    /// The whole request is in: answered at once from the cache, or on the concurrency pool.
    private func respond(_ slot: Int, head: HTTPRequestHead, keepAlive: Bool) {
        let request = HTTPServerRequest(head: head, remoteAddress: slots[slot]!.remote)
        if let response = engine.responder.immediateResponse(to: request) {
            return deliver(slot, response, head: head, keepAlive: keepAlive)
        }
        slots[slot]!.phase = .responding
        let responder = engine.responder, loop = self.loop, generation = generations[slot]
        Task {
            let response = await responder.respond(to: request)
            let delivered = loop.enqueue { [self] in
                guard slot < slots.count, slots[slot] != nil, generations[slot] == generation else {
                    response.file?.close()
                    return
                }
                deliver(slot, response, head: head, keepAlive: keepAlive && !draining)
                service(slot)
            }
            if !delivered { response.file?.close() }
        }
    }

    private func deliver(_ slot: Int, _ response: HTTPServerResponse, head: HTTPRequestHead, keepAlive: Bool) {
        slots[slot]!.phase = keepAlive ? .awaitingHead(idle: true) : .closing
        queue(slot, response, head: head, keepAlive: keepAlive)
        if !keepAlive { slots[slot]!.closeAfterOutput = true }
        if !slots[slot]!.hasOutput {
            if !keepAlive { return closeConnection(slot) }
        }
        slots[slot]!.deadline = now + (keepAlive ? engine.idleTimeout : engine.sendTimeout)
        if slots[slot]!.hasOutput { slots[slot]!.deadline = now + engine.sendTimeout }
    }

    /// Frames `response` as the NIO path does and puts it on the connection's output.
    private func queue(_ slot: Int, _ response: HTTPServerResponse, head request: HTTPRequestHead, keepAlive: Bool) {
        var response = response
        let (head, sendsBody) = response.takeHead(for: request, keepAlive: keepAlive)
        var bytes = ByteBuffer()
        bytes.reserveCapacity(512 + (sendsBody && response.file == nil ? response.body.readableBytes : 0))
        head.write(into: &bytes)
        guard sendsBody else {
            response.file?.close()
            slots[slot]!.output.append(.bytes(bytes))
            return
        }
        guard let file = response.file else {
            if response.body.readableBytes <= 16 * 1024 {
                var body = response.body
                bytes.writeBuffer(&body)
                slots[slot]!.output.append(.bytes(bytes))
            } else {
                slots[slot]!.output.append(.bytes(bytes))
                slots[slot]!.output.append(.bytes(response.body))
            }
            return
        }
        guard let descriptor = try? file.handle.withUnsafeFileDescriptor({ $0 }) else {
            file.close()
            slots[slot]!.output.append(.bytes(bytes))
            slots[slot]!.closeAfterOutput = true
            return
        }
        var pieces: [EpollWebConnection.Output] = [.bytes(bytes)]
        for part in file.parts {
            switch part {
            case let .bytes(buffer): pieces.append(.bytes(buffer))
            case let .file(offset, count) where count > 0: pieces.append(.file(file, descriptor: descriptor, offset: offset, count: count, last: false))
            case .file: break
            }
        }
        if let index = pieces.lastIndex(where: { if case .file = $0 { true } else { false } }),
           case let .file(body, descriptor, offset, count, _) = pieces[index] {
            pieces[index] = .file(body, descriptor: descriptor, offset: offset, count: count, last: true)
        } else {
            file.close()
        }
        slots[slot]!.output.append(contentsOf: pieces)
    }
}

/// What every thread of one epoll web engine shares: the responder, limits, parser and the open-connection count.
final class EpollWebEngineShared: Sendable {
    let responder: any HTTPResponder
    let configuration: HTTPServerConfiguration
    let parser: HTTPRequestHeadParser
    let logger: Logger
    let open = Atomic<Int>(0)
    /// The access log wants the client's address (built once per connection only then).
    let needsRemoteAddress: Bool
    let headerTimeout: Int64
    let bodyTimeout: Int64
    let idleTimeout: Int64
    let sendTimeout: Int64

    init(responder: any HTTPResponder, configuration: HTTPServerConfiguration, needsRemoteAddress: Bool, logger: Logger) {
        self.responder = responder
        self.configuration = configuration
        self.parser = HTTPRequestHeadParser(maxHeaderBytes: configuration.maxHeaderBytes)
        self.needsRemoteAddress = needsRemoteAddress
        self.logger = logger
        func milliseconds(_ amount: TimeAmount) -> Int64 { max(1, amount.nanoseconds / 1_000_000) }
        headerTimeout = milliseconds(configuration.headerReadTimeout)
        bodyTimeout = milliseconds(configuration.bodyReadTimeout)
        idleTimeout = milliseconds(configuration.idleTimeout)
        sendTimeout = milliseconds(configuration.sendTimeout)
    }
}
