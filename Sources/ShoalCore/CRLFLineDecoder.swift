public import NIOCore

/// A strict line decoder for SMTP, LMTP, POP3 and IMAP: a line ends only at CR LF.
///
/// NIO's `LineBasedFrameDecoder` also ends lines at a bare LF, which the mail protocols forbid and which
/// opens the door to SMTP smuggling. Here a bare LF or a bare CR is simply part of the line; the protocol
/// layer decides whether to reject it.
///
/// * Lines are produced **without** their CR LF.
/// * A line longer than ``maximumLineLength`` octets (counting its CR LF) produces one ``Line/tooLong``
///   when its CR LF finally arrives; its bytes are dropped as they come, so memory stays bounded by the limit.
///   Every input line therefore yields exactly one output, in order.
/// * Raw mode for BDAT chunks and IMAP literals: set ``pendingChunk`` to N and the next N bytes come out as
///   ``Line/chunk(_:)`` pieces (as many as the reads deliver), after which line mode resumes.
/// * At EOF an unterminated last line is dropped (it never ended, so it is not a line); an unfinished chunk
///   yields the bytes that did arrive.
///
/// The decoder is usable in a `ByteToMessageHandler` for line-only protocols. A protocol that switches to
/// raw mode depending on what the session answered (SMTP's BDAT) should instead drive ``decode(buffer:)``
/// itself, one output at a time, and set ``pendingChunk`` from the session before asking for the next one.
public struct CRLFLineDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    /// What the decoder produces.
    public enum Line: Hashable, Sendable {
        /// A complete line, without its CR LF.
        case line(ByteBuffer)
        /// A line longer than the maximum; its content was discarded.
        case tooLong
        /// A piece of raw data read while ``CRLFLineDecoder/pendingChunk`` was positive.
        case chunk(ByteBuffer)
    }

    public typealias InboundOut = Line

    /// The default maximum: 1000 octets including CR LF (RFC 5321 §4.5.3.1.6).
    public static let defaultMaximumLineLength = 1000

    /// The longest accepted line in octets, counting its CR LF (at least 2).
    public var maximumLineLength: Int {
        didSet { maximumLineLength = Swift.max(2, maximumLineLength) }
    }

    /// Raw bytes still to be passed through as ``Line/chunk(_:)`` before line mode resumes.
    public var pendingChunk: Int = 0 {
        didSet { pendingChunk = Swift.max(0, pendingChunk) }
    }

    /// True while the rest of an over-long line is being dropped.
    public private(set) var isDiscarding = false
    /// While discarding: whether the last dropped byte was a CR (its LF may come in the next read).
    private var discardedCR = false
    /// Readable bytes at the front already searched for CR LF without success.
    private var scanned = 0

    public init(maximumLineLength: Int = CRLFLineDecoder.defaultMaximumLineLength) {
        self.maximumLineLength = Swift.max(2, maximumLineLength)
    }

    public mutating func decode(buffer: inout ByteBuffer) -> Line? {
        if pendingChunk > 0 {
            let count = Swift.min(pendingChunk, buffer.readableBytes)
            guard count > 0, let piece = buffer.readSlice(length: count) else { return nil }
            pendingChunk -= count
            scanned = 0
            return .chunk(piece)
        }
        if isDiscarding {
            return discard(&buffer)
        }
        let limit = maximumLineLength
        let start = Swift.max(1, Swift.min(scanned, buffer.readableBytes))
        // Index of the LF of the first CR LF, searched only within the first `limit` bytes.
        let lf: Int? = buffer.withUnsafeReadableBytes { bytes in
            let end = Swift.min(bytes.count, limit)
            var index = start
            while index < end {
                if bytes[index] == 0x0A && bytes[index - 1] == 0x0D { return index }
                index += 1
            }
            return nil
        }
        if let lf {
            scanned = 0
            let line = buffer.readSlice(length: lf - 1)!
            buffer.moveReaderIndex(forwardBy: 2)
            return .line(line)
        }
        if buffer.readableBytes >= limit {
            // No CR LF within the limit: the line is too long. Drop what we have and look for its end.
            scanned = 0
            isDiscarding = true
            discardedCR = false
            return discard(&buffer)
        }
        scanned = buffer.readableBytes
        return nil
    }

    /// The caller took bytes from the front of the buffer itself (whole lines): forget how far it was searched.
    public mutating func bufferWasConsumed() {
        scanned = 0
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) -> Line? {
        if let line = decode(buffer: &buffer) {
            return line
        }
        // An unterminated line (or the tail of an over-long one) never ended: drop it.
        buffer.moveReaderIndex(to: buffer.writerIndex)
        isDiscarding = false
        discardedCR = false
        scanned = 0
        return nil
    }

    /// Drops bytes up to and including the next CR LF; `.tooLong` once it is found.
    private mutating func discard(_ buffer: inout ByteBuffer) -> Line? {
        let sawCR = discardedCR
        let found: (end: Int, lastIsCR: Bool) = buffer.withUnsafeReadableBytes { bytes in
            var previousCR = sawCR
            for index in bytes.indices {
                let byte = bytes[index]
                if byte == 0x0A && previousCR { return (index + 1, false) }
                previousCR = byte == 0x0D
            }
            return (-1, previousCR)
        }
        if found.end >= 0 {
            buffer.moveReaderIndex(forwardBy: found.end)
            isDiscarding = false
            discardedCR = false
            return .tooLong
        }
        discardedCR = found.lastIsCR
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return nil
    }
}
