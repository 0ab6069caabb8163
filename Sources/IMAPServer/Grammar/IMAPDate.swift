/// A calendar date in IMAP's `d-MMM-yyyy` form (SEARCH BEFORE/ON/SINCE...), without Foundation.
public struct IMAPDate: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var day: Int
    /// 1...12.
    public var month: Int
    public var year: Int

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// A valid date; nil for `31-Feb-2024` and other days the month does not have, or a year outside 1...9999.
    public init?(day: Int, month: Int, year: Int) {
        guard (1...12).contains(month), (1...9999).contains(year), day >= 1, day <= Self.daysIn(month: month, year: year) else {
            return nil
        }
        self.day = day
        self.month = month
        self.year = year
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Parses `1-Feb-1994` or `01-Feb-1994` (month names case-insensitive); nil when not a valid date.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, (1...2).contains(parts[0].count), parts[2].count == 4,
            parts[0].utf8.allSatisfy(IMAPByteClass.isDigit), parts[2].utf8.allSatisfy(IMAPByteClass.isDigit),
            let day = Int(parts[0]), let year = Int(parts[2]),
            let monthIndex = Self.monthNames.firstIndex(where: { $0.uppercased() == parts[1].uppercased() })
        else { return nil }
        self.init(day: day, month: monthIndex + 1, year: year)
    }

    /// `1-Feb-1994`.
    public var description: String { "\(day)-\(Self.monthNames[month - 1])-\(year)" }

    /// Days since 1970-01-01 (negative before), proleptic Gregorian (Howard Hinnant's days_from_civil).
    public var daysSince1970: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    /// The date `days` after 1970-01-01 (civil_from_days).
    public init(daysSince1970 days: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    public static func < (lhs: IMAPDate, rhs: IMAPDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// A date-time with zone as in INTERNALDATE and APPEND: `"17-Jul-1996 02:44:25 -0700"`.
public struct IMAPDateTime: Hashable, Sendable, CustomStringConvertible {
    /// The local date.
    public var date: IMAPDate
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// The zone's offset from UTC in minutes (`-0700` is -420).
    public var zoneOffsetMinutes: Int

    public init?(date: IMAPDate, hour: Int, minute: Int, second: Int, zoneOffsetMinutes: Int) {
        guard (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
            (-(99 * 60 + 59)...(99 * 60 + 59)).contains(zoneOffsetMinutes)
        else { return nil }
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
        self.zoneOffsetMinutes = zoneOffsetMinutes
    }

    /// The local time of an instant (seconds since 1970 UTC) in a zone.
    public init(secondsSince1970: Int64, zoneOffsetMinutes: Int) {
        let local = secondsSince1970 + Int64(zoneOffsetMinutes) * 60
        var days = local / 86400
        var rest = local % 86400
        if rest < 0 { rest += 86400; days -= 1 }
        date = IMAPDate(daysSince1970: Int(days))
        hour = Int(rest / 3600)
        minute = Int(rest % 3600 / 60)
        second = Int(rest % 60)
        self.zoneOffsetMinutes = zoneOffsetMinutes
    }

    /// The instant, in seconds since 1970 UTC.
    public var secondsSince1970: Int64 {
        Int64(date.daysSince1970) * 86400 + Int64(hour * 3600 + minute * 60 + second) - Int64(zoneOffsetMinutes) * 60
    }

    /// Parses the inside of the quotes: `17-Jul-1996 02:44:25 -0700` (the day may be ` 7`, `7` or `07`).
    public init?(parsing text: some StringProtocol) {
        let bytes = Array(text.utf8)
        // date-day-fixed is (SP DIGIT) / 2DIGIT; accept a single digit too.
        var start = 0
        if bytes.first == UInt8(ascii: " ") { start = 1 }
        let rest = String(decoding: bytes[start...], as: UTF8.self)
        let fields = rest.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 3, let date = IMAPDate(parsing: fields[0]) else { return nil }
        let time = fields[1].split(separator: ":", omittingEmptySubsequences: false)
        guard time.count == 3, time.allSatisfy({ $0.count == 2 && $0.utf8.allSatisfy(IMAPByteClass.isDigit) }),
            let hour = Int(time[0]), let minute = Int(time[1]), let second = Int(time[2])
        else { return nil }
        let zone = Array(fields[2].utf8)
        guard zone.count == 5, zone[0] == UInt8(ascii: "+") || zone[0] == UInt8(ascii: "-"),
            zone[1...].allSatisfy(IMAPByteClass.isDigit)
        else { return nil }
        let digits = zone[1...].map { Int($0 - UInt8(ascii: "0")) }
        let hours = digits[0] * 10 + digits[1], minutes = digits[2] * 10 + digits[3]
        guard minutes < 60 else { return nil }
        let offset = (hours * 60 + minutes) * (zone[0] == UInt8(ascii: "-") ? -1 : 1)
        self.init(date: date, hour: hour, minute: minute, second: second, zoneOffsetMinutes: offset)
    }

    /// `07-Jul-1996 02:44:25 -0700` without the quotes: the day zero-padded to two digits, as Dovecot writes it
    /// (RFC 3501 date-day-fixed allows ` 7` and `07`; clients comparing answers of several servers see one form).
    public var description: String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let day = two(date.day)
        var year = "\(date.year)"
        while year.count < 4 { year = "0" + year }
        let sign = zoneOffsetMinutes < 0 ? "-" : "+"
        let zone = abs(zoneOffsetMinutes)
        return "\(day)-\(IMAPDate.monthNames[date.month - 1])-\(year) \(two(hour)):\(two(minute)):\(two(second)) \(sign)\(two(zone / 60))\(two(zone % 60))"
    }

    /// The quoted wire form: `"17-Jul-1996 02:44:25 -0700"`.
    public var rendered: String { "\"" + description + "\"" }
}
