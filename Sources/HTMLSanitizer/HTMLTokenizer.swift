/// Cuts HTML into ``HTMLToken``s the way a browser's tokenizer would for the cases that matter to a
/// sanitizer: tags and attributes (quoted, unquoted, bare), comments and `<!...>`/`<?...>` dropped, the raw
/// text of `script`, `style`, `iframe`, `textarea`, `title`, ... kept as one text token up to its end tag, and a
/// tag cut off by the end of the input dropped. One pass, linear in the input; never traps.
public struct HTMLTokenizer {
    /// Elements whose content is raw text up to `</name`.
    static let rawTextElements: Set<String> = ["script", "style", "iframe", "xmp", "noembed", "noframes", "noscript", "textarea", "title"]

    private let s: [Unicode.Scalar]
    private var i = 0
    private var rawTextEnd: String?

    public init(_ html: String) {
        s = Array(html.unicodeScalars)
    }

    /// Every token of the input.
    public static func tokens(_ html: String) -> [HTMLToken] {
        var tokenizer = HTMLTokenizer(html)
        var out: [HTMLToken] = []
        while let token = tokenizer.next() { out.append(token) }
        return out
    }

    /// The next token, or nil at the end of the input.
    public mutating func next() -> HTMLToken? {
        while i < s.count {
            if let name = rawTextEnd {
                rawTextEnd = nil
                let start = i
                let end = name == "plaintext" ? s.count : findEndTag(name, from: i) ?? s.count
                i = end
                if end > start { return .text(name == "textarea" || name == "title" ? CharacterReferences.decode(s[start..<end]) : String(String.UnicodeScalarView(s[start..<end]))) }
                continue
            }
            if s[i] == "<" {
                if let token = markup() { return token }
                continue
            }
            let start = i
            while i < s.count, s[i] != "<" { i += 1 }
            return .text(CharacterReferences.decode(s[start..<i]))
        }
        return nil
    }

    /// Markup at `<`: a tag (returned), a comment or declaration (skipped, nil), or a lone `<` (text).
    private mutating func markup() -> HTMLToken? {
        let next = i + 1 < s.count ? s[i + 1] : nil
        if let next, CharacterReferences.isASCIILetter(next) {
            i += 1
            return tag(isEnd: false)
        }
        if next == "/" {
            if i + 2 < s.count, CharacterReferences.isASCIILetter(s[i + 2]) {
                i += 2
                return tag(isEnd: true)
            }
            // `</>` is nothing; `</ ...>` and `</3...>` are bogus comments.
            skipPast(">", from: i + 2)
            return nil
        }
        if next == "!" {
            if i + 3 < s.count, s[i + 2] == "-", s[i + 3] == "-" {
                skipComment(from: i + 4)
            } else {
                skipPast(">", from: i + 2)
            }
            return nil
        }
        if next == "?" {
            skipPast(">", from: i + 2)
            return nil
        }
        i += 1
        return .text("<")
    }

    /// A tag whose name starts at `i`; nil (and the rest of the input consumed) when the input ends inside it.
    private mutating func tag(isEnd: Bool) -> HTMLToken? {
        var name = ""
        while i < s.count, !isSpace(s[i]), s[i] != "/", s[i] != ">" {
            name.unicodeScalars.append(lower(s[i]))
            i += 1
        }
        var attributes: [HTMLAttribute] = []
        var seen: Set<String> = []
        var selfClosing = false
        while true {
            while i < s.count, isSpace(s[i]) || s[i] == "/" {
                selfClosing = s[i] == "/"
                i += 1
            }
            guard i < s.count else { return nil }
            if s[i] == ">" {
                i += 1
                break
            }
            selfClosing = false
            var attributeName = ""
            repeat {
                attributeName.unicodeScalars.append(lower(s[i]))
                i += 1
            } while i < s.count && !isSpace(s[i]) && s[i] != "/" && s[i] != ">" && s[i] != "="
            while i < s.count, isSpace(s[i]) { i += 1 }
            var value = ""
            if i < s.count, s[i] == "=" {
                i += 1
                while i < s.count, isSpace(s[i]) { i += 1 }
                guard i < s.count else { return nil }
                if s[i] == "\"" || s[i] == "'" {
                    let quote = s[i]
                    let start = i + 1
                    var end = start
                    while end < s.count, s[end] != quote { end += 1 }
                    guard end < s.count else { i = s.count; return nil }
                    value = CharacterReferences.decode(s[start..<end])
                    i = end + 1
                } else {
                    let start = i
                    while i < s.count, !isSpace(s[i]), s[i] != ">" { i += 1 }
                    value = CharacterReferences.decode(s[start..<i])
                }
            }
            // A repeated attribute is ignored, as browsers do (the first one counts).
            if !isEnd, seen.insert(attributeName).inserted {
                attributes.append(HTMLAttribute(name: attributeName, value: value))
            }
        }
        if isEnd { return .endTag(name: name) }
        // Browsers ignore `/>` on these: `<script/>` still starts raw text.
        if Self.rawTextElements.contains(name) || name == "plaintext" { rawTextEnd = name }
        return .startTag(name: name, attributes: attributes, selfClosing: selfClosing)
    }

    /// Where `</name` followed by a space, `/` or `>` starts, from `start` on (case-insensitive).
    private func findEndTag(_ name: String, from start: Int) -> Int? {
        let target = Array(name.unicodeScalars)
        var j = start
        while j + 1 + target.count < s.count {
            if s[j] == "<", s[j + 1] == "/" {
                var k = 0
                while k < target.count, lower(s[j + 2 + k]) == target[k] { k += 1 }
                if k == target.count {
                    let after = j + 2 + k
                    if after >= s.count || isSpace(s[after]) || s[after] == "/" || s[after] == ">" { return j }
                }
            }
            j += 1
        }
        return nil
    }

    private mutating func skipPast(_ end: Unicode.Scalar, from start: Int) {
        var j = start
        while j < s.count, s[j] != end { j += 1 }
        i = min(j + 1, s.count)
    }

    /// After `<!--`: up to `-->` (or `--!>`), or `<!-->`/`<!--->` at once; the rest of the input when unclosed.
    private mutating func skipComment(from start: Int) {
        if start < s.count, s[start] == ">" { i = start + 1; return }
        if start + 1 < s.count, s[start] == "-", s[start + 1] == ">" { i = start + 2; return }
        var j = start
        while j + 2 < s.count {
            if s[j] == "-", s[j + 1] == "-" {
                if s[j + 2] == ">" { i = j + 3; return }
                if s[j + 2] == "!", j + 3 < s.count, s[j + 3] == ">" { i = j + 4; return }
            }
            j += 1
        }
        i = s.count
    }

    private func isSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}"
    }

    private func lower(_ c: Unicode.Scalar) -> Unicode.Scalar {
        (0x41...0x5A).contains(c.value) ? Unicode.Scalar(c.value + 0x20)! : c
    }
}
