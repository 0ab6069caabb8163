#if canImport(Glibc)
import Glibc
#endif
public import NIOCore

/// One scan of a span of whole DATA lines (CR LFs included, no end-of-data line among them): where the lines
/// with a leading dot start (RFC 5321 §4.5.2: the dot is removed), whether a bare CR or LF, an over-long line
/// or an 8-bit octet occurs. One `memchr` per line end and a word-at-a-time 8-bit test instead of a
/// per-line transaction update and byte loop.
public struct SMTPDataSpan: Hashable, Sendable {
    /// Offsets (in the span) of the dots to remove, in order.
    public var leadingDots: [Int] = []
    /// A CR or LF that is not part of a line's CR LF.
    public var bareLineEnding = false
    /// An octet ≥ 0x80.
    public var eightBit = false
    /// Octets of the lines longer than the limit (CR LF counted), which are not message content.
    public var overlongBytes = 0
    /// A line was longer than the limit.
    public var lineTooLong: Bool { overlongBytes > 0 }

    /// Scans `span`; `maximumLineLength` counts the CR LF. `checkEightBit: false` skips that test (already known).
    public init(scanning span: ByteBuffer, maximumLineLength: Int, checkEightBit: Bool = true) {
        var dots: [Int] = []
        var bare = false
        var overlong = 0
        var high = false
        span.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            let count = bytes.count
            var lineStart = 0
            lines: while lineStart < count {
                if bytes[lineStart] == 0x2E { dots.append(lineStart) }
                var from = lineStart
                while from < count, let found = memchr(base + from, 0x0A, count - from) {
                    let lf = base.distance(to: UnsafeRawPointer(found))
                    if lf > lineStart && bytes[lf - 1] == 0x0D {
                        let length = lf + 1 - lineStart
                        if length > maximumLineLength {
                            overlong += length
                        } else if !bare, length > 2, memchr(base + lineStart, 0x0D, length - 2) != nil {
                            bare = true
                        }
                        lineStart = lf + 1
                        continue lines
                    }
                    bare = true  // an LF without its CR
                    from = lf + 1
                }
                // No CR LF ends the rest (the driver never cuts such a span): it is not a line, so not content.
                overlong += count - lineStart
                break
            }
            if checkEightBit {
                var accumulated: UInt64 = 0
                var index = 0
                while index + 8 <= count {
                    accumulated |= bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    index += 8
                }
                while index < count {
                    accumulated |= UInt64(bytes[index])
                    index += 1
                }
                high = accumulated & 0x8080_8080_8080_8080 != 0
            }
        }
        leadingDots = dots
        bareLineEnding = bare
        overlongBytes = overlong
        eightBit = high
    }

    /// Message content octets of the span: without removed dots and over-long lines.
    public func contentSize(of span: ByteBuffer) -> Int {
        span.readableBytes - leadingDots.count - overlongBytes
    }

    /// Appends the span to `message` without its leading dots (one write when there are none).
    public func append(_ span: ByteBuffer, to message: inout ByteBuffer) {
        guard !leadingDots.isEmpty else {
            message.writeImmutableBuffer(span)
            return
        }
        var start = span.readerIndex
        for dot in leadingDots {
            let at = span.readerIndex + dot
            if at > start, let piece = span.getSlice(at: start, length: at - start) { message.writeImmutableBuffer(piece) }
            start = at + 1
        }
        if span.writerIndex > start, let piece = span.getSlice(at: start, length: span.writerIndex - start) {
            message.writeImmutableBuffer(piece)
        }
    }
}
