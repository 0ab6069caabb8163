/// Why a command was refused before it ran: the tagged (or untagged, without a tag) response to send, and
/// whether the connection must close after it.
public struct IMAPCommandError: Error, Hashable, Sendable {
    /// The command's tag; nil when the line had no valid tag (answer `* BAD`).
    public var tag: String?
    /// BAD for syntax and limits; NO for a message literal over the size limit (`NO [TOOBIG]`).
    public var status: IMAPStatus
    public var code: IMAPResponseCode?
    /// What is wrong, for the client's log: names the problem and where.
    public var text: String
    /// True when the client will send bytes the server cannot interpret as commands (a refused
    /// non-synchronizing literal): send the response, then close.
    public var closeConnection: Bool

    public init(tag: String?, status: IMAPStatus = .bad, code: IMAPResponseCode? = nil, text: String, closeConnection: Bool = false) {
        self.tag = tag
        self.status = status
        self.code = code
        self.text = text
        self.closeConnection = closeConnection
    }

    /// The response to send.
    public var response: IMAPStatusResponse {
        IMAPStatusResponse(tag: tag, status: status, code: code, text: text)
    }
}

/// A syntax error inside the parser (the parser adds the tag).
struct IMAPSyntaxError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
