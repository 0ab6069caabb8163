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

    /// The folder name for a Maildir++ directory name (`.A.B` is `A/B`); nil for a name that does not decode.
    static func folderName(directoryName: String) -> String? {
        guard directoryName.hasPrefix("."), directoryName.count > 1 else { return nil }
        var parts: [String] = []
        for component in directoryName.dropFirst().split(separator: ".", omittingEmptySubsequences: false) {
            guard !component.isEmpty, let decoded = decodeModifiedUTF7(String(component)) else { return nil }
            parts.append(decoded)
        }
        return parts.joined(separator: "/")
    }

    /// The inverse of ``modifiedUTF7(_:)``; nil for text that is not valid modified UTF-7.
    static func decodeModifiedUTF7(_ text: String) -> String? {
        var result = ""
        var scalars = Array(text.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            guard scalar == "&" else {
                guard scalar.value >= 0x20 && scalar.value <= 0x7E else { return nil }
                result.unicodeScalars.append(scalar)
                continue
            }
            guard let end = scalars.firstIndex(of: "-") else { return nil }
            let encoded = scalars[scalars.startIndex..<end]
            scalars = scalars[scalars.index(after: end)...]
            if encoded.isEmpty {
                result += "&"
                continue
            }
            guard let bytes = decodeBase64(String(String.UnicodeScalarView(encoded))), bytes.count % 2 == 0 else { return nil }
            let units = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
            guard let decoded = String(validating: units, as: UTF16.self) else { return nil }
            result += decoded
        }
        return result
    }

    private static func decodeBase64(_ text: String) -> [UInt8]? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,")
        var bits = 0, count = 0
        var bytes: [UInt8] = []
        for character in text {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            bits = (bits << 6) | value
            count += 6
            if count >= 8 {
                count -= 8
                bytes.append(UInt8((bits >> count) & 0xFF))
            }
        }
        return bytes
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
