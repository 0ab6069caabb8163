/// A message as RETR and TOP send it (RFC 1939 §3): CR LF line ends (a bare LF becomes CR LF), a line
/// starting with "." gets one more, and a line with a single "." ends it.
public enum POP3Transfer {
    /// The multi-line body for `message`: all of it, or (TOP) the header, the blank line and the first
    /// `bodyLines` lines of the body.
    public static func encode(_ message: some Collection<UInt8>, bodyLines: Int? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 32 + 5)
        var atLineStart = true
        var inBody = false
        var bodyLinesLeft = bodyLines ?? Int.max
        var lineIsEmpty = true
        var previous: UInt8 = 0
        for byte in message {
            if inBody && bodyLinesLeft <= 0 { break }
            if byte == 0x0A {
                if previous != 0x0D { out.append(0x0D) }
                out.append(0x0A)
                if inBody {
                    bodyLinesLeft -= 1
                } else if lineIsEmpty {
                    inBody = true  // the blank line between header and body
                }
                atLineStart = true
                lineIsEmpty = true
                previous = byte
                continue
            }
            if atLineStart && byte == 0x2E { out.append(0x2E) }
            if byte != 0x0D { lineIsEmpty = false }
            atLineStart = false
            out.append(byte)
            previous = byte
        }
        // A last line without its line end gets one (or, for a trailing lone CR, its LF).
        if !atLineStart {
            if previous != 0x0D { out.append(0x0D) }
            out.append(0x0A)
        }
        out.append(contentsOf: [0x2E, 0x0D, 0x0A])
        return out
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
