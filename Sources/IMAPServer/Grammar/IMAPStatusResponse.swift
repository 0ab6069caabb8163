/// The status of a status response (RFC 3501 §7.1).
public enum IMAPStatus: String, Hashable, Sendable {
    case ok = "OK"
    case no = "NO"
    case bad = "BAD"
    case preauth = "PREAUTH"
    case bye = "BYE"
}

/// A tagged or untagged status response: `a1 OK [READ-WRITE] SELECT completed`, `* BYE ...`.
public struct IMAPStatusResponse: Hashable, Sendable {
    /// nil for an untagged response (`*`).
    public var tag: String?
    public var status: IMAPStatus
    public var code: IMAPResponseCode?
    public var text: String

    public init(tag: String?, status: IMAPStatus, code: IMAPResponseCode? = nil, text: String) {
        self.tag = tag
        self.status = status
        self.code = code
        self.text = text
    }

    /// The line with its CR LF. CR, LF and NUL in the text become spaces; an empty text becomes the status.
    public var rendered: String {
        var line = (tag ?? "*") + " " + status.rawValue
        if let code { line += " [" + code.rendered + "]" }
        let cleaned = String(text.unicodeScalars.map { $0 == "\r" || $0 == "\n" || $0 == "\0" ? " " : Character($0) })
        line += " " + (cleaned.isEmpty ? status.rawValue : cleaned)
        return line + "\r\n"
    }
}

/// The continuation request a server sends before a synchronizing literal or during AUTHENTICATE/IDLE.
public enum IMAPContinuation {
    /// `+ Ready for literal data` with CR LF.
    public static let readyForLiteral = "+ Ready for literal data\r\n"
    /// `+ <text>` with CR LF (IDLE's `+ idling`, an AUTHENTICATE challenge in base64, `+ ` when empty).
    public static func line(_ text: String) -> String { "+ " + text + "\r\n" }
}
