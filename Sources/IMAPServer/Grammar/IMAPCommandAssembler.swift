public import NIOCore

/// Collects one command from the line driver's lines and literal chunks (RFC 3501 §4.3 literals, RFC 7888
/// LITERAL+), enforcing the limits before anything is allocated, then parses it.
///
/// Drive it like this:
/// 1. Feed each line (without CR LF) to ``receive(line:)``; feed raw chunks to ``receive(literal:)`` while
///    ``pendingLiteralOctets`` is positive (set the driver's input mode to `.chunk(remaining:)` with it).
/// 2. `.needLiteral(octets, sendContinuation)`: send ``IMAPContinuation/readyForLiteral`` first when
///    `sendContinuation` (a synchronizing `{n}`), then read `octets` raw octets (none when 0: read a line).
/// 3. `.needMoreLiteral(remaining)`: part of the literal came; keep reading chunks.
/// 4. `.needLine`: the literal is complete; read the line that continues the command.
/// 5. `.command(c)`: run it. `.rejected(e)`: send `e.response`, then close when `e.closeConnection`.
/// After `.command` or `.rejected` the assembler is empty and ready for the next command.
public struct IMAPCommandAssembler: Sendable {
    /// The limits on one command.
    public struct Limits: Hashable, Sendable {
        /// Largest literal other than APPEND's message (mailbox names, passwords, search strings).
        public var maximumLiteralSize: Int
        /// Largest APPEND message literal (the message size limit).
        public var maximumMessageSize: Int
        /// Most literals in one command.
        public var maximumLiteralCount: Int
        /// Most octets in one command: its lines and all its literals.
        public var maximumCommandSize: Int

        public init(maximumLiteralSize: Int = 64 * 1024, maximumMessageSize: Int = 25 * 1024 * 1024, maximumLiteralCount: Int = 32, maximumCommandSize: Int? = nil) {
            self.maximumLiteralSize = maximumLiteralSize
            self.maximumMessageSize = maximumMessageSize
            self.maximumLiteralCount = maximumLiteralCount
            self.maximumCommandSize = maximumCommandSize ?? (maximumMessageSize + 256 * 1024)
        }
    }

    /// What the driver should do next.
    public enum Step: Hashable, Sendable {
        /// The line announced a literal: send the continuation when asked (synchronizing), then read
        /// `octets` raw octets (a line when 0).
        case needLiteral(octets: Int, sendContinuation: Bool)
        /// Part of the literal arrived; `remaining` octets are still to come.
        case needMoreLiteral(remaining: Int)
        /// The literal is complete: read the line that continues the command.
        case needLine
        /// The command is complete and parsed.
        case command(IMAPCommand)
        /// The command is refused: send the response (and close when it says so).
        case rejected(IMAPCommandError)
    }

    private enum State: Sendable {
        case idle
        case readingLiteral(remaining: Int)
        case awaitingLine
    }

    public let limits: Limits
    private var state: State = .idle
    /// The command's lines so far, each literal announcement followed by CR LF (the literal octets are kept apart).
    private var text: [UInt8] = []
    private var literals: [ByteBuffer] = []
    private var current: ByteBuffer?
    private var size = 0
    private var tag: String?

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Octets of literal still expected: read raw chunks while positive, lines otherwise.
    public var pendingLiteralOctets: Int {
        if case let .readingLiteral(remaining) = state { return remaining }
        return 0
    }

    /// True between commands (nothing of a command received yet).
    public var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    /// Drops a partly received command (after the driver dropped an over-long line, say).
    public mutating func reset() {
        state = .idle
        text = []
        literals = []
        current = nil
        size = 0
        tag = nil
    }

    /// One line, without CR LF: the start of a command, or its continuation after a literal.
    public mutating func receive(line: ByteBuffer) -> Step {
        switch state {
        case .readingLiteral:
            return reject("Literal data expected", closeConnection: true)
        case .idle:
            reset()
            var probe = IMAPParser(text: Array(line.readableBytesView.prefix(65)))
            tag = probe.tag()
        case .awaitingLine:
            break
        }
        size += line.readableBytes
        guard size <= limits.maximumCommandSize else {
            return reject("Command too long (limit \(limits.maximumCommandSize) octets)", closeConnection: announcement(in: line)?.synchronizing == false)
        }
        let startOfLine = text.count
        text.append(contentsOf: line.readableBytesView)
        guard let literal = announcement(in: line) else {
            return complete()
        }
        let isMessage = isMessageLiteral(announcementStart: startOfLine + literal.offset)
        let closing = !literal.synchronizing
        guard literals.count < limits.maximumLiteralCount else {
            return reject("Too many literals in one command (limit \(limits.maximumLiteralCount))", closeConnection: closing)
        }
        let limit = isMessage ? limits.maximumMessageSize : limits.maximumLiteralSize
        guard let octets = literal.octets, octets <= limit else {
            let what = isMessage ? "Message" : "Literal"
            let status: IMAPStatus = isMessage && literal.synchronizing ? .no : .bad
            return reject("\(what) too big (limit \(limit) octets)", status: status, code: .tooBig, closeConnection: closing)
        }
        guard size + octets <= limits.maximumCommandSize else {
            return reject("Command too long (limit \(limits.maximumCommandSize) octets)", code: .tooBig, closeConnection: closing)
        }
        size += octets
        text.append(contentsOf: [0x0D, 0x0A])
        if octets == 0 {
            literals.append(ByteBuffer())
            state = .awaitingLine
        } else {
            current = nil
            state = .readingLiteral(remaining: octets)
        }
        return .needLiteral(octets: octets, sendContinuation: literal.synchronizing)
    }

    /// Raw octets of the literal being read (as many pieces as the reads deliver).
    public mutating func receive(literal chunk: ByteBuffer) -> Step {
        guard case let .readingLiteral(remaining) = state else {
            return reject("Unexpected literal data", closeConnection: true)
        }
        guard chunk.readableBytes <= remaining else {
            return reject("More literal data than announced", closeConnection: true)
        }
        if current == nil, chunk.readableBytes == remaining {
            current = chunk
        } else {
            if current == nil { current = ByteBufferAllocator().buffer(capacity: remaining) }
            var chunk = chunk
            current!.writeBuffer(&chunk)
        }
        let left = remaining - chunk.readableBytes
        if left > 0 {
            state = .readingLiteral(remaining: left)
            return .needMoreLiteral(remaining: left)
        }
        literals.append(current!)
        current = nil
        state = .awaitingLine
        return .needLine
    }

    private mutating func complete() -> Step {
        let result = IMAPCommand.parse(text: text, literals: literals)
        reset()
        switch result {
        case let .success(command): return .command(command)
        case let .failure(error): return .rejected(error)
        }
    }

    private mutating func reject(_ text: String, status: IMAPStatus = .bad, code: IMAPResponseCode? = nil, closeConnection: Bool) -> Step {
        let error = IMAPCommandError(tag: tag, status: status, code: code, text: text, closeConnection: closeConnection)
        reset()
        return .rejected(error)
    }

    /// A literal announcement ending the line: `{n}` or `{n+}`; `octets` nil when n is too large to hold.
    private func announcement(in line: ByteBuffer) -> (offset: Int, octets: Int?, synchronizing: Bool)? {
        let view = line.readableBytesView
        guard view.last == UInt8(ascii: "}") else { return nil }
        var end = view.endIndex - 1
        var synchronizing = true
        if end > view.startIndex, view[end - 1] == UInt8(ascii: "+") {
            synchronizing = false
            end -= 1
        }
        var start = end
        while start > view.startIndex, IMAPByteClass.isDigit(view[start - 1]) { start -= 1 }
        guard start < end, start - 1 > view.startIndex, view[start - 1] == UInt8(ascii: "{") else { return nil }
        // A literal follows a space or "(" (or "~" after a space, literal8); `x{5}` is no announcement.
        let before = view[start - 2]
        guard before == UInt8(ascii: " ") || before == UInt8(ascii: "(") || before == UInt8(ascii: "~") else { return nil }
        let digits = view[start..<end]
        let octets = digits.count <= 12 ? Int(String(decoding: digits, as: UTF8.self)) : nil
        return (start - 1 - view.startIndex, octets, synchronizing)
    }

    /// Whether the literal announced at `offset` of the text is APPEND's message (not its mailbox name).
    private func isMessageLiteral(announcementStart offset: Int) -> Bool {
        var parser = IMAPParser(text: text)
        guard parser.tag() != nil, parser.skip(UInt8(ascii: " ")), parser.keyword("APPEND"), parser.skip(UInt8(ascii: " ")) else {
            return false
        }
        // The first argument is the mailbox: a literal right there is the name, any later one the message.
        return !(literals.isEmpty && offset == parser.index)
    }
}
