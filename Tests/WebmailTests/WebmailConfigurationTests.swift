import MailNode
import NIOHTTP1
import ShoalCore
import Testing
@testable import Webmail

/// The mail node's `http:`, `https:` and `webmail:` blocks, and the download headers.
@Suite struct WebmailConfigurationTests {
    static let base = "hostname: mail.shoal.test\ndirectory: \"sqlite:/tmp/x.db\"\nstore: { root: /tmp/mail }\n"

    static func parse(_ text: String) throws(ConfigError) -> MailNodeConfiguration {
        try MailNodeConfiguration.parse(ConfigDocument.parse(base + text, file: "node.yaml"))
    }

    @Test func httpsWithWebmailSettings() throws {
        let configuration = try Self.parse("""
            https: { listen: 127.0.200.9:8443 }
            tls: { certificate: c.pem, key: k.pem }
            webmail: { admins: [alice, root], idle_timeout: 600, absolute_timeout: 3600, page_size: 20, audit_log: /tmp/a.log }

            """)
        #expect(configuration.https?.description == "127.0.200.9:8443")
        #expect(configuration.http == nil)
        #expect(configuration.webmail.admins == ["alice", "root"])
        #expect(configuration.webmail.idleTimeoutSeconds == 600)
        #expect(configuration.webmail.absoluteTimeoutSeconds == 3600)
        #expect(configuration.webmail.pageSize == 20)
        #expect(configuration.webmail.secure)
        #expect(configuration.webmail.hostname == "mail.shoal.test")
    }

    @Test func httpsNeedsTLS() {
        #expect(throws: ConfigError.self) { try Self.parse("https: { listen: 127.0.0.1:8443 }\n") }
    }

    @Test func plainHTTPOnlyOnLoopbackAndOnlyWhenAllowed() throws {
        let error = #expect(throws: ConfigError.self) { try Self.parse("http: { listen: 127.0.0.1:8080 }\n") }
        #expect(error?.description.contains("allow_plaintext") == true)
        #expect(error?.description.contains("node.yaml:4") == true)
        let remote = #expect(throws: ConfigError.self) { try Self.parse("http: { listen: 192.0.2.1:8080, allow_plaintext: true }\n") }
        #expect(remote?.description.contains("loopback") == true)
        let allowed = try Self.parse("http: { listen: 127.0.0.1:8080, allow_plaintext: true }\n")
        #expect(allowed.http?.description == "127.0.0.1:8080")
        #expect(!allowed.webmail.secure)
    }

    @Test func typosAndRangesAreNamed() {
        let typo = #expect(throws: ConfigError.self) {
            try Self.parse("https: { listen: 127.0.0.1:8443 }\ntls: { certificate: c, key: k }\nwebmail: { admin: [x] }\n")
        }
        #expect(typo?.description.contains("admin") == true)
        #expect(throws: ConfigError.self) {
            try Self.parse("https: { listen: 127.0.0.1:8443 }\ntls: { certificate: c, key: k }\nwebmail: { idle_timeout: 1 }\n")
        }
    }

    @Test func downloadsAreAttachmentsWithSafeNames() {
        #expect(WebmailResponse.contentDisposition(filename: "report.pdf", inline: false) == "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf")
        let evil = WebmailResponse.contentDisposition(filename: "../../x\"; filename=evil.html\r\nX: y", inline: false)
        #expect(!evil.contains("\r") && !evil.contains("\n"))
        #expect(!evil.contains("/"))
        #expect(evil.hasPrefix("attachment; filename=\"").self)
        #expect(evil.components(separatedBy: "\"").count == 3)
        #expect(WebmailResponse.contentDisposition(filename: "Grüße.txt", inline: false).contains("filename*=UTF-8''Gr%C3%BC%C3%9Fe.txt"))
        #expect(WebmailResponse.contentDisposition(filename: "..", inline: false).hasPrefix("attachment; filename=\"attachment\""))
        let response = WebmailResponse.download([1, 2, 3], filename: "x.html", inlineImageType: nil, secure: true)
        #expect(response.headers.first(name: "Content-Type") == "application/octet-stream")
        #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
        #expect(response.headers.first(name: "Content-Security-Policy")?.contains("sandbox") == true)
    }
}
