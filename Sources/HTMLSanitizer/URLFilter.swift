/// Decides what a URL in mail HTML may become: links only to http, https and mailto; images only from `cid:`
/// parts of the message or, once the reader allows it, http(s). Everything else (`javascript:`, `data:`,
/// `vbscript:`, relative URLs that would reach the webmail itself) is dropped.
public enum URLFilter {
    /// What an image source is.
    public enum ImageSource: Hashable, Sendable {
        /// A part of the same message (`cid:` without the scheme).
        case contentID(String)
        /// An http or https URL: a request to a third party, blocked until allowed.
        case remote(String)
        case refused
    }

    /// The link target to keep, or nil.
    public static func link(_ raw: String) -> String? {
        let url = cleaned(raw)
        guard let url, let scheme = scheme(of: url), ["http", "https", "mailto"].contains(scheme) else { return nil }
        return url
    }

    /// What an `img src` names.
    public static func image(_ raw: String) -> ImageSource {
        guard let url = cleaned(raw), let scheme = scheme(of: url) else { return .refused }
        switch scheme {
        case "cid": return .contentID(String(url.dropFirst(4)))
        case "http", "https": return .remote(url)
        default: return .refused
        }
    }

    /// The URL without surrounding spaces and the tabs and newlines browsers strip; nil when it holds other
    /// control characters.
    static func cleaned(_ raw: String) -> String? {
        var out = String.UnicodeScalarView()
        for c in raw.unicodeScalars {
            if c == "\t" || c == "\n" || c == "\r" { continue }
            if c.value < 0x20 || c.value == 0x7F { return nil }
            out.append(c)
        }
        let text = String(out)
        let trimmed = text.unicodeScalars.drop { $0 == " " || $0 == "\u{0C}" }
        let end = trimmed.lastIndex { $0 != " " && $0 != "\u{0C}" }
        guard let end else { return nil }
        return String(String.UnicodeScalarView(trimmed[...end]))
    }

    /// The lowercased scheme (the letters, digits, `+`, `-` or `.` before the first `:` that comes before any
    /// `/`, `?` or `#`), or nil for a relative URL.
    static func scheme(of url: String) -> String? {
        var scheme = ""
        for c in url.unicodeScalars {
            if c == ":" { return scheme.isEmpty ? nil : scheme }
            guard c.properties.isASCIIHexDigit || CharacterReferences.isASCIILetter(c) || ("0"..."9").contains(c)
                    || c == "+" || c == "-" || c == "." else { return nil }
            scheme.unicodeScalars.append(Unicode.Scalar(c.value | (CharacterReferences.isASCIILetter(c) ? 0x20 : 0))!)
        }
        return nil
    }
}
