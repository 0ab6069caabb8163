/// What the sanitizer lets through: an allow-list of elements and attributes. Everything else is removed.
public struct SanitizerPolicy: Sendable {
    /// Elements kept (with their allowed attributes); unknown elements lose their tags but keep their text.
    public var elements: Set<String>
    /// Elements removed together with everything inside them.
    public var droppedWithContent: Set<String>
    /// Attributes allowed on every kept element (besides `href` on `a` and `src` on `img`, checked as URLs).
    public var attributes: Set<String>
    /// Whether `style` attributes are kept (filtered by ``CSSFilter``).
    public var allowsStyle: Bool
    /// Deepest nesting of kept elements; tags below it are dropped (their text is kept).
    public var maximumDepth: Int

    public init(elements: Set<String> = SanitizerPolicy.mailElements, droppedWithContent: Set<String> = SanitizerPolicy.dangerousElements,
                attributes: Set<String> = SanitizerPolicy.mailAttributes, allowsStyle: Bool = true, maximumDepth: Int = 100) {
        self.elements = elements
        self.droppedWithContent = droppedWithContent
        self.attributes = attributes
        self.allowsStyle = allowsStyle
        self.maximumDepth = maximumDepth
    }

    /// The policy for HTML mail.
    public static let mail = SanitizerPolicy()

    /// Formatting elements HTML mail uses.
    public static let mailElements: Set<String> = [
        "a", "abbr", "address", "article", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "center", "cite", "code",
        "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "font", "footer",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q",
        "s", "samp", "section", "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td",
        "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
    ]

    /// Elements that run code, load documents, submit data or hide markup the sanitizer must not see.
    public static let dangerousElements: Set<String> = [
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "noscript",
        "noembed", "noframes", "template", "title", "textarea", "select", "xmp", "plaintext", "head", "audio", "video",
        "canvas", "portal", "datalist",
    ]

    /// Presentational attributes (no URLs, no event handlers, no ids or classes that could reach the page's own).
    public static let mailAttributes: Set<String> = [
        "align", "alt", "bgcolor", "border", "cellpadding", "cellspacing", "color", "colspan", "dir", "face", "height",
        "lang", "nowrap", "rowspan", "scope", "size", "span", "start", "title", "type", "valign", "width", "reversed",
        "datetime", "headers", "abbr", "open",
    ]

    /// Elements without content or end tag.
    static let voidElements: Set<String> = ["br", "hr", "img", "wbr", "col", "area", "base", "link", "meta", "input", "param", "source", "track", "embed"]
}
