import Logging
import MailAccess
import MailStore
import NIOCore
import SMTPServer
import ShoalCore
import ShoalHTTP
import ShoalServer
import Webmail

extension MailNode {
    /// The webmail's HTTP limits: bodies up to 16 MiB (a compose form with 15 MiB of uploads, `WebmailResponder.uploadLimits`), the layer's timeouts.
    static let webmailHTTP = HTTPServerConfiguration(maxBodyBytes: 16 * 1024 * 1024, maxConnections: 2048)

    /// The webmail listeners the configuration names (HTTPS first), each with its own responder and sessions.
    static func webmailServers(_ configuration: MailNodeConfiguration, tls: TLSContextSource?, authenticator: MailAuthenticator,
                               store: MailStore, agent: any MailAgent, group: any EventLoopGroup,
                               logger: Logger) throws -> [any BindableServer] {
        guard configuration.http != nil || configuration.https != nil else { return [] }
        let signer: CookieSigner
        if let path = configuration.webmailSecretFile {
            let secret = Array(try SecretFile.read(path, what: "webmail secret file").utf8)
            guard secret.count >= 32 else { throw WebmailSecretTooShort(path: path) }
            signer = CookieSigner(secret: secret)
        } else {
            signer = .random()
        }
        var servers: [any BindableServer] = []
        for (endpoint, secure) in [(configuration.https, true), (configuration.http, false)] {
            guard let endpoint else { continue }
            var settings = configuration.webmail
            settings.secure = secure
            let responder = WebmailResponder(settings: settings, authenticator: authenticator, store: store, agent: agent,
                                             signer: signer, logger: logger)
            servers.append(HTTPServerChild.server(listen: endpoint, configuration: webmailHTTP, tls: secure ? tls : nil,
                                                  responder: responder, group: group, logger: logger))
        }
        return servers
    }
}

/// The webmail's cookie key file holds fewer than 32 bytes.
struct WebmailSecretTooShort: Error, CustomStringConvertible {
    var path: String
    var description: String { "\(path): the webmail secret file needs at least 32 bytes" }
}
