/// Content types by file extension: a built-in table, optionally extended by a `mime.types` file
/// (`/etc/mime.types` when present). No charset is added (as nginx without `charset`).
public struct MediaTypes: Sendable {
    /// Lower-cased extension → content type.
    public private(set) var byExtension: [String: String]
    /// The type of a file whose extension is unknown.
    public var fallback: String

    /// The built-in table: what a static site serves most.
    public static let builtIn: [String: String] = [
        "html": "text/html", "htm": "text/html", "css": "text/css", "js": "text/javascript", "mjs": "text/javascript",
        "json": "application/json", "txt": "text/plain", "xml": "text/xml", "csv": "text/csv", "md": "text/markdown",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml",
        "webp": "image/webp", "avif": "image/avif", "ico": "image/x-icon", "bmp": "image/bmp",
        "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf",
        "pdf": "application/pdf", "zip": "application/zip", "gz": "application/gzip", "tar": "application/x-tar",
        "wasm": "application/wasm", "mp4": "video/mp4", "webm": "video/webm", "mp3": "audio/mpeg", "ogg": "audio/ogg",
        "wav": "audio/wav", "bin": "application/octet-stream",
    ]

    public init(byExtension: [String: String] = MediaTypes.builtIn, fallback: String = "application/octet-stream") {
        self.byExtension = byExtension
        self.fallback = fallback
    }

    /// Adds the entries of a `mime.types` text (`type ext ext ...` per line, `#` comments); the built-in table wins.
    public mutating func add(mimeTypes text: String) {
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let words = line.prefix { $0 != "#" }.split(whereSeparator: { $0 == " " || $0 == "\t" })
            // Only printable ASCII types: they go out in Content-Type unchecked.
            guard words.count >= 2, words[0].contains("/"), words[0].utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { continue }
            for ext in words.dropFirst() where byExtension[ext.lowercased()] == nil {
                byExtension[ext.lowercased()] = String(words[0])
            }
        }
    }

    /// The `Content-Type` value for a file name.
    public func contentType(forName name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return fallback }
        let ext = name[name.index(after: dot)...]
        // Most extensions are lower-case ASCII already: no Unicode case mapping for them.
        let key = ext.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") || $0 >= 0x80 }) ? ext.lowercased() : String(ext)
        return byExtension[key] ?? fallback
    }
}
