import Director
@testable import DirectorNode
import MailDirector
import ShoalCore
import Testing

/// `protocol: imap|pop3|submission` services: mh with fallback by default, the mail block, and errors
/// naming file, line and field.
@Suite struct MailServiceConfigurationTests {
    func load(_ yaml: String) throws -> DirectorConfiguration {
        try DirectorConfiguration.parse(try ConfigDocument.parse(yaml, file: "mail.yaml"))
    }

    func error(_ yaml: String) -> ConfigError? {
        do {
            _ = try load(yaml)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return nil
        }
    }

    @Test func mailServicesDefaultToMaglevWithFallbackAndTheNodesCapabilities() throws {
        let configuration = try load("""
            services:
              - listen: 127.0.0.1:143
                protocol: imap
                mail: {hostname: director.example, allow_plaintext: true, command_timeout: 30, login_timeout: 5}
                servers: [{address: 127.0.0.2:143, weight: 2}, {address: 127.0.0.3:143}]
              - listen: 127.0.0.1:110
                protocol: pop3
                scheduler: sh
                servers: [{address: 127.0.0.2:110}]
              - listen: 127.0.0.1:587
                protocol: submission
                mail: {capabilities: [PIPELINING, "SIZE 1000"]}
                servers: [{address: 127.0.0.2:587}]
            """)
        let imap = configuration.services[0]
        #expect(imap.mode == .imap && imap.config.scheduler == .mh && imap.config.schedulerFlags == [.fallback, .addressOnly])
        #expect(imap.mail?.proto == .imap && imap.mail?.session.hostname == "director.example")
        #expect(imap.mail?.session.allowPlaintextAuthentication == true && imap.mail?.commandTimeout == .seconds(30))
        #expect(imap.mail?.session.capabilities == MailProxyConfiguration.shoalIMAPCapabilities)
        #expect(configuration.services[1].config.scheduler == .sh && configuration.services[1].mail?.proto == .pop3)
        #expect(configuration.services[1].mail?.session.allowPlaintextAuthentication == false)
        #expect(configuration.services[2].mail?.session.capabilities == ["PIPELINING", "SIZE 1000"])
    }

    @Test func errorsNameTheFieldAndLine() throws {
        let scheduler = try #require(error("services:\n  - listen: 127.0.0.1:143\n    protocol: imap\n    scheduler: rr\n    servers: []\n"))
        #expect(scheduler.line == 4 && scheduler.field == "services[0].scheduler" && scheduler.message.contains("mh or sh"))
        #expect(error("services:\n  - listen: 127.0.0.1:143\n    protocol: imap\n    mail: {hostnme: x}\n    servers: []\n")?.field
            == "services[0].mail.hostnme")
        #expect(error("services:\n  - listen: 127.0.0.1:80\n    mail: {hostname: x}\n    servers: []\n")?.message.contains("protocol: imap") == true)
        #expect(error("services:\n  - listen: 127.0.0.1:993\n    protocol: imap\n    mail: {implicit_tls: true}\n    servers: []\n")?
            .message.contains("certificate") == true)
        #expect(error("services:\n  - listen: 127.0.0.1:993\n    protocol: imap\n    mail: {certificate: /x.pem}\n    servers: []\n")?
            .field == "services[0].mail.certificate")
        #expect(error("services:\n  - listen: 127.0.0.1:143\n    protocol: imap\n    mail: {command_timeout: -1}\n    servers: []\n")?
            .field == "services[0].mail.command_timeout")
        // The directory the director checks logins against: its syntax, and LDAP options only with one.
        let badDirectory = error("services:\n  - listen: 127.0.0.1:143\n    protocol: imap\n    mail: {directory: \"mysql:x\"}\n    servers: []\n")
        #expect(badDirectory?.field == "services[0].mail.directory" && badDirectory?.line == 4, "\(String(describing: badDirectory))")
        #expect(error("services:\n  - listen: 127.0.0.1:143\n    protocol: imap\n    mail: {ldap: {base: \"dc=x\"}}\n    servers: []\n")?
            .field == "services[0].mail.ldap")
        #expect(error("services:\n  - listen: 127.0.0.1:143\n    protocol: imap\n    mail: {directory: \"ldap://127.0.0.1\", ldap: {bse: x}}\n    servers: []\n")?
            .field == "services[0].mail.ldap.bse")
    }

    /// `engine: epoll` on a plaintext mail service; TLS of any kind (STARTTLS's certificate, implicit TLS, TLS to
    /// the nodes) is refused with it, naming the field and line.
    @Test func plaintextMailServicesMayUseTheEpollEngineAndTLSIsRefusedThere() throws {
        let configuration = try load("""
            services:
              - listen: 127.0.0.1:143
                protocol: imap
                engine: epoll
                mail: {allow_plaintext: true}
                servers: [{address: 127.0.0.2:143}]
              - listen: 127.0.0.1:110
                protocol: pop3
                servers: [{address: 127.0.0.2:110}]
            """)
        #expect(configuration.services.map(\.proxy.engine) == [.epoll, .nio])
        #expect(configuration.services[0].mail?.proto == .imap && configuration.services[0].mail?.proxy.engine == .epoll)
        for (field, value) in [("certificate", "/x.pem, key: /y.pem"), ("implicit_tls", "true, certificate: /x.pem, key: /y.pem"),
                               ("node_tls", "{verify: false}")] {
            let yaml = "services:\n  - listen: 127.0.0.1:143\n    protocol: imap\n    engine: epoll\n    mail: {\(field): \(value)}\n    servers: []\n"
            let refused = try #require(error(yaml), "\(field) accepted with engine epoll")
            #expect(refused.file == "mail.yaml" && refused.line == 5 && refused.field == "services[0].mail.\(field)", "\(refused)")
            #expect(refused.message.contains("engine nio"), "\(refused)")
        }
    }
}
