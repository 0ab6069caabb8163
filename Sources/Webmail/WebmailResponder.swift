public import Directory
public import Foundation
import HTMLSanitizer
public import Logging
public import MailAccess
public import MailStore
import NIOConcurrencyHelpers
public import NIOCore
public import NIOHTTP1
public import SMTPServer
public import ShoalHTTP

/// The webmail on the shared HTTP layer: sign-in against the directory (with the mail protocols' failed-login
/// delay), sessions in a signed cookie, a CSRF token on every state change, and the mail and administration
/// pages. Requests are answered on the connection's event loop until they touch the store or the directory,
/// whose blocking calls run on their own pools.
public final class WebmailResponder: HTTPResponder {
    let settings: WebmailSettings
    let authenticator: MailAuthenticator
    let store: MailStore
    let agent: any MailAgent
    let signer: CookieSigner
    let logger: Logger
    let clock: @Sendable () -> Double
    let sessions: NIOLockedValueBox<WebSessionTable>
    let summaries = MessageSummaryCache()
    let threadValues = ThreadValuesCache()
    let sortedOrders = SortedOrderCache()

    public init(settings: WebmailSettings, authenticator: MailAuthenticator, store: MailStore, agent: any MailAgent,
                signer: CookieSigner = .random(), logger: Logger = Logger(label: "shoal.webmail"),
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.settings = settings
        self.authenticator = authenticator
        self.store = store
        self.agent = agent
        self.signer = signer
        self.logger = logger
        self.clock = clock
        sessions = NIOLockedValueBox(WebSessionTable(idleTimeout: settings.idleTimeoutSeconds, absoluteTimeout: settings.absoluteTimeoutSeconds,
                                                     capacity: settings.maximumSessions))
    }

    /// Only GET, HEAD and POST; a POST's body is read only for sign-in or with a live session.
    public func screen(_ head: HTTPRequestHead) -> HTTPServerResponse? {
        switch head.method {
        case .GET, .HEAD: return nil
        case .POST:
            if Self.path(of: head.uri) == "/login" { return nil }
            return session(head) == nil ? WebmailResponse.redirect("/login", secure: settings.secure) : nil
        default:
            var response = HTTPServerResponse.text(.methodNotAllowed, "method not allowed\n")
            response.headers.add(name: "Allow", value: "GET, HEAD, POST")
            return response
        }
    }

    public func immediateResponse(to request: HTTPServerRequest) -> HTTPServerResponse? {
        switch Self.path(of: request.head.uri) {
        case "/static/webmail.css":
            var headers = WebmailResponse.securityHeaders(secure: settings.secure)
            headers.replaceOrAdd(name: "Content-Type", value: "text/css; charset=utf-8")
            headers.replaceOrAdd(name: "Cache-Control", value: "max-age=3600")
            return HTTPServerResponse(status: .ok, headers: headers, body: ByteBuffer(string: WebmailPages.stylesheet))
        case "/login" where request.head.method != .POST:
            return session(request.head) != nil ? WebmailResponse.redirect("/mail", secure: settings.secure)
                : WebmailResponse.html(.ok, WebmailPages.signIn(error: nil), secure: settings.secure)
        case "/":
            return WebmailResponse.redirect(session(request.head) != nil ? "/mail" : "/login", secure: settings.secure)
        default:
            return nil
        }
    }

    public func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        let head = request.head
        let path = Self.path(of: head.uri)
        if head.method == .POST {
            guard sameOrigin(head) else { return forbidden("cross-site request refused") }
            if path == "/login" { return await signIn(request) }
        }
        guard let session = session(head) else {
            return path.hasPrefix("/api/") ? WebmailResponse.json(.unauthorized, "{\"error\":\"sign in\"}", secure: settings.secure)
                : WebmailResponse.redirect("/login", secure: settings.secure)
        }
        let query = FormFields.query(of: head.uri)
        var form = FormFields()
        var files: [MultipartFormData.File] = []
        if head.method == .POST {
            do {
                if let type = head.headers.first(name: "Content-Type"), type.lowercased().hasPrefix("multipart/") {
                    let upload = try MultipartFormData.parse(Array(request.body.readableBytesView),
                                                             boundary: try MultipartFormData.boundary(contentType: type), limits: Self.uploadLimits)
                    (form, files) = (upload.fields, upload.files)
                } else {
                    form = try FormFields.parse(request.body.readableBytesView, limits: Self.formLimits)
                }
                guard files.isEmpty || path == "/send" else { throw MultipartFormData.ParseError.tooManyFiles(0) }
            } catch {
                return WebmailResponse.html(.badRequest, WebmailPages.message(session: session, title: "Refused", text: "\(error)"), secure: settings.secure)
            }
            guard let token = form["csrf"], Self.constantTimeEquals(token, session.csrfToken) else {
                return forbidden("the form's CSRF token is missing or wrong")
            }
        }
        do {
            switch (head.method, path) {
            case (.POST, "/logout"): return signOut(session)
            case (.GET, "/mail"), (.HEAD, "/mail"): return try await mailList(session, query)
            case (.GET, "/read"), (.HEAD, "/read"): return try await read(session, query)
            case (.GET, "/part"), (.HEAD, "/part"): return try await part(session, query)
            case (.POST, "/action"): return try await action(session, form)
            case (.GET, "/compose"): return try await compose(session, query)
            case (.POST, "/send"): return await send(session, form, files: files, peer: Self.peer(request))
            case (_, let admin) where admin.hasPrefix("/admin") || admin.hasPrefix("/api/admin"):
                guard session.isAdmin else { return forbidden("administrators only") }
                return await administer(session, method: head.method, path: path, query: query, form: form)
            default:
                return WebmailResponse.html(.notFound, WebmailPages.message(session: session, title: "Not found", text: "No such page."),
                                            secure: settings.secure)
            }
        } catch {
            logger.error("webmail request failed", metadata: ["path": "\(path)", "login": "\(session.login)", "error": "\(error)"])
            return WebmailResponse.html(.internalServerError, WebmailPages.message(session: session, title: "Error", text: "The mailbox could not be read."),
                                        secure: settings.secure)
        }
    }

    /// Field limits of every form: short fields 1 KiB, addresses 1000 bytes, the message text 512 KiB.
    static let formLimits = FormFields.Limits(maximumFields: 600, maximumNameBytes: 32, maximumValueBytes: 1024,
                                              longFields: ["text"], maximumLongValueBytes: 512 * 1024)

    /// Limits of a multipart form (compose with uploads): the fields as ``formLimits``, at most 10 files of 10 MiB
    /// and 15 MiB together, so the message (base64) stays under the 25 MiB default of `maximumMessageBytes`.
    static let uploadLimits = MultipartFormData.Limits(maximumParts: 64, maximumPartHeaderBytes: 2048, maximumFiles: 10,
                                                       maximumFileBytes: 10 * 1024 * 1024, maximumTotalFileBytes: 15 * 1024 * 1024,
                                                       fields: formLimits)

    // MARK: sessions

    /// The live session the request's cookie names (signature checked first), its idle clock restarted.
    func session(_ head: HTTPRequestHead) -> WebSession? {
        guard let value = Self.cookie(settings.cookieName, in: head.headers), let id = signer.verify(value) else { return nil }
        let now = clock()
        return sessions.withLockedValue { $0.touch(id: id, now: now) }
    }

    func sessionCookie(_ id: String) -> String {
        "\(settings.cookieName)=\(signer.sign(id)); Path=/; HttpOnly; SameSite=Strict\(settings.secure ? "; Secure" : "")"
    }

    var expiredCookie: String {
        "\(settings.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\(settings.secure ? "; Secure" : "")"
    }

    func signIn(_ request: HTTPServerRequest) async -> HTTPServerResponse {
        let limits = FormFields.Limits(maximumFields: 8, maximumNameBytes: 16, maximumValueBytes: 1024)
        guard let form = try? FormFields.parse(request.body.readableBytesView, limits: limits),
              let login = form["user"], let password = form["password"], !login.isEmpty, login.utf8.count <= 256 else {
            return WebmailResponse.html(.badRequest, WebmailPages.signIn(error: "Enter a user and a password."), secure: settings.secure)
        }
        switch await authenticator.authenticate(login: login, password: password, peer: Self.peer(request)) {
        case let .success(user):
            let address = user.primaryAddress ?? (login.contains("@") ? login : "\(login)@\(settings.hostname)")
            // A new id at every sign-in, whatever cookie came with the request: no session fixation.
            let id = CookieSigner.randomToken()
            let isAdmin = settings.admins.contains(user.login)
            let now = clock()
            _ = sessions.withLockedValue {
                $0.start(id: id, user: user, address: address, isAdmin: isAdmin, csrfToken: CookieSigner.randomToken(), now: now)
            }
            do {
                try await mailbox(user).prepare()
            } catch {
                logger.warning("could not create Sent/Trash", metadata: ["login": "\(user.login)", "error": "\(error)"])
            }
            logger.info("webmail sign-in", metadata: ["login": "\(user.login)", "peer": "\(Self.peer(request))"])
            return WebmailResponse.redirect("/mail", secure: settings.secure, cookies: [sessionCookie(id)])
        case .failure:
            return WebmailResponse.html(.unauthorized, WebmailPages.signIn(error: "Wrong user or password."), secure: settings.secure)
        case .temporaryFailure:
            return WebmailResponse.html(.serviceUnavailable, WebmailPages.signIn(error: "The directory cannot be reached; try again."), secure: settings.secure)
        }
    }

    func signOut(_ session: WebSession) -> HTTPServerResponse {
        sessions.withLockedValue { $0.end(id: session.id) }
        return WebmailResponse.redirect("/login", secure: settings.secure, cookies: [expiredCookie])
    }

    /// A POST must come from the webmail's own pages: `Sec-Fetch-Site`, when sent, says same-origin; an `Origin`
    /// (or else `Referer`) header, when the browser sends one, names the host the request was sent to. SameSite=Strict and the CSRF token are the other locks.
    func sameOrigin(_ head: HTTPRequestHead) -> Bool {
        guard let host = head.headers.first(name: "Host") else { return false }
        if let site = head.headers.first(name: "Sec-Fetch-Site"), site != "same-origin", site != "none" { return false }
        let expected = (settings.secure ? "https://" : "http://") + host
        if let origin = head.headers.first(name: "Origin") { return origin == expected }
        if let referer = head.headers.first(name: "Referer") { return referer == expected || referer.hasPrefix(expected + "/") }
        return true
    }

    func forbidden(_ reason: String) -> HTTPServerResponse {
        WebmailResponse.html(.forbidden, WebmailPages.message(session: nil, title: "Forbidden", text: reason), secure: settings.secure)
    }

    func mailbox(_ user: DirectoryUser) throws(MailStoreError) -> WebmailMailbox {
        WebmailMailbox(mailbox: try store.mailbox(for: MailboxLocator.owner(of: user)), summaries: summaries, threadValues: threadValues,
                       sortedOrders: sortedOrders)
    }

    // MARK: request helpers

    static func path(of uri: String) -> String {
        String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    static func cookie(_ name: String, in headers: HTTPHeaders) -> String? {
        for header in headers["Cookie"] {
            for piece in header.split(separator: ";") {
                let pair = piece.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name {
                    return pair[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    static func peer(_ request: HTTPServerRequest) -> String {
        request.remoteAddress?.ipAddress ?? "unknown"
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
