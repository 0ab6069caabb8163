#if canImport(Glibc)
import Glibc
#endif
import NIOCore
public import ShoalHTTP

/// The body of a `multipart/byteranges` answer (RFC 9110 §14.6): a part header before each range, the closing
/// delimiter after the last.
public enum MultipartByteRanges {
    /// A fresh boundary: `shoal-` and 16 random hex digits.
    public static func boundary() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return "shoal-" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The parts: part headers as bytes, ranges as file slices.
    public static func parts(ranges: [ClosedRange<Int64>], length: Int64, contentType: String, boundary: String) -> [HTTPFileBody.Part] {
        var parts: [HTTPFileBody.Part] = []
        for range in ranges {
            let header = "\r\n--\(boundary)\r\nContent-Type: \(contentType)\r\nContent-Range: bytes \(range.lowerBound)-\(range.upperBound)/\(length)\r\n\r\n"
            parts.append(.bytes(ByteBuffer(string: header)))
            parts.append(.file(offset: range.lowerBound, count: range.upperBound - range.lowerBound + 1))
        }
        parts.append(.bytes(ByteBuffer(string: "\r\n--\(boundary)--\r\n")))
        return parts
    }
}
