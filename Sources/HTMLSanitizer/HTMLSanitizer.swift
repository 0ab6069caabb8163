/// An allow-list HTML sanitizer for mail: the input is tokenized, every token checked against a
/// ``SanitizerPolicy``, and the survivors written out again (so the browser parses exactly what was checked).
/// Scripts, styles sheets, frames, forms, SVG and MathML go with their content; event handlers, ids, classes and
/// unknown attributes go; links keep only http, https and mailto targets and open in a new context without a
/// referrer; images load only from the message's own parts (`cid:`, mapped by the caller) or, when the reader
/// allowed it, from http(s) — otherwise they are counted as blocked and shown as their alt text.
public struct HTMLSanitizer: Sendable {
    /// The sanitized document and what it withheld.
    public struct Result: Hashable, Sendable {
        /// HTML safe to place inside an element of the webmail's page.
        public var html: String
        /// How many remote images were withheld (offer to load them when non-zero).
        public var blockedRemoteImages: Int
    }

    public var policy: SanitizerPolicy
    /// Whether http(s) images are loaded.
    public var allowsRemoteImages: Bool
    /// Maps a `cid:` reference (without the scheme) to the URL that serves that part, or nil to drop the image.
    public var contentIDURL: @Sendable (String) -> String?

    public init(policy: SanitizerPolicy = .mail, allowsRemoteImages: Bool = false,
                contentIDURL: @escaping @Sendable (String) -> String? = { _ in nil }) {
        self.policy = policy
        self.allowsRemoteImages = allowsRemoteImages
        self.contentIDURL = contentIDURL
    }

    /// Sanitizes one document.
    public func sanitize(_ html: String) -> Result {
        var tokenizer = HTMLTokenizer(html)
        var out = ""
        out.reserveCapacity(html.utf8.count)
        var open: [String] = []
        var dropping: (name: String, depth: Int)?
        var blocked = 0
        while let token = tokenizer.next() {
            if let current = dropping {
                switch token {
                case let .startTag(name, _, selfClosing) where name == current.name && !selfClosing:
                    dropping = (name, current.depth + 1)
                case let .endTag(name) where name == current.name:
                    dropping = current.depth == 1 ? nil : (name, current.depth - 1)
                default: break
                }
                continue
            }
            switch token {
            case let .text(text):
                out += HTMLEscaping.escape(text)
            case let .startTag(name, attributes, selfClosing):
                if policy.droppedWithContent.contains(name) {
                    let raw = HTMLTokenizer.rawTextElements.contains(name) || name == "plaintext"
                    if !SanitizerPolicy.voidElements.contains(name) && (raw || !selfClosing) { dropping = (name, 1) }
                    continue
                }
                guard policy.elements.contains(name), open.count < policy.maximumDepth else { continue }
                out += "<" + name
                for attribute in attributes {
                    guard let value = keptValue(attribute, on: name, blocked: &blocked) else { continue }
                    out += " \(attribute.name)=\"\(HTMLEscaping.escape(value))\""
                }
                if name == "a" { out += " target=\"_blank\" rel=\"noopener noreferrer nofollow\"" }
                out += ">"
                if !SanitizerPolicy.voidElements.contains(name) { open.append(name) }
            case let .endTag(name):
                guard let index = open.lastIndex(of: name) else { continue }
                for element in open[index...].reversed() { out += "</\(element)>" }
                open.removeSubrange(index...)
            }
        }
        for element in open.reversed() { out += "</\(element)>" }
        return Result(html: out, blockedRemoteImages: blocked)
    }

    /// The value an attribute keeps, or nil to drop it.
    private func keptValue(_ attribute: HTMLAttribute, on element: String, blocked: inout Int) -> String? {
        switch (element, attribute.name) {
        case ("a", "href"):
            return URLFilter.link(attribute.value)
        case ("img", "src"):
            switch URLFilter.image(attribute.value) {
            case let .contentID(id): return contentIDURL(id)
            case let .remote(url):
                if allowsRemoteImages { return url }
                blocked += 1
                return nil
            case .refused: return nil
            }
        case (_, "style"):
            return policy.allowsStyle ? CSSFilter.filter(attribute.value) : nil
        default:
            return policy.attributes.contains(attribute.name) ? attribute.value : nil
        }
    }

    /// The Content-Security-Policy of a page showing sanitized mail: no scripts at all, no plugins, no frames,
    /// forms only to the webmail, images from the webmail (and from anywhere over http(s) when `remoteImages`).
    public static func contentSecurityPolicy(remoteImages: Bool) -> String {
        "default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
            + "form-action 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
            + "img-src 'self'\(remoteImages ? " https: http:" : "")"
    }
}
