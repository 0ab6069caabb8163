public import NIOCore
public import NIOPosix
public import ShoalCore

/// Hands authenticated users' mail for other domains to the configured relay host over plain SMTP.
///
/// A non-blocking NIO client: greeting, EHLO (HELO when EHLO is refused), MAIL, one RCPT per recipient,
/// DATA with dot-stuffing, QUIT, with a connect timeout and a timeout on every reply. Each recipient
/// gets the outcome of its own RCPT and of the DATA reply; a failure names the relay host, the step
/// and the reply (or what went wrong instead).
public struct RelayClient: Sendable {
    public let host: Endpoint
    public let heloName: String
    /// How long each reply may take, in seconds (the greeting, each command's, the end of DATA's).
    public let timeoutSeconds: Int
    /// How long connecting may take, in seconds.
    public let connectTimeoutSeconds: Int
    let group: any EventLoopGroup

    public init(host: Endpoint, heloName: String, timeoutSeconds: Int = 60, connectTimeoutSeconds: Int = 30,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.heloName = heloName
        self.timeoutSeconds = timeoutSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.group = group
    }

    /// Sends one message; one outcome per recipient, in order.
    public func send(from: String, to recipients: [String], message: [UInt8]) async -> [DeliveryOutcome] {
        do {
            let channel = try await connect()
            return try await channel.executeThenClose { inbound, outbound in
                var conversation = RelayConversation(host: host, replies: inbound.makeAsyncIterator(), outbound: outbound)
                return try await conversation.send(helo: heloName, from: from, to: recipients, message: message)
            }
        } catch let error as RelayError {
            return recipients.map { _ in .temporaryFailure(error.description) }
        } catch {
            return recipients.map { _ in .temporaryFailure(RelayError(host: host, step: "connecting", reason: "\(error)").description) }
        }
    }

    /// Connects with the reply decoder and the reply timer in the pipeline.
    func connect() async throws -> NIOAsyncChannel<RelayReply, ByteBuffer> {
        let host = self.host, timeout = TimeAmount.seconds(Int64(timeoutSeconds))
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(Int64(connectTimeoutSeconds)))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(to: host.socketAddress) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RelayReplyDecoder()))
                        try channel.pipeline.syncOperations.addHandler(RelayReplyTimer(timeout: timeout))
                        return try NIOAsyncChannel<RelayReply, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch ChannelError.connectTimeout(_) {
            throw RelayError(host: host, step: "connecting", reason: "no connection within \(connectTimeoutSeconds) s")
        } catch {
            throw RelayError(host: host, step: "connecting", reason: "\(error)")
        }
    }
}

/// A relay failure: the host, the step it happened in, and the reply or the error behind it.
struct RelayError: Error, CustomStringConvertible {
    var host: Endpoint
    var step: String
    var reason: String

    var description: String { "relay \(host): \(step): \(reason)" }
}

/// One SMTP reply from the relay: its code and its lines (without CR LF).
struct RelayReply: Sendable, Hashable {
    var code: Int
    var lines: [String]

    /// The last line, code included (what an SMTP client reports).
    var text: String { lines.last ?? "\(code)" }
}

/// Thrown into the pipeline when a reply does not come in time.
struct RelayReplyTimeout: Error {}

/// One SMTP conversation with the relay host, one command and one reply at a time.
struct RelayConversation {
    let host: Endpoint
    var replies: NIOAsyncChannelInboundStream<RelayReply>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    mutating func send(helo: String, from: String, to recipients: [String], message: [UInt8]) async throws -> [DeliveryOutcome] {
        let greeting = try await reply(to: "the greeting")
        guard greeting.code == 220 else { return recipients.map { _ in outcome(greeting, "the greeting") } }
        var hello = try await command("EHLO \(helo)")
        if hello.code != 250 { hello = try await command("HELO \(helo)") }
        guard hello.code == 250 else { return recipients.map { _ in outcome(hello, "HELO") } }
        let mail = try await command("MAIL FROM:<\(from)>")
        guard mail.code == 250 else { return recipients.map { _ in outcome(mail, "MAIL FROM") } }
        var results: [DeliveryOutcome] = []
        var accepted = 0
        for rcpt in recipients {
            let r = try await command("RCPT TO:<\(rcpt)>")
            results.append(outcome(r, "RCPT TO:<\(rcpt)>"))
            if r.code < 400 { accepted += 1 }
        }
        guard accepted > 0 else { try? await quit(); return results }
        let data = try await command("DATA")
        guard data.code == 354 else { return results.map { $0 == .delivered ? outcome(data, "DATA") : $0 } }
        try await write(Self.dotStuffed(message), step: "the message")
        let end = try await reply(to: "the end of the message")
        try? await quit()
        return results.map { $0 == .delivered ? outcome(end, "the end of the message") : $0 }
    }

    /// What a reply means for a recipient; failures name the host, the step and the reply.
    func outcome(_ reply: RelayReply, _ step: String) -> DeliveryOutcome {
        let text = RelayError(host: host, step: step, reason: reply.text).description
        return reply.code < 400 ? .delivered : (reply.code < 500 ? .temporaryFailure(text) : .permanentFailure(text))
    }

    mutating func command(_ line: String) async throws -> RelayReply {
        let verb = line.hasPrefix("RCPT") || line.hasPrefix("MAIL") ? String(line.prefix(while: { $0 != "<" })) : line
        try await write(Array((line + "\r\n").utf8), step: verb)
        return try await reply(to: verb)
    }

    mutating func quit() async throws { _ = try await command("QUIT") }

    func write(_ bytes: [UInt8], step: String) async throws {
        do {
            try await outbound.write(ByteBuffer(bytes: bytes))
        } catch {
            throw RelayError(host: host, step: step, reason: "cannot send: \(error)")
        }
    }

    /// The next reply; a timeout, a closed connection or a malformed reply is an error naming `step`.
    mutating func reply(to step: String) async throws -> RelayReply {
        do {
            guard let reply = try await replies.next() else {
                throw RelayError(host: host, step: step, reason: "connection closed before the reply")
            }
            return reply
        } catch let error as RelayError {
            throw error
        } catch is RelayReplyTimeout {
            throw RelayError(host: host, step: step, reason: "no reply in time")
        } catch let error as RelayReplyDecoder.Malformed {
            throw RelayError(host: host, step: step, reason: "malformed reply '\(error.line)'")
        } catch {
            throw RelayError(host: host, step: step, reason: "\(error)")
        }
    }

    /// The message with CRLF line ends, leading dots doubled, and the terminating `.` line.
    static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + 64)
        var atLineStart = true
        var previous: UInt8 = 0
        for byte in message {
            if atLineStart && byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            if byte == 10 && previous != 13 { out.append(13) }
            out.append(byte)
            atLineStart = byte == 10
            previous = byte
        }
        if !atLineStart { out += [13, 10] }
        out += Array(".\r\n".utf8)
        return out
    }
}

/// Decodes SMTP replies: `250-first` continuation lines up to the `250 last` line, lines ending in CR LF
/// (a bare LF is accepted from a server), each at most 4096 octets.
struct RelayReplyDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = RelayReply

    /// A line that is not an SMTP reply line, or one too long.
    struct Malformed: Error { var line: String }

    static let maximumLineLength = 4096
    var pending: [String] = []

    mutating func decode(buffer: inout ByteBuffer) throws -> RelayReply? {
        while let lf = buffer.readableBytesView.firstIndex(of: 10) {
            let length = lf - buffer.readerIndex
            var bytes = buffer.readBytes(length: length + 1)!
            bytes.removeLast()
            if bytes.last == 13 { bytes.removeLast() }
            let line = String(decoding: bytes, as: UTF8.self)
            let utf8 = Array(line.utf8.prefix(4))
            guard utf8.count >= 3, utf8[0..<3].allSatisfy({ (48...57).contains($0) }),
                  utf8.count == 3 || utf8[3] == 32 || utf8[3] == 45 else { throw Malformed(line: line) }
            pending.append(line)
            if utf8.count == 3 || utf8[3] == 32 {
                defer { pending = [] }
                return RelayReply(code: Int(line.prefix(3))!, lines: pending)
            }
        }
        if buffer.readableBytes > Self.maximumLineLength {
            throw Malformed(line: "a line longer than \(Self.maximumLineLength) octets")
        }
        return nil
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RelayReply? {
        try decode(buffer: &buffer)
    }
}

/// Fails the conversation when a reply does not come in time: armed when the channel becomes active
/// (the greeting) and on every write, disarmed by every reply.
final class RelayReplyTimer: ChannelDuplexHandler {
    typealias InboundIn = RelayReply
    typealias InboundOut = RelayReply
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        arm(context)
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    private func arm(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            context.fireErrorCaught(RelayReplyTimeout())
            context.close(promise: nil)
        }
    }
}
