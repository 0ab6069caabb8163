/// Filters a `style` attribute to declarations of layout and typography properties with plain values: no
/// `url()`, `expression()`, `@import`, escapes, comments or quotes, and no `position` (no overlays on the page).
public enum CSSFilter {
    /// Properties kept.
    public static let properties: Set<String> = [
        "background-color", "border", "border-bottom", "border-collapse", "border-color", "border-left", "border-radius",
        "border-right", "border-spacing", "border-style", "border-top", "border-width", "color", "direction", "display",
        "float", "font", "font-family", "font-size", "font-style", "font-variant", "font-weight", "height", "letter-spacing",
        "line-height", "list-style-type", "margin", "margin-bottom", "margin-left", "margin-right", "margin-top", "max-width",
        "min-width", "padding", "padding-bottom", "padding-left", "padding-right", "padding-top", "text-align",
        "text-decoration", "text-indent", "text-transform", "vertical-align", "white-space", "width", "word-break",
        "word-spacing", "clear", "overflow-wrap",
    ]

    /// The functions a value may call (colours).
    static let functions = ["rgb(", "rgba(", "hsl(", "hsla("]

    /// The filtered declarations joined by `; `, or nil when none is left.
    public static func filter(_ style: String) -> String? {
        var kept: [String] = []
        for declaration in style.split(separator: ";", omittingEmptySubsequences: true) {
            guard let colon = declaration.firstIndex(of: ":") else { continue }
            let name = declaration[..<colon].trimmingSpaces().lowercased()
            let value = declaration[declaration.index(after: colon)...].trimmingSpaces()
            guard properties.contains(name), !value.isEmpty, isSafe(value) else { continue }
            kept.append("\(name): \(value)")
        }
        return kept.isEmpty ? nil : kept.joined(separator: "; ")
    }

    /// A value of letters, digits, spaces and `#%.,-!` and colour functions only.
    static func isSafe(_ value: String) -> Bool {
        let lower = value.lowercased()
        var allowedOpens = 0
        for function in functions {
            var rest = Substring(lower)
            while let range = rest.firstRange(of: function) {
                allowedOpens += 1
                rest = rest[range.upperBound...]
            }
        }
        var opens = 0
        for c in lower.unicodeScalars {
            switch c {
            case "a"..."z", "0"..."9", " ", "#", "%", ".", ",", "-", "!", ")": continue
            case "(": opens += 1
            default: return false
            }
        }
        return opens == allowedOpens && !lower.contains("expression") && !lower.contains("javascript")
    }
}

extension StringProtocol {
    /// Without leading and trailing ASCII spaces, tabs and line breaks.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0C}" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
