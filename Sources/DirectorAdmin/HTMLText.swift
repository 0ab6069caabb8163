import Foundation
import HTMLSanitizer

/// Escaping and formatting for the status page.
enum HTMLText {
    /// Escapes `& < > " '` so any text is safe in element content and quoted attributes (HTMLSanitizer's one copy).
    static func escape(_ text: String) -> String { HTMLEscaping.escape(text) }

    /// `2026-11-21T08:39:03Z` (UTC, whole seconds), as the page's script prints times too.
    static func time(_ seconds: Double) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: seconds.rounded(.down)))
    }

    /// Whole seconds as `3d 4h 5m 6s`, leaving out leading zero units.
    static func duration(_ seconds: Double) -> String {
        var s = Int(max(0, seconds))
        let d = s / 86400; s %= 86400
        let h = s / 3600; s %= 3600
        let m = s / 60; s %= 60
        if d > 0 { return "\(d)d \(h)h \(m)m \(s)s" }
        if h > 0 { return "\(h)h \(m)m \(s)s" }
        if m > 0 { return "\(m)m \(s)s" }
        return "\(s)s"
    }
}
