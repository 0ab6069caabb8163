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

    /// RFC 3501 modified UTF-7, as Dovecot names folder directories.
    static func modifiedUTF7(_ text: String) -> String { ModifiedUTF7.encode(text) }

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
    static func decodeModifiedUTF7(_ text: String) -> String? { ModifiedUTF7.decode(text) }
}
