@testable import MailDirector
import NIOCore

/// Feeds text to a pure proxy session as the driver would (lines, or literal chunks when the session asks).
struct Driven<Session: MailProxySession> {
    var session: Session
    var sent: [String] = []
    var routed: [MailLogin] = []
    var spliced = false
    var closed = false
    var tlsStarted = false

    init(_ session: Session) {
        self.session = session
        take(self.session.start())
    }

    mutating func take(_ actions: [MailProxyAction]) {
        for action in actions {
            switch action {
            case let .send(text): sent.append(text)
            case let .route(login): routed.append(login)
            case .splice: spliced = true
            case .close: closed = true
            case .startTLS: tlsStarted = true
            }
        }
    }

    /// Sends one line (without CR LF) and returns what the session wrote for it.
    @discardableResult
    mutating func line(_ text: String) -> String {
        let before = sent.count
        take(session.receive(.line(ByteBuffer(string: text))))
        return sent[before...].joined()
    }

    @discardableResult
    mutating func chunk(_ text: String) -> String {
        let before = sent.count
        take(session.receive(.chunk(ByteBuffer(string: text))))
        return sent[before...].joined()
    }

    @discardableResult
    mutating func event(_ event: MailProxyEvent) -> String {
        let before = sent.count
        take(session.receive(event))
        return sent[before...].joined()
    }
}

let plaintextConfiguration: MailProxyConfiguration = {
    var c = MailProxyConfiguration(hostname: "director.test", capabilities: MailProxyConfiguration.shoalIMAPCapabilities)
    c.allowPlaintextAuthentication = true
    return c
}()

func configuration(_ capabilities: [String], plaintext: Bool = true, tls: Bool = false) -> MailProxyConfiguration {
    var c = MailProxyConfiguration(hostname: "director.test", capabilities: capabilities)
    c.allowPlaintextAuthentication = plaintext
    c.tlsAvailable = tls
    return c
}
