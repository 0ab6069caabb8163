/// HTML character references (`&amp;`, `&#60;`, `&#x3C;`) decoded in text and attribute values.
enum CharacterReferences {
    /// The named references mail HTML uses; others stay as written (and are escaped on output).
    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "copy": "©", "reg": "®",
        "trade": "™", "hellip": "…", "mdash": "—", "ndash": "–", "lsquo": "‘", "rsquo": "’", "ldquo": "“",
        "rdquo": "”", "bull": "•", "middot": "·", "euro": "€", "pound": "£", "yen": "¥", "cent": "¢", "sect": "§",
        "deg": "°", "laquo": "«", "raquo": "»", "times": "×", "divide": "÷", "shy": "\u{AD}", "zwnj": "\u{200C}",
        "zwj": "\u{200D}", "tab": "\t", "newline": "\n", "colon": ":", "lpar": "(", "rpar": ")", "sol": "/",
        "semi": ";", "num": "#", "excl": "!", "equals": "=", "comma": ",", "period": ".", "auml": "ä", "ouml": "ö",
        "uuml": "ü", "Auml": "Ä", "Ouml": "Ö", "Uuml": "Ü", "szlig": "ß", "eacute": "é", "egrave": "è", "agrave": "à",
        "ccedil": "ç",
    ]

    /// `text` with every reference it recognises replaced by its characters (invalid code points become U+FFFD).
    static func decode(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var out = String.UnicodeScalarView()
        var i = scalars.startIndex
        while i < scalars.endIndex {
            let c = scalars[i]
            guard c == "&", let (decoded, next) = reference(in: scalars, at: i) else {
                out.append(c == "\u{0}" ? "\u{FFFD}" : c)
                i += 1
                continue
            }
            out.append(contentsOf: decoded.unicodeScalars)
            i = next
        }
        return String(out)
    }

    /// The reference starting at `start` (an `&`) and the index after it, or nil when none is there.
    private static func reference(in s: ArraySlice<Unicode.Scalar>, at start: Int) -> (String, Int)? {
        var i = start + 1
        guard i < s.endIndex else { return nil }
        if s[i] == "#" {
            i += 1
            var hex = false
            if i < s.endIndex, s[i] == "x" || s[i] == "X" { hex = true; i += 1 }
            var value: UInt32 = 0
            var digits = 0
            while i < s.endIndex, let d = digit(s[i], hex: hex) {
                value = min(value &* (hex ? 16 : 10) &+ d, 0x11_0000)
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if i < s.endIndex, s[i] == ";" { i += 1 }
            let scalar = (value == 0 ? nil : Unicode.Scalar(value)) ?? "\u{FFFD}"
            return (String(Character(scalar)), i)
        }
        var name = ""
        while i < s.endIndex, name.unicodeScalars.count < 32, s[i].properties.isASCIIHexDigit || isASCIILetter(s[i]) {
            name.unicodeScalars.append(s[i])
            i += 1
        }
        guard i < s.endIndex, s[i] == ";", let value = named[name] else { return nil }
        return (value, i + 1)
    }

    private static func digit(_ c: Unicode.Scalar, hex: Bool) -> UInt32? {
        switch c.value {
        case 0x30...0x39: c.value - 0x30
        case 0x61...0x66 where hex: c.value - 0x61 + 10
        case 0x41...0x46 where hex: c.value - 0x41 + 10
        default: nil
        }
    }

    static func isASCIILetter(_ c: Unicode.Scalar) -> Bool {
        (0x41...0x5A).contains(c.value) || (0x61...0x7A).contains(c.value)
    }
}
