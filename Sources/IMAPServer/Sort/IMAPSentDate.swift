/// The instant of an RFC 5322 `Date:` value (`[Mon,] 1 Dec 2026 10:00[:00] +0100`, obsolete zone names and
/// two-digit years accepted), for SORT DATE and THREAD; nil when it does not parse.
public enum IMAPSentDate {
    static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let zones: [String: Int] = ["UT": 0, "GMT": 0, "Z": 0, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300,
                                       "MST": -420, "MDT": -360, "PST": -480, "PDT": -420]

    /// Seconds since 1970 UTC.
    public static func parse(_ value: String) -> Int64? {
        guard value.utf8.count <= 200 else { return nil }
        // Comments are dropped; commas and colons separate tokens like spaces.
        var cleaned = "", depth = 0
        for character in value {
            if character == "(" { depth += 1; continue }
            if character == ")" { depth = max(0, depth - 1); continue }
            if depth == 0 { cleaned.append(character == "," ? " " : character) }
        }
        var tokens = cleaned.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }).map(String.init)
        if let first = tokens.first, first.count >= 3, Int(first) == nil { tokens.removeFirst() }  // day of week
        guard tokens.count >= 4, let day = Int(tokens[0]),
              let month = months.firstIndex(of: String(tokens[1].uppercased().prefix(3))), var year = Int(tokens[2]),
              tokens[2].count >= 2, tokens[2].count <= 4
        else { return nil }
        if tokens[2].count == 2 { year += year < 50 ? 2000 : 1900 } else if tokens[2].count == 3 { year += 1900 }
        let time = tokens[3].split(separator: ":").map { Int($0) }
        guard time.count == 2 || time.count == 3, time.allSatisfy({ $0 != nil }) else { return nil }
        let hour = time[0]!, minute = time[1]!, second = time.count == 3 ? time[2]! : 0
        guard (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
              let date = IMAPDate(day: day, month: month + 1, year: year)
        else { return nil }
        var offset = 0
        if tokens.count >= 5 {
            let zone = tokens[4]
            if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let digits = Int(zone.dropFirst()) {
                offset = (digits / 100 * 60 + digits % 100) * (sign == "-" ? -1 : 1)
            } else {
                offset = zones[zone.uppercased()] ?? 0
            }
        }
        return Int64(date.daysSince1970) * 86400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset) * 60
    }
}
