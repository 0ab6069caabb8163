public import MIME

/// Strings in responses (RFC 3501 §4.3), on top of the MIME module's ``MIME/IMAPString`` (the one
/// encoder: quoted when it can be, else a literal, as Dovecot decides): atoms for astrings and mailboxes.
extension IMAPString {
    /// A string: quoted (`"a \"b\""`) when safe, else a literal `{n}\r\n` followed by the bytes.
    public static func render(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        appendBytes(Array(bytes), to: &out)
        return out
    }

    /// An nstring: `NIL` for nil, else a quoted string or a literal.
    public static func renderNString(_ bytes: [UInt8]?) -> [UInt8] {
        var out: [UInt8] = []
        append(bytes, to: &out)
        return out
    }

    /// A string from text (its UTF-8), quoted or literal; `NIL` for nil.
    public static func render(_ text: String?) -> String {
        var out: [UInt8] = []
        append(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// An astring: the bare atom when every byte is an ASTRING-CHAR (and it is not `NIL`), else a string.
    public static func renderAString(_ text: String) -> String {
        let bytes = Array(text.utf8)
        if !bytes.isEmpty, bytes.allSatisfy(IMAPByteClass.isAStringChar), text.uppercased() != "NIL" { return text }
        return render(text)
    }

    /// A mailbox name (its wire form): `INBOX`, an atom, or a string; list wildcards are quoted.
    public static func renderMailbox(_ name: IMAPMailboxName) -> String { renderAString(name.wire) }
}
