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

/// Base64 (RFC 4648) as SASL uses it: strict, padded, no line breaks.
enum SMTPBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index < input.count {
            let b0 = input[index]
            let b1 = index + 1 < input.count ? input[index + 1] : 0
            let b2 = index + 2 < input.count ? input[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < input.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < input.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil unless `text` is valid padded base64.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLast = index + 4 == input.count
            let c0 = values[Int(input[index])], c1 = values[Int(input[index + 1])]
            guard c0 != 0xFF, c1 != 0xFF else { return nil }
            out.append(c0 << 2 | c1 >> 4)
            if isLast && input[index + 2] == UInt8(ascii: "=") {
                guard input[index + 3] == UInt8(ascii: "="), c1 & 0x0F == 0 else { return nil }
            } else {
                let c2 = values[Int(input[index + 2])]
                guard c2 != 0xFF else { return nil }
                out.append((c1 & 0x0F) << 4 | c2 >> 2)
                if isLast && input[index + 3] == UInt8(ascii: "=") {
                    guard c2 & 0x03 == 0 else { return nil }
                } else {
                    let c3 = values[Int(input[index + 3])]
                    guard c3 != 0xFF else { return nil }
                    out.append((c2 & 0x03) << 6 | c3)
                }
            }
            index += 4
        }
        return out
    }
}
