#if canImport(Glibc)
import Glibc
#endif
public import NIOCore

/// Cuts the input of `LineInputMode.messageLines` (SMTP DATA): the longest run of complete CR LF lines at the
/// front of the buffer that stops before the end-of-data line (a line holding only a dot). One `memchr` per
/// line and a look at its first bytes: the lines' contents are left to the session's one scan.
public enum MessageLineSpan {
    /// Takes and returns the span, or nil (nothing taken) when the buffer starts with the dot line (or what may
    /// become it) or holds no complete line.
    public static func take(from buffer: inout ByteBuffer) -> ByteBuffer? {
        let length = buffer.withUnsafeReadableBytes { bytes -> Int in
            let count = bytes.count
            guard let base = bytes.baseAddress else { return 0 }
            var lineStart = 0
            var spanEnd = 0
            lines: while lineStart < count {
                // ".\r\n" ends the message; "." or ".\r" at the end of the input may still become it.
                if bytes[lineStart] == 0x2E {
                    let rest = count - lineStart
                    if rest < 3 || (bytes[lineStart + 1] == 0x0D && bytes[lineStart + 2] == 0x0A) { break }
                }
                // The line's CR LF (a bare LF inside the line is the session's to refuse).
                var from = lineStart
                while from < count, let found = memchr(base + from, 0x0A, count - from) {
                    let lf = base.distance(to: UnsafeRawPointer(found))
                    if lf > lineStart && bytes[lf - 1] == 0x0D {
                        spanEnd = lf + 1
                        lineStart = lf + 1
                        continue lines
                    }
                    from = lf + 1
                }
                break
            }
            return spanEnd
        }
        guard length > 0 else { return nil }
        return buffer.readSlice(length: length)
    }
}
