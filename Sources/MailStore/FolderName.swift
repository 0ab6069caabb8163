/// Maps folder names to Maildir++ directory names: INBOX is the root, `A/B` or `A.B` is `.A.B`,
/// non-ASCII in IMAP's modified UTF-7 as Dovecot stores it.
enum FolderName {
    static func isInbox(_ folder: String) -> Bool { folder.uppercased() == "INBOX" }

    /// The directory name under the Maildir root (`.Sent`), or nil for INBOX.
    static func directoryName(_ folder: String) throws(MailStoreError) -> String? {
        if isInbox(folder) { return nil }
        let components = folder.split(separator: "/", omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: ".", omittingEmptySubsequences: false) }
        var encoded: [String] = []
        for component in components {
            if component.isEmpty {
                throw .invalidFolder(name: folder, reason: "empty name or hierarchy level (leading, trailing or doubled separator)")
            }
            if component.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                throw .invalidFolder(name: folder, reason: "control characters are not allowed")
            }
            encoded.append(modifiedUTF7(String(component)))
        }
        return "." + encoded.joined(separator: ".")
    }

    /// RFC 3501 modified UTF-7: printable ASCII as is, `&` as `&-`, other runs as `&<base64 of UTF-16>-`.
    static func modifiedUTF7(_ text: String) -> String {
        var result = ""
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            result += "&" + base64(pending.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }) + "-"
            pending.removeAll()
        }
        for scalar in text.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                result += scalar == "&" ? "&-" : String(scalar)
            } else {
                pending.append(contentsOf: String(scalar).utf16)
            }
        }
        flush()
        return result
    }

    private static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,")
        var result = ""
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
            let value = chunk.enumerated().reduce(0) { $0 | (Int($1.element) << (16 - 8 * $1.offset)) }
            for position in 0...chunk.count {
                result.append(alphabet[(value >> (18 - 6 * position)) & 0x3F])
            }
            index += 3
        }
        return result
    }
}
