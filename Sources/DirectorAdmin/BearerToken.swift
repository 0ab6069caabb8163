public import NIOHTTP1

/// Bearer-token checks for the admin API, compared in constant time.
public enum BearerToken {
    /// True when `presented` equals `expected`; the time taken depends only on the lengths.
    public static func matches(_ presented: String, expected: String) -> Bool {
        let a = Array(presented.utf8), b = Array(expected.utf8)
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count) | (a.count == b.count ? 0 : 1)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0
    }

    /// The token of an `Authorization: Bearer TOKEN` header, if there is one.
    public static func presented(in headers: HTTPHeaders) -> String? {
        for value in headers["Authorization"] {
            let parts = value.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return parts[1].trimmingSpaces()
            }
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
