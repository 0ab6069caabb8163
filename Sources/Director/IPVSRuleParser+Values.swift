import ShoalCore

// MARK: - Value parsers (string_to_number, parse_timeout, parse_fwmark, parse_service, inet_aton, ...)

extension IPVSRuleParser {
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0d).contains(byte)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// strtol(s, &end, 10) that must consume the whole string: leading blanks and a sign are allowed;
    /// nil when there are no digits, trailing characters, or the value overflows a long (ERANGE).
    static func strtol(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        let digitsStart = i
        var value = 0
        var overflow = false
        while i < bytes.count, isDigit(bytes[i]) {
            let digit = Int(bytes[i] - UInt8(ascii: "0"))
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            if o1 || o2 { overflow = true } else { value = sum }
            i += 1
        }
        guard i > digitsStart, i == bytes.count, !overflow else { return nil }
        return value
    }

    /// string_to_number: a whole decimal number within min...max.
    static func stringToNumber(_ text: String, _ min: Int, _ max: Int) -> Int? {
        guard let value = strtol(text), value >= min, value <= max else { return nil }
        return value
    }

    /// parse_timeout: a missing value is the persistent default (360).
    static func parseTimeout(_ text: String?, _ min: Int, _ max: Int, field: String?) throws(ConfigError) -> Int {
        guard let text else { return persistentTimeout }
        guard let value = stringToNumber(text, min, max) else {
            throw ConfigError(field: field, "invalid timeout value `\(text)' specified")
        }
        return value
    }

    /// parse_fwmark: 1...UINT_MAX.
    static func parseFwmark(_ text: String) -> UInt32? {
        guard let value = strtol(text), value > 0, value <= Int(UInt32.max) else { return nil }
        return UInt32(value)
    }

    /// atoi: the leading decimal number (after blanks and a sign), 0 when there is none.
    static func atoi(_ text: String) -> Int {
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var value = 0
        while i < bytes.count, isDigit(bytes[i]) {
            value = min(value * 10 + Int(bytes[i] - UInt8(ascii: "0")), Int(UInt32.max) + 1)
            i += 1
        }
        return negative ? -value : value
    }

    /// glibc inet_aton: `a.b.c.d`, `a.b.c`, `a.b`, `a`, each part decimal, octal (leading 0) or hex (0x);
    /// trailing blanks end the address. The result is in host order (0xffffff00 for 255.255.255.0).
    static func inetAton(_ text: String) -> UInt32? {
        let bytes = Array(text.utf8)
        var position = 0
        func at(_ i: Int) -> UInt8 { i < bytes.count ? bytes[i] : 0 }
        var c = at(position)
        var parts: [UInt64] = []
        var value: UInt64 = 0
        var sawDigit = false
        while true {
            guard isDigit(c) else { return nil }
            value = 0
            var base: UInt64 = 10
            if c == UInt8(ascii: "0") {
                position += 1
                c = at(position)
                if c == UInt8(ascii: "x") || c == UInt8(ascii: "X") {
                    base = 16
                    position += 1
                    c = at(position)
                } else {
                    base = 8
                }
                sawDigit = true
            }
            while true {
                if isDigit(c) {
                    if base == 8 && (c == UInt8(ascii: "8") || c == UInt8(ascii: "9")) { return nil }
                    value = value * base + UInt64(c - UInt8(ascii: "0"))
                } else if base == 16, let hex = hexValue(c) {
                    value = value << 4 | UInt64(hex)
                } else {
                    break
                }
                guard value <= 0xffff_ffff else { return nil }
                position += 1
                c = at(position)
                sawDigit = true
            }
            if c == UInt8(ascii: ".") {
                guard parts.count <= 2, value <= 0xff else { return nil }
                parts.append(value)
                position += 1
                c = at(position)
            } else {
                break
            }
        }
        if c != 0 && !isSpace(c) { return nil }
        guard sawDigit else { return nil }
        let limits: [UInt64] = [0xffff_ffff, 0xff_ffff, 0xffff, 0xff]
        guard value <= limits[parts.count] else { return nil }
        var result = value
        for (index, part) in parts.enumerated() { result |= part << (24 - 8 * UInt64(index)) }
        return UInt32(result)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// inet_pton(AF_INET): exactly four decimal octets, no leading zeros.
    static func inetPton4(_ text: String) -> UInt32? {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(isDigit) else { return nil }
            if part.count > 1 && part.first == UInt8(ascii: "0") { return nil }
            var octet: UInt32 = 0
            for digit in part { octet = octet * 10 + UInt32(digit - UInt8(ascii: "0")) }
            guard octet <= 255 else { return nil }
            result = result << 8 | octet
        }
        return result
    }

    /// inet_pton(AF_INET6): hex groups, `::` and a trailing dotted quad.
    static func inetPton6(_ text: some StringProtocol) -> IPAddress? {
        guard text.utf8.contains(UInt8(ascii: ":")),
              text.utf8.allSatisfy({ hexValue($0) != nil || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }),
              let address = IPAddress(text), address.family == .inet6
        else { return nil }
        return address
    }

    /// parse_service without name lookups: `ADDR`, `ADDR:PORT`, `[IPV6]:PORT` or a bare IPv6 address.
    /// The port is nil when none was given; nil overall for ipvsadm's SERVICE_NONE.
    static func parseService(_ text: String) -> (address: IPAddress, port: UInt16?)? {
        // A bare number (or an empty string) is not a service.
        if text.utf8.allSatisfy(isDigit) { return nil }
        var buffer = Substring(text)
        var portText: Substring?
        if buffer.hasPrefix("[") {
            buffer = buffer.dropFirst()
            guard let close = buffer.firstIndex(of: "]") else { return nil }
            let after = buffer[buffer.index(after: close)...]
            guard after.hasPrefix(":") else { return nil }
            portText = after.dropFirst()
            buffer = buffer[..<close]
        }
        let address: IPAddress
        if let v6 = inetPton6(buffer) {
            address = v6
        } else {
            // strrchr(buf, ':') inside the (bracket-stripped) address text.
            if let colon = buffer.lastIndex(of: ":") {
                portText = buffer[buffer.index(after: colon)...]
                buffer = buffer[..<colon]
            } else {
                portText = nil
            }
            guard let v4 = inetAton(String(buffer)) else { return nil }
            address = .v4(v4)
        }
        guard let portText else { return (address, nil) }
        guard let port = stringToNumber(String(portText), 0, 65535) else { return nil }
        return (address, UInt16(port))
    }

    /// parse_sched_flags: a comma list, checked against the scheduler named so far (default wlc).
    static func parseSchedulerFlags(scheduler: String, _ text: String, field: String?) throws(ConfigError) -> SchedulerFlags {
        let names = text.split(separator: ",")
        guard !names.isEmpty else { throw ConfigError(field: field, "invalid scheduler flag `\(text)'") }
        do {
            return try SchedulerFlags.parse(names, scheduler: scheduler)
        } catch {
            throw ConfigError(field: field, error.description)
        }
    }
}
