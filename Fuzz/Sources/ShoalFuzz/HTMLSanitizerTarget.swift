import HTMLSanitizer

/// Mail HTML through the sanitizer (byte 0, bit 0: remote images allowed; the rest as UTF-8, invalid bytes
/// replaced). Checks: the output is a fixed point (sanitizing it again changes nothing); re-tokenized, it holds
/// only allowed elements, no event handler, no `src` other than an allowed remote image, and only links the
/// URL filter accepts.
enum HTMLSanitizerTarget {
    static func run(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let remote = first & 1 == 1
        let html = String(decoding: data.dropFirst(), as: UTF8.self)
        let sanitizer = HTMLSanitizer(allowsRemoteImages: remote)
        let out = sanitizer.sanitize(html).html
        invariant(sanitizer.sanitize(out).html == out, "sanitized output changes when sanitized again")
        for token in HTMLTokenizer.tokens(out) {
            guard case let .startTag(name, attributes, _) = token else { continue }
            invariant(SanitizerPolicy.mail.elements.contains(name), "element \(name) survived")
            for attribute in attributes {
                invariant(!attribute.name.hasPrefix("on"), "event handler \(attribute.name) survived")
                if attribute.name == "src" {
                    invariant(remote && URLFilter.image(attribute.value) == .remote(attribute.value), "image source \(attribute.value) survived")
                }
                if attribute.name == "href" { invariant(URLFilter.link(attribute.value) == attribute.value, "link \(attribute.value) survived") }
                if attribute.name == "style" { invariant(CSSFilter.filter(attribute.value) == attribute.value, "style \(attribute.value) survived") }
            }
        }
    }
}
