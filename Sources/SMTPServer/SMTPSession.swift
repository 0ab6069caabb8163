import MailAccess
import NIOCore

/// The SMTP / LMTP protocol of one connection as a pure state machine: inputs in, actions out, no I/O.
///
/// The glue owns a ``CRLFLineDecoder`` and the connection's input buffer and drives the session like this:
///
/// ```swift
/// var session = SMTPSession(configuration: configuration, peer: "192.0.2.7", secure: false)
/// perform(session.start())                                  // 220 greeting
/// // whenever bytes arrive (and again after each answer to an asynchronous action):
/// while !session.isWaiting, !session.isClosed {
///     if case .chunk(let remaining) = session.inputMode { decoder.pendingChunk = remaining } else { decoder.pendingChunk = 0 }
///     guard let item = decoder.decode(buffer: &buffer) else { break }
///     perform(session.receive(SMTPInput(item)))
/// }
/// ```
///
/// `perform` writes ``SMTPAction/reply(_:)`` replies (flushing when the input buffer is drained or the session
/// waits, which is what PIPELINING asks for), starts the asynchronous work of ``SMTPAction/checkRecipient(address:mailFrom:)``,
/// ``SMTPAction/authenticate(login:password:)`` and ``SMTPAction/deliver(_:)`` and later feeds the answer back
/// with ``receive(_:)``. While ``isWaiting`` is true the glue must not decode or feed further lines; inputs
/// that arrive at a moment they are not expected are ignored (this is also how plaintext pipelined after
/// STARTTLS is discarded). Timers and EOF come in as ``SMTPInput/timeout`` and ``SMTPInput/eof``.
///
/// Choices where the RFCs leave room:
/// * A line longer than ``SMTPSessionConfiguration/maximumLineLength`` is answered `500 5.5.2 Line too long`
///   as a command; inside DATA the rest of the message is read and then rejected with
///   `554 5.6.0 Line too long in message` (RFC 5322 §2.1.1 forbids such lines; truncating would alter the mail).
/// * Bare CR or LF: in a command line `500 5.5.2`; inside DATA the message is rejected at the end with
///   `554 5.5.2 Bare CR or LF in message` (so no SMTP smuggling through us to a relay). BDAT data is raw.
/// * 8-bit data in a 7BIT body is accepted (as Postfix does) and recorded in the envelope.
/// * In SMTP mode one reply ends a transaction: `250` when every recipient was delivered; otherwise the first
///   temporary failure (the client retries all, delivered recipients may see a duplicate rather than a loss),
///   else the first permanent failure. The text names the failed recipient and says when others were delivered.
/// * Client errors (500-504, 530, 535, 538, 550 5.1.1/5.2.1/5.7.1, 553, 555) are counted; at
///   ``SMTPSessionConfiguration/maximumErrors`` the error reply is followed by `421 4.7.0` and a close.
public struct SMTPSession: Sendable {
    public let configuration: SMTPSessionConfiguration
    /// The client's IP address as text.
    public let peer: String
    /// The transport is TLS (implicit TLS, or after STARTTLS).
    public private(set) var isSecure: Bool
    /// The name the client gave in HELO/EHLO/LHLO, nil before (and after STARTTLS until the next EHLO).
    public private(set) var heloName: String?
    /// The login of the authenticated client.
    public private(set) var authenticatedUser: String?
    /// Client errors so far.
    public private(set) var errorCount = 0

    private var hello: Hello = .none
    private var state: State = .initial
    private var transaction: Transaction?

    public init(configuration: SMTPSessionConfiguration, peer: String, secure: Bool) {
        self.configuration = configuration
        self.peer = peer
        self.isSecure = secure
    }

    /// What to read next: lines, or the rest of a BDAT chunk.
    public var inputMode: SMTPInputMode {
        if case let .chunk(chunk) = state { return .chunk(remaining: chunk.remaining) }
        if case .data = state { return .messageLines }
        return .line
    }

    /// True while an asynchronous action (recipient check, authentication, delivery, TLS handshake) is pending:
    /// feed nothing but its answer (or timeout/shutdown/EOF).
    public var isWaiting: Bool {
        switch state {
        case .awaitingRecipient, .awaitingAuthentication, .awaitingDelivery, .awaitingTLS: return true
        default: return false
        }
    }

    /// True once ``SMTPAction/close`` was returned; the session then ignores every input.
    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// True while a mail transaction is open (after MAIL, until the end of its data or RSET).
    public var inTransaction: Bool { transaction != nil }

    /// True while message content is being read (after 354, or inside a BDAT chunk): the data timeout applies.
    public var isReceivingMessage: Bool {
        switch state {
        case .data, .chunk: return true
        default: return false
        }
    }

    /// True between commands (not inside DATA, BDAT or an AUTH exchange, not waiting for an answer).
    public var isAwaitingCommand: Bool {
        if case .command = state { return true }
        return false
    }

    /// The 220 greeting (RFC 5321 §4.3.1; no enhanced status code, RFC 2034).
    public mutating func start() -> [SMTPAction] {
        guard case .initial = state else { return [] }
        state = .command
        let banner = configuration.banner ?? (lmtp ? "LMTP Shoal" : "ESMTP Shoal")
        return [.reply(SMTPReply(220, nil, "\(configuration.hostname) \(banner)"))]
    }

    /// Feeds one input; returns what to do, in order.
    public mutating func receive(_ input: SMTPInput) -> [SMTPAction] {
        if case .closed = state { return [] }
        switch input {
        case .timeout: return close(with: .timeout(configuration.hostname))
        case .shutdown: return close(with: .shuttingDown(configuration.hostname))
        case .eof:
            state = .closed
            transaction = nil
            return [.close]
        default: break
        }
        switch (state, input) {
        case let (.command, .line(line)):
            return command(line)
        case (.command, .lineTooLong):
            return fail(.lineTooLong)
        case let (.awaitingRecipient(mailbox), .recipientChecked(check)):
            state = .command
            return recipientChecked(mailbox, check)
        case let (.authResponse(exchange), .line(line)):
            state = .command
            return authResponse(exchange, line)
        case (.authResponse, .lineTooLong):
            state = .command
            return fail(.authLineTooLong)
        case let (.awaitingAuthentication, .authenticationResult(result)):
            state = .command
            return authenticated(result)
        case let (.data, .line(line)):
            return dataLine(line)
        case let (.data, .lines(span)):
            return dataLines(span)
        case (.data, .lineTooLong):
            transaction?.lineTooLong = true
            transaction?.message = ByteBuffer()
            return []
        case let (.chunk(chunk), .chunk(bytes)):
            return chunkBytes(chunk, bytes)
        case let (.awaitingDelivery(recipients, id), .delivered(outcomes)):
            state = .command
            return deliveryReplies(recipients: recipients, id: id, outcomes: outcomes)
        case (.awaitingTLS, .tlsStarted):
            // RFC 3207 §4.2: forget everything learnt before, the client starts again with EHLO.
            isSecure = true
            hello = .none
            heloName = nil
            authenticatedUser = nil
            transaction = nil
            state = .command
            return []
        default:
            return []
        }
    }

    // MARK: - State

    private enum Hello { case none, helo, ehlo, lhlo }


    private struct Chunk: Hashable, Sendable {
        var remaining: Int
        var size: Int
        var last: Bool
        /// The reply to give once the chunk is consumed, instead of accepting it.
        var failure: SMTPReply?
        var failureCounts: Bool
    }

    private enum State: Sendable {
        case initial
        case command
        case awaitingRecipient(SMTPMailbox)
        case authResponse(SASLExchange)
        case awaitingAuthentication
        case data
        case chunk(Chunk)
        case awaitingDelivery(recipients: [SMTPRecipient], id: String)
        case awaitingTLS
        case closed
    }

    private struct Transaction: Sendable {
        var reversePath: SMTPMailbox?
        var parameters: SMTPMailParameters
        var recipients: [SMTPRecipient] = []
        /// RCPT commands refused after their syntax was fine (to tell 554 "no valid recipients" from 503).
        var rejectedRecipients = 0
        var id: String?
        var message = ByteBuffer()
        var returnPathLength = 0
        /// Octets of message data received (without trace headers).
        var contentSize = 0
        var usedBDAT = false
        var tooBig = false
        var lineTooLong = false
        var bareLineEnding = false
        var eightBit = false

        init(reversePath: SMTPMailbox?, parameters: SMTPMailParameters) {
            self.reversePath = reversePath
            self.parameters = parameters
        }
    }

    private var lmtp: Bool { configuration.mode == .lmtp }
    private var tlsGate: Bool { configuration.requireTLS && !isSecure }
    private var authOffered: Bool {
        !lmtp && !configuration.authenticationMechanisms.isEmpty
            && (isSecure || (configuration.allowPlaintextAuthentication && !configuration.requireTLS))
    }

    // MARK: - Helpers

    private mutating func fail(_ reply: SMTPReply) -> [SMTPAction] {
        errorCount += 1
        if errorCount >= configuration.maximumErrors {
            state = .closed
            transaction = nil
            return [.reply(reply), .reply(.tooManyErrors(configuration.hostname)), .close]
        }
        return [.reply(reply)]
    }

    private mutating func close(with reply: SMTPReply) -> [SMTPAction] {
        state = .closed
        transaction = nil
        return [.reply(reply), .close]
    }

    private static func scan(_ buffer: ByteBuffer) -> (bareLineEnding: Bool, eightBit: Bool) {
        buffer.withUnsafeReadableBytes { bytes in
            var bare = false
            var high = false
            for byte in bytes {
                if byte == 0x0D || byte == 0x0A { bare = true }
                if byte >= 0x80 { high = true }
            }
            return (bare, high)
        }
    }

    // MARK: - Commands

    private mutating func command(_ line: ByteBuffer) -> [SMTPAction] {
        if Self.scan(line).bareLineEnding { return fail(.bareLineEnding) }
        let parsed: SMTPCommand
        do {
            parsed = try SMTPCommand.parse(line.readableBytesView, utf8Addresses: transaction?.parameters.smtputf8 ?? false)
        } catch {
            return fail(error.reply)
        }
        switch parsed {
        case let .helo(name):
            if lmtp { return fail(.useLHLO) }
            greet(.helo, name)
            return [.reply(SMTPReply(250, nil, configuration.hostname))]
        case let .ehlo(name):
            if lmtp { return fail(.useLHLO) }
            greet(.ehlo, name)
            return [.reply(ehloReply())]
        case let .lhlo(name):
            if !lmtp { return fail(.commandUnrecognized) }
            greet(.lhlo, name)
            return [.reply(ehloReply())]
        case let .mail(reversePath, parameters):
            return mail(reversePath, parameters)
        case let .rcpt(forwardPath):
            return rcpt(forwardPath)
        case .data:
            return data()
        case let .bdat(size, last):
            return bdat(size: size, last: last)
        case .rset:
            transaction = nil
            return [.reply(.ok)]
        case .noop:
            return [.reply(.ok)]
        case .quit:
            return close(with: .bye)
        case .help:
            return [.reply(helpReply())]
        case .vrfy:
            if tlsGate { return fail(.startTLSFirst) }
            return [.reply(.cannotVerify)]
        case .starttls:
            if isSecure { return fail(.tlsAlreadyActive) }
            guard configuration.tlsAvailable else { return fail(.notImplemented) }
            guard hello != .none else { return fail(.sendHelloFirst(lmtp: lmtp)) }
            state = .awaitingTLS
            return [.reply(.readyToStartTLS), .startTLS]
        case let .auth(mechanism, initialResponse):
            return auth(mechanism, initialResponse)
        case .notImplemented:
            return fail(.notImplemented)
        }
    }

    /// HELO/EHLO/LHLO also reset any transaction (RFC 5321 §4.1.4).
    private mutating func greet(_ kind: Hello, _ name: String) {
        hello = kind
        heloName = name
        transaction = nil
    }

    private func ehloReply() -> SMTPReply {
        var lines = [configuration.hostname, "PIPELINING", "SIZE \(configuration.maximumMessageSize)"]
        if configuration.tlsAvailable && !isSecure { lines.append("STARTTLS") }
        if authOffered { lines.append("AUTH " + configuration.authenticationMechanisms.map(\.rawValue).joined(separator: " ")) }
        lines.append("ENHANCEDSTATUSCODES")
        lines.append("8BITMIME")
        if configuration.chunking { lines += ["BINARYMIME", "CHUNKING"] }
        if configuration.smtputf8 { lines.append("SMTPUTF8") }
        lines.append("HELP")
        return SMTPReply(250, nil, lines)
    }

    private func helpReply() -> SMTPReply {
        var verbs = lmtp ? ["LHLO"] : ["HELO", "EHLO"]
        verbs += ["MAIL", "RCPT", "DATA"]
        if configuration.chunking { verbs.append("BDAT") }
        verbs += ["RSET", "NOOP", "QUIT", "VRFY", "HELP"]
        if configuration.tlsAvailable { verbs.append("STARTTLS") }
        if !lmtp && !configuration.authenticationMechanisms.isEmpty { verbs.append("AUTH") }
        return SMTPReply(214, SMTPReply.esc(2, 0, 0), "Commands: " + verbs.joined(separator: " "))
    }

    private mutating func mail(_ reversePath: SMTPMailbox?, _ parameters: SMTPMailParameters) -> [SMTPAction] {
        guard hello != .none else { return fail(.sendHelloFirst(lmtp: lmtp)) }
        if tlsGate { return fail(.startTLSFirst) }
        if configuration.requireAuthentication && authenticatedUser == nil { return fail(.authenticationRequired) }
        guard transaction == nil else { return fail(.nestedMail) }
        if parameters.smtputf8 && !configuration.smtputf8 { return fail(.unsupportedParameter("SMTPUTF8")) }
        if parameters.body == .binaryMIME && !configuration.chunking { return fail(.badParameter("BODY")) }
        if let size = parameters.size, size > configuration.maximumMessageSize { return [.reply(.messageTooBig)] }
        transaction = Transaction(reversePath: reversePath, parameters: parameters)
        return [.reply(.senderOk)]
    }

    private mutating func rcpt(_ mailbox: SMTPMailbox) -> [SMTPAction] {
        if tlsGate { return fail(.startTLSFirst) }
        guard let current = transaction else {
            return fail(hello == .none ? .sendHelloFirst(lmtp: lmtp) : .needMail)
        }
        if !lmtp && current.recipients.contains(where: { $0.mailbox == mailbox }) {
            return [.reply(.recipientOk)]  // already accepted: deliver once
        }
        guard current.recipients.count < configuration.maximumRecipients else { return [.reply(.tooManyRecipients)] }
        let address: String
        if mailbox.isPostmaster {
            address = configuration.postmaster ?? "postmaster@\(configuration.hostname)"
        } else {
            if !configuration.localDomains.isEmpty && !configuration.isLocalDomain(mailbox.domain) {
                return remoteRecipient(mailbox)
            }
            address = mailbox.address
        }
        state = .awaitingRecipient(mailbox)
        return [.checkRecipient(address: address, mailFrom: current.reversePath?.address ?? "")]
    }

    private mutating func remoteRecipient(_ mailbox: SMTPMailbox) -> [SMTPAction] {
        if !lmtp && authenticatedUser != nil && configuration.relayHost != nil {
            transaction?.recipients.append(SMTPRecipient(mailbox: mailbox, destination: .relay))
            return [.reply(.recipientOk)]
        }
        transaction?.rejectedRecipients += 1
        return fail(.relayDenied)
    }

    private mutating func recipientChecked(_ mailbox: SMTPMailbox, _ check: RecipientCheck) -> [SMTPAction] {
        guard transaction != nil else { return [] }
        switch check {
        case let .local(user, overQuota):
            if overQuota {
                transaction?.rejectedRecipients += 1
                return [.reply(configuration.overQuotaIsPermanent ? .mailboxFullPermanent : .mailboxFullTemporary)]
            }
            transaction?.recipients.append(SMTPRecipient(mailbox: mailbox, destination: .local(user)))
            return [.reply(.recipientOk)]
        case .unknown:
            transaction?.rejectedRecipients += 1
            return fail(.userUnknown)
        case .disabled:
            transaction?.rejectedRecipients += 1
            return fail(.mailboxDisabled)
        case .remote:
            return remoteRecipient(mailbox)
        case .temporaryFailure:
            transaction?.rejectedRecipients += 1
            return [.reply(.temporaryLookupFailure)]
        }
    }

    /// Why DATA/BDAT cannot start now, and whether that counts as a client error.
    private func contentRefusal() -> (reply: SMTPReply, counts: Bool)? {
        if hello == .none { return (.sendHelloFirst(lmtp: lmtp), true) }
        if tlsGate { return (.startTLSFirst, true) }
        guard let current = transaction else { return (.needMail, true) }
        if current.recipients.isEmpty {
            return current.rejectedRecipients > 0 ? (.noValidRecipients, false) : (.needRecipient, true)
        }
        return nil
    }

    private mutating func data() -> [SMTPAction] {
        if let refusal = contentRefusal() {
            return refusal.counts ? fail(refusal.reply) : [.reply(refusal.reply)]
        }
        if transaction!.usedBDAT { return fail(.dataAfterBDAT) }
        if transaction!.parameters.body == .binaryMIME { return fail(.binaryNeedsBDAT) }
        beginContent()
        state = .data
        return [.reply(.startData)]
    }

    /// Assigns the id and writes the trace headers in front of the message.
    private mutating func beginContent() {
        guard var current = transaction else { return }
        let id = configuration.makeID()
        let protocolName = SMTPTrace.protocolName(
            lmtp: lmtp, extended: hello != .helo, secure: isSecure, authenticated: authenticatedUser != nil,
            utf8: current.parameters.smtputf8)
        let (returnPath, received) = SMTPTrace.headers(
            reversePath: current.reversePath?.address ?? "", helo: heloName ?? "", peer: peer,
            hostname: configuration.hostname, protocolName: protocolName, id: id,
            recipients: current.recipients.map(\.address), timestamp: configuration.now())
        var message = ByteBuffer()
        message.writeString(returnPath)
        message.writeString(received)
        current.id = id
        current.returnPathLength = returnPath.utf8.count
        current.message = message
        transaction = current
    }

    private mutating func dataLine(_ line: ByteBuffer) -> [SMTPAction] {
        var line = line
        if line.readableBytes == 1 && line.readableBytesView.first == UInt8(ascii: ".") {
            return endOfData()
        }
        if line.readableBytesView.first == UInt8(ascii: ".") {
            line.moveReaderIndex(forwardBy: 1)  // RFC 5321 §4.5.2 transparency
        }
        let (bare, high) = Self.scan(line)
        guard var current = transaction else { return [] }
        transaction = nil  // keep the buffer uniquely referenced while appending
        current.eightBit = current.eightBit || high
        current.bareLineEnding = current.bareLineEnding || bare
        current.contentSize += line.readableBytes + 2
        if current.contentSize > configuration.maximumMessageSize && !current.tooBig {
            current.tooBig = true
            current.message = ByteBuffer()
        }
        if !current.tooBig && !current.lineTooLong {
            current.message.writeImmutableBuffer(line)
            current.message.writeStaticString("\r\n")
        }
        transaction = current
        return []
    }

    /// A span of whole lines (the driver's `.messageLines` mode): one scan, one append, one transaction update.
    private mutating func dataLines(_ span: ByteBuffer) -> [SMTPAction] {
        guard var current = transaction else { return [] }
        transaction = nil  // keep the buffer uniquely referenced while appending
        let scan = SMTPDataSpan(scanning: span, maximumLineLength: configuration.maximumLineLength, checkEightBit: !current.eightBit)
        current.eightBit = current.eightBit || scan.eightBit
        current.bareLineEnding = current.bareLineEnding || scan.bareLineEnding
        if scan.lineTooLong && !current.lineTooLong {
            current.lineTooLong = true
            current.message = ByteBuffer()
        }
        current.contentSize += scan.contentSize(of: span)
        if current.contentSize > configuration.maximumMessageSize && !current.tooBig {
            current.tooBig = true
            current.message = ByteBuffer()
        }
        if !current.tooBig && !current.lineTooLong {
            scan.append(span, to: &current.message)
        }
        transaction = current
        return []
    }

    /// Replies ending a transaction that did not get delivered: LMTP wants one per accepted recipient (RFC 2033 §4.2).
    private func finalReplies(_ reply: SMTPReply, recipients: Int) -> [SMTPAction] {
        lmtp ? Array(repeating: .reply(reply), count: max(1, recipients)) : [.reply(reply)]
    }

    private mutating func endOfData() -> [SMTPAction] {
        state = .command
        guard let current = transaction else { return [] }
        transaction = nil
        if current.tooBig { return finalReplies(.messageTooBig, recipients: current.recipients.count) }
        if current.lineTooLong { return finalReplies(.lineTooLongInMessage, recipients: current.recipients.count) }
        if current.bareLineEnding { return finalReplies(.bareLineEndingInMessage, recipients: current.recipients.count) }
        return deliver(current)
    }

    private mutating func deliver(_ current: Transaction) -> [SMTPAction] {
        let id = current.id ?? configuration.makeID()
        let envelope = SMTPEnvelope(
            id: id, reversePath: current.reversePath, recipients: current.recipients, message: current.message,
            returnPathLength: current.returnPathLength, bodyType: current.parameters.body ?? .sevenBit,
            smtputf8: current.parameters.smtputf8, containsEightBitData: current.eightBit, heloName: heloName ?? "",
            peer: peer, authenticatedUser: authenticatedUser, secure: isSecure)
        state = .awaitingDelivery(recipients: current.recipients, id: id)
        return [.deliver(envelope)]
    }

    private func deliveryReplies(recipients: [SMTPRecipient], id: String, outcomes: [DeliveryOutcome]) -> [SMTPAction] {
        var outcomes = Array(outcomes.prefix(recipients.count))
        while outcomes.count < recipients.count { outcomes.append(.temporaryFailure(nil)) }
        func failure(_ outcome: DeliveryOutcome) -> SMTPReply? {
            switch outcome {
            case .delivered: return nil
            case .overQuota: return configuration.overQuotaIsPermanent ? .mailboxFullPermanent : .mailboxFullTemporary
            case let .temporaryFailure(text): return SMTPReply(451, SMTPReply.esc(4, 3, 0), text ?? "Temporary delivery failure")
            case let .permanentFailure(text): return SMTPReply(554, SMTPReply.esc(5, 3, 0), text ?? "Delivery failed")
            }
        }
        func naming(_ reply: SMTPReply, _ recipient: SMTPRecipient, suffix: String = "") -> SMTPReply {
            SMTPReply(reply.code, reply.enhancedCode, "<\(recipient.address)> \(reply.lines[0])\(suffix)")
        }
        if lmtp {
            return zip(recipients, outcomes).map { recipient, outcome in
                guard let reply = failure(outcome) else {
                    return .reply(SMTPReply(250, SMTPReply.esc(2, 0, 0), "<\(recipient.address)> Ok: delivered as \(id)"))
                }
                return .reply(naming(reply, recipient))
            }
        }
        let failures = zip(recipients, outcomes).compactMap { recipient, outcome in
            failure(outcome).map { (recipient, $0) }
        }
        guard !failures.isEmpty else { return [.reply(.queued(id))] }
        let chosen = failures.first { $0.1.isTransientFailure } ?? failures[0]
        let suffix = failures.count < recipients.count ? "; delivered to the other recipients" : ""
        return [.reply(naming(chosen.1, chosen.0, suffix: suffix))]
    }

    // MARK: - BDAT (RFC 3030)

    private mutating func bdat(size: Int, last: Bool) -> [SMTPAction] {
        guard configuration.chunking else { return fail(.notImplemented) }
        var chunk = Chunk(remaining: size, size: size, last: last, failure: nil, failureCounts: false)
        if let refusal = contentRefusal() {
            chunk.failure = refusal.reply
            chunk.failureCounts = refusal.counts
        } else if transaction!.contentSize > configuration.maximumMessageSize - size {
            transaction!.tooBig = true
            chunk.failure = .messageTooBig
        } else if !transaction!.usedBDAT {
            beginContent()
            transaction!.usedBDAT = true
        }
        state = .chunk(chunk)
        return size == 0 ? finishChunk(chunk) : []
    }

    private mutating func chunkBytes(_ chunk: Chunk, _ bytes: ByteBuffer) -> [SMTPAction] {
        var chunk = chunk
        let count = min(bytes.readableBytes, chunk.remaining)
        if chunk.failure == nil, var current = transaction {
            transaction = nil
            let piece = bytes.getSlice(at: bytes.readerIndex, length: count)!
            current.eightBit = current.eightBit || Self.scan(piece).eightBit
            current.contentSize += count
            current.message.writeImmutableBuffer(piece)
            transaction = current
        }
        chunk.remaining -= count
        state = .chunk(chunk)
        return chunk.remaining == 0 ? finishChunk(chunk) : []
    }

    private mutating func finishChunk(_ chunk: Chunk) -> [SMTPAction] {
        state = .command
        if let failure = chunk.failure {
            let recipients = transaction?.recipients.count ?? 0
            if transaction?.tooBig == true {
                transaction = nil  // RFC 3030 §2: the transaction failed; the client must RSET or start over
                return chunk.last ? finalReplies(failure, recipients: recipients) : [.reply(failure)]
            }
            return chunk.failureCounts ? fail(failure) : [.reply(failure)]
        }
        guard chunk.last else { return [.reply(.chunkReceived(chunk.size))] }
        guard let current = transaction else { return [] }
        transaction = nil
        return deliver(current)
    }

    // MARK: - AUTH (RFC 4954)

    private mutating func auth(_ mechanismName: String, _ initialResponse: String?) -> [SMTPAction] {
        guard !lmtp, !configuration.authenticationMechanisms.isEmpty else { return fail(.notImplemented) }
        guard hello != .none else { return fail(.sendHelloFirst(lmtp: lmtp)) }
        guard authenticatedUser == nil else { return fail(.alreadyAuthenticated) }
        guard transaction == nil else { return fail(.authInTransaction) }
        guard let mechanism = SASLMechanism(rawValue: mechanismName),
              configuration.authenticationMechanisms.contains(mechanism)
        else { return fail(.unrecognizedMechanism) }
        guard isSecure || configuration.allowPlaintextAuthentication else { return fail(.encryptionRequired) }
        if tlsGate { return fail(.startTLSFirst) }
        var exchange = SASLExchange(mechanism: mechanism)
        return sasl(exchange.start(initialResponse: initialResponse), exchange)
    }

    private mutating func authResponse(_ exchange: SASLExchange, _ line: ByteBuffer) -> [SMTPAction] {
        guard let text = validUTF8(line.readableBytesView), !Self.scan(line).bareLineEnding else {
            return fail(.cannotDecodeResponse)
        }
        var exchange = exchange
        return sasl(exchange.respond(text), exchange)
    }

    /// Turns a step of the SASL exchange into replies (RFC 4954: 334 challenges, 501 and 535 failures).
    private mutating func sasl(_ step: SASLExchange.Step, _ exchange: SASLExchange) -> [SMTPAction] {
        switch step {
        case let .challenge(text):
            state = .authResponse(exchange)
            return [.reply(.authChallenge(text))]
        case let .credentials(login, password):
            state = .awaitingAuthentication
            return [.authenticate(login: login, password: password)]
        case .failed(.cancelled):
            return fail(.authenticationCancelled)
        case .failed(.cannotDecode):
            return fail(.cannotDecodeResponse)
        case .failed(.malformedCredentials):
            return fail(.authenticationFailed)
        }
    }

    private mutating func authenticated(_ result: SMTPAuthenticationResult) -> [SMTPAction] {
        switch result {
        case let .success(user):
            authenticatedUser = user
            return [.reply(.authenticationSucceeded)]
        case .failure:
            return fail(.authenticationFailed)
        case .temporaryFailure:
            return [.reply(.temporaryAuthenticationFailure)]
        }
    }
}
