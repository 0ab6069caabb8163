import Foundation
import ShoalTestFixtures

/// One `shoal mail-node` configuration, rendered as the YAML that `MailNodeConfiguration` documents.
struct MailNodeSpec {
    var hostname: String
    /// `sqlite:PATH` or `ldap://HOST:PORT`.
    var directory: String
    /// The `ldap:` block (base, bind_dn, bind_password_file, auth_mode, ...), for LDAP directories.
    var ldap: [(String, String)] = []
    var storeRoot: String
    var fsync = true
    var smtpPort: Int?
    var lmtpPort: Int?
    var pop3Port: Int?
    var pop3sPort: Int?
    var imapPort: Int?
    var imapsPort: Int?
    var submissionPort: Int?
    /// `proxy_protocol.trusted`: addresses whose client-listener connections start with a PROXY header.
    var proxyTrusted: [String] = []
    var listenAddress = "127.0.0.1"
    var tls: (certificate: String, key: String)?
    var localDomains = ["shoal.test"]
    /// `limits:` fields (message_size, recipients, errors, command_timeout, data_timeout).
    var limits: [(String, Int)] = []
    /// `limits:` fields whose values are words (change_notify).
    var limitWords: [(String, String)] = []
    /// `auth:` fields (allow_plaintext, require_tls).
    var auth: [(String, Bool)] = []

    var yaml: String {
        var text = "hostname: \(hostname)\ndirectory: \"\(directory)\"\n"
        if !ldap.isEmpty {
            text += "ldap:\n" + ldap.map { "  \($0.0): \"\($0.1)\"\n" }.joined()
        }
        text += "store:\n  root: \"\(storeRoot)\"\n  fsync: \(fsync)\n"
        if let smtpPort { text += "smtp:\n  listen: \(listenAddress):\(smtpPort)\n" }
        if let lmtpPort { text += "lmtp:\n  listen: \(listenAddress):\(lmtpPort)\n" }
        if let pop3Port { text += "pop3:\n  listen: \(listenAddress):\(pop3Port)\n" }
        if let pop3sPort { text += "pop3s:\n  listen: \(listenAddress):\(pop3sPort)\n" }
        if let imapPort { text += "imap:\n  listen: \(listenAddress):\(imapPort)\n" }
        if let imapsPort { text += "imaps:\n  listen: \(listenAddress):\(imapsPort)\n" }
        if let submissionPort { text += "submission:\n  listen: \(listenAddress):\(submissionPort)\n" }
        if let tls { text += "tls:\n  certificate: \"\(tls.certificate)\"\n  key: \"\(tls.key)\"\n" }
        if !localDomains.isEmpty { text += "local_domains: [\(localDomains.joined(separator: ", "))]\n" }
        if !limits.isEmpty || !limitWords.isEmpty {
            text += "limits:\n" + limits.map { "  \($0.0): \($0.1)\n" }.joined() + limitWords.map { "  \($0.0): \($0.1)\n" }.joined()
        }
        if !auth.isEmpty { text += "auth:\n" + auth.map { "  \($0.0): \($0.1)\n" }.joined() }
        if !proxyTrusted.isEmpty { text += "proxy_protocol:\n  trusted: [\(proxyTrusted.joined(separator: ", "))]\n" }
        return text
    }
}

/// A running `shoal mail-node`.
final class MailNodeProcess: @unchecked Sendable {
    let spec: MailNodeSpec
    let configPath: String
    let child: TestProcess
    var smtpPort: Int { spec.smtpPort ?? 0 }
    var lmtpPort: Int { spec.lmtpPort ?? 0 }
    var hostname: String { spec.hostname }
    /// What the node wrote to stderr (its log).
    var log: String { child.standardError + child.standardOutput }

    init(spec: MailNodeSpec, configPath: String, child: TestProcess) {
        self.spec = spec
        self.configPath = configPath
        self.child = child
    }

    func stop() { child.stop() }
    /// SIGKILL, as a crash.
    func crash() { child.kill() }
}
