import MailNode
import MailStore
import ShoalCore
import Testing

/// The mail node's `limits:` for IMAP IDLE: change notification and the two poll intervals, with located errors.
@Suite struct MailNodeConfigurationTests {
    static func parse(_ limits: String) throws(ConfigError) -> MailNodeConfiguration {
        let text = """
            hostname: imap.shoal.test
            directory: "sqlite:/tmp/users.db"
            store: { root: /tmp/store }
            imap: { listen: 127.0.0.1:1143 }
            limits:
            \(limits)
            """
        return try MailNodeConfiguration.parse(ConfigDocument.parse(text, file: "node.yaml"))
    }

    @Test func idleUsesInotifyWithASlowSafetyPollUnlessToldToPoll() throws {
        let defaults = try Self.parse("  errors: 10")
        #expect(defaults.changeNotification == .inotify)
        #expect(defaults.idleSafetyPollMilliseconds == 30_000 && defaults.idlePollMilliseconds == 500)
        let polling = try Self.parse("  change_notify: poll\n  idle_poll_ms: 200\n  idle_safety_poll_ms: 5000")
        #expect(polling.changeNotification == .poll)
        #expect(polling.idlePollMilliseconds == 200 && polling.idleSafetyPollMilliseconds == 5000)
    }

    @Test func badValuesNameFileLineAndField() {
        #expect(throws: ConfigError(file: "node.yaml", line: 7, field: "limits.change_notify", "'fanotify' is not one of: inotify, poll")) {
            try Self.parse("  errors: 10\n  change_notify: fanotify")
        }
        #expect(throws: ConfigError(file: "node.yaml", line: 6, field: "limits.idle_safety_poll_ms",
                                    "500 is out of range 1000-3600000")) {
            try Self.parse("  idle_safety_poll_ms: 500")
        }
    }

    @Test func proxyProtocolTrustedAddressesAreReadAndCheckedWithTheirLine() throws {
        let base = "hostname: imap.shoal.test\ndirectory: \"sqlite:/tmp/users.db\"\nstore: { root: /tmp/store }\nimap: { listen: 127.0.0.1:1143 }\n"
        let plain = try MailNodeConfiguration.parse(ConfigDocument.parse(base, file: "node.yaml"))
        #expect(plain.proxyProtocolTrusted.isEmpty)
        let trusted = try MailNodeConfiguration.parse(ConfigDocument.parse(base + "proxy_protocol: {trusted: [127.0.160.1, \"::1\"]}\n", file: "node.yaml"))
        #expect(trusted.proxyProtocolTrusted == [IPAddress("127.0.160.1")!, IPAddress("::1")!])
        #expect(throws: ConfigError(file: "node.yaml", line: 6, field: "proxy_protocol.trusted[0]", "not an IP address")) {
            try MailNodeConfiguration.parse(ConfigDocument.parse(base + "proxy_protocol:\n  trusted: [director.example]\n", file: "node.yaml"))
        }
    }
}
