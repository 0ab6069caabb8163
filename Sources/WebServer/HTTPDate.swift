/// HTTP dates (RFC 9110 §5.6.7): IMF-fixdate out; IMF-fixdate, RFC 850 and asctime in. Seconds since the
/// epoch, UTC. Pure arithmetic (no locale, no time zone), never traps.
public enum HTTPDate {
    static let dayNames = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    public static func format(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        let weekday = dayNames[Int(((days % 7) + 7) % 7)]
        return "\(weekday), \(pad(day)) \(monthNames[Int(month) - 1]) \(year4(year)) \(pad(secondOfDay / 3600)):\(pad(secondOfDay % 3600 / 60)):\(pad(secondOfDay % 60)) GMT"
    }

    /// Parses any of the three forms; nil when it is none of them (the header is then ignored).
    public static func parse(_ text: String) -> Int64? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 4, words.count <= 6 else { return nil }
        if words.count == 6, words[0].hasSuffix(","), words[5] == "GMT" {
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            guard let day = Int64(words[1]), let month = month(words[2]), words[3].count == 4, let year = Int64(words[3]) else { return nil }
            return make(year: year, month: month, day: day, time: words[4])
        }
        if words.count == 4, words[0].hasSuffix(","), words[3] == "GMT" {
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            let parts = words[1].split(separator: "-")
            guard parts.count == 3, let day = Int64(parts[0]), let month = month(parts[1]), parts[2].count == 2,
                  let twoDigits = Int64(parts[2]) else { return nil }
            return make(year: twoDigits < 70 ? 2000 + twoDigits : 1900 + twoDigits, month: month, day: day, time: words[2])
        }
        if words.count == 5 {
            // asctime: Sun Nov  6 08:49:37 1994
            guard let month = month(words[1]), let day = Int64(words[2]), words[4].count == 4, let year = Int64(words[4]) else { return nil }
            return make(year: year, month: month, day: day, time: words[3])
        }
        return nil
    }

    static func month(_ name: Substring) -> Int64? {
        monthNames.firstIndex { $0 == name }.map { Int64($0) + 1 }
    }

    static func make(year: Int64, month: Int64, day: Int64, time: Substring) -> Int64? {
        let parts = time.split(separator: ":")
        guard parts.count == 3, parts.allSatisfy({ $0.count == 2 }), let hour = Int64(parts[0]), let minute = Int64(parts[1]),
              let second = Int64(parts[2]), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
              (1...31).contains(day), (1...9999).contains(year) else { return nil }
        return days(fromCivil: year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// The year as IMF-fixdate's four digits (years 1...999 padded with zeros, as `parse` requires).
    static func year4(_ value: Int64) -> String {
        let digits = "\(value)"
        return value >= 0 && digits.count < 4 ? String(repeating: "0", count: 4 - digits.count) + digits : digits
    }

    /// Howard Hinnant's days_from_civil.
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Howard Hinnant's civil_from_days.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
