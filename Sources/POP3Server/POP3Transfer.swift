#if canImport(Glibc)
import Glibc
#endif
public import NIOCore

/// A message as RETR and TOP send it (RFC 1939 §3): CR LF line ends (a bare LF becomes CR LF), a line
/// starting with "." gets one more, and a line with a single "." ends it.
public enum POP3Transfer {
    /// The multi-line body for `message`: all of it, or (TOP) the header, the blank line and the first
    /// `bodyLines` lines of the body.
    public static func encode(_ message: some Collection<UInt8>, bodyLines: Int? = nil) -> [UInt8] {
        var out = ByteBuffer()
        encode(Array(message), bodyLines: bodyLines, into: &out)
        return out.readBytes(length: out.readableBytes) ?? []
    }

    /// Appends the multi-line body for `message` to `out`, a line at a time (whole lines are copied at once).
    public static func encode(_ message: [UInt8], bodyLines: Int? = nil, into out: inout ByteBuffer) {
        out.reserveCapacity(minimumWritableBytes: message.count + message.count / 32 + 5)
        message.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return }
            var start = 0
            var inBody = false
            var bodyLinesLeft = bodyLines ?? Int.max
            while start < bytes.count {
                if inBody && bodyLinesLeft <= 0 { break }
                if bytes[start] == 0x2E { out.writeInteger(UInt8(0x2E)) }
                guard let found = memchr(base + start, 0x0A, bytes.count - start) else {
                    // A last line without its line end gets one (or, for a trailing lone CR, its LF).
                    out.writeBytes(UnsafeBufferPointer(rebasing: bytes[start...]))
                    if bytes[bytes.count - 1] != 0x0D { out.writeInteger(UInt8(0x0D)) }
                    out.writeInteger(UInt8(0x0A))
                    break
                }
                let lineFeed = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
                out.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<lineFeed]))
                if lineFeed == start || bytes[lineFeed - 1] != 0x0D { out.writeInteger(UInt8(0x0D)) }
                out.writeInteger(UInt8(0x0A))
                if inBody {
                    bodyLinesLeft -= 1
                } else if !bytes[start..<lineFeed].contains(where: { $0 != 0x0D }) {
                    inBody = true  // the blank line between header and body
                }
                start = lineFeed + 1
            }
        }
        out.writeBytes([0x2E, 0x0D, 0x0A])
    }

    /// Octets of `message` with every bare LF counted as CR LF (what LIST and STAT report).
    public static func size(_ message: some Collection<UInt8>) -> Int {
        var size = 0
        var previous: UInt8 = 0
        for byte in message {
            size += byte == 0x0A && previous != 0x0D ? 2 : 1
            previous = byte
        }
        return size
    }
}
