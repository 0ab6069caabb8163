/// Escaping of user-supplied values for LDAP filters (RFC 4515) and distinguished names (RFC 4514).
public enum LDAPEscaping {
    /// A value safe inside a filter: `*`, `(`, `)`, `\`, NUL and every non-printable or non-ASCII byte
    /// become `\XX`, so `*)(uid=*` matches only itself.
    public static func filterValue(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "*"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"), 0, 0x80...0xff, 0..<0x20, 0x7f:
                out += "\\" + hex(byte)
            default:
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    /// An attribute value safe inside a DN: `,` `+` `"` `\` `<` `>` `;` `=` are backslash-escaped, as are a
    /// leading space or `#` and a trailing space; NUL and control bytes become `\XX`.
    public static func dnValue(_ value: String) -> String {
        let bytes = Array(value.utf8)
        var out = ""
        for (i, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "+"), UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "<"),
                 UInt8(ascii: ">"), UInt8(ascii: ";"), UInt8(ascii: "="):
                out += "\\" + String(UnicodeScalar(byte))
            case UInt8(ascii: " ") where i == 0 || i == bytes.count - 1:
                out += "\\ "
            case UInt8(ascii: "#") where i == 0:
                out += "\\#"
            case 0..<0x20, 0x7f:
                out += "\\" + hex(byte)
            default:
                if byte < 0x80 {
                    out.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    out += "\\" + hex(byte)
                }
            }
        }
        return out
    }

    /// Expands a filter template: `%u` the whole name as given, `%s` its local part (before the last `@`),
    /// `%d` its domain (after it, empty when none), `%%` a percent sign; every value filter-escaped.
    public static func expand(_ template: String, name: String) -> String {
        let local: String, domain: String
        if let at = name.lastIndex(of: "@") {
            local = String(name[..<at])
            domain = String(name[name.index(after: at)...])
        } else {
            local = name
            domain = ""
        }
        var out = ""
        var iterator = template.makeIterator()
        while let c = iterator.next() {
            guard c == "%" else { out.append(c); continue }
            switch iterator.next() {
            case "u": out += filterValue(name)
            case "s": out += filterValue(local)
            case "d": out += filterValue(domain)
            case "%": out += "%"
            case let other?: out += "%" + String(other)
            case nil: out += "%"
            }
        }
        return out
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}
