import ShoalCore

/// Trace headers of RFC 5321 §4.4 and the RFC 5322 date they carry.
enum SMTPTrace {
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Tue, 1 Jul 2025 10:00:00 +0000` (RFC 5322 §3.3).
    static func date(_ timestamp: SMTPTimestamp) -> String {
        let local = timestamp.secondsSince1970 + Int64(timestamp.utcOffsetMinutes) * 60
        let days = floorDivide(local, 86_400)
        let secondOfDay = Int(local - days * 86_400)
        let (year, month, day) = civilDate(daysSince1970: days)
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let offset = abs(timestamp.utcOffsetMinutes)
        let zone = (timestamp.utcOffsetMinutes < 0 ? "-" : "+") + two(offset / 60) + two(offset % 60)
        return "\(weekday), \(day) \(months[month - 1]) \(year) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) \(zone)"
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    /// Howard Hinnant's civil_from_days.
    private static func civilDate(daysSince1970: Int64) -> (year: Int, month: Int, day: Int) {
        let z = daysSince1970 + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    /// The peer as an RFC 5321 address literal: `[192.0.2.1]`, `[IPv6:2001:db8::1]`.
    static func addressLiteral(_ peer: String) -> String {
        switch IPAddress(peer) {
        case let .some(address) where address.family == .inet6: return "[IPv6:\(address)]"
        case let .some(address): return "[\(address)]"
        case .none: return "[\(sanitized(peer))]"
        }
    }

    /// Header-safe text: control characters and spaces become `_`.
    static func sanitized(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value <= 0x20 || $0.value == 0x7F ? "_" : Character($0) })
    }

    /// The WITH protocol name (RFC 3848, RFC 6531 §3.7.3): SMTP, ESMTP[S][A], LMTP[S][A], UTF8SMTP[S][A], UTF8LMTP[S][A].
    static func protocolName(lmtp: Bool, extended: Bool, secure: Bool, authenticated: Bool, utf8: Bool) -> String {
        var name = lmtp ? "LMTP" : (utf8 ? "SMTP" : (extended || secure || authenticated ? "ESMTP" : "SMTP"))
        if utf8 { name = "UTF8" + name }
        if secure { name += "S" }
        if authenticated { name += "A" }
        return name
    }

    /// `Return-Path: <sender>` and the `Received:` header, each ended by CR LF.
    static func headers(reversePath: String, helo: String, peer: String, hostname: String, protocolName: String,
                        id: String, recipients: [String], timestamp: SMTPTimestamp) -> (returnPath: String, received: String) {
        let returnPath = "Return-Path: <\(reversePath)>\r\n"
        var received = "Received: from \(sanitized(helo)) (\(addressLiteral(peer)))\r\n"
        received += "\tby \(hostname) (Shoal) with \(protocolName) id \(id)"
        if recipients.count == 1 {
            received += "\r\n\tfor <\(recipients[0])>; \(date(timestamp))\r\n"
        } else {
            received += ";\r\n\t\(date(timestamp))\r\n"
        }
        return (returnPath, received)
    }
}
