import Foundation
import ShoalTestFixtures
import Testing

/// The POP3 read path end to end: `shoal mail-node` with POP3 (STLS) and POP3S, mail delivered over SMTP,
/// read back with Python's poplib; UIDLs checked against Dovecot's own for the same Maildir.
@Suite(.serialized)
struct POP3IntegrationTests {
    static let users = MailNodeIntegrationTests.users
    static let sender = MailNodeIntegrationTests.sender

    /// One node (SMTP, POP3 with STLS, POP3S) on a self-signed certificate, and three messages for alice.
    static func nodeWithMail(_ name: String) async throws -> (MailTestbed, MailNodeProcess) {
        let bed = try MailTestbed(name)
        do {
            let directory = try await bed.sqliteDirectory(users)
            var spec = try bed.nodeSpec(hostname: "pop.shoal.test", directory: directory, lmtp: false)
            spec.tls = try await bed.selfSignedCertificate()
            spec.pop3Port = try TestPorts.free()
            spec.pop3sPort = try TestPorts.free()
            let node = try await bed.startNode(spec)
            let bodies = ["First message.\n", "Second.\n.A line that starts with a dot\nEnd.\n", "Third \u{e9}t\u{e9}.\nLine 2\nLine 3\n"]
            for (n, body) in bodies.enumerated() {
                let sent = try await bed.smtplib(port: node.smtpPort, from: sender, to: ["alice@shoal.test"],
                                                 message: MailText.message(from: sender, to: "alice@shoal.test", subject: "pop \(n + 1)", body: body))
                guard sent.data.map(\.code) == [250] else { throw HarnessError("delivery failed: \(sent)") }
            }
            return (bed, node)
        } catch {
            bed.shutdown()
            throw error
        }
    }

    @Test func poplibReadsTopsAndDeletesOverSTLSAndUIDLsAgreeWithDovecot() async throws {
        let (bed, node) = try await Self.nodeWithMail("pop3-stls")
        defer { bed.shutdown() }
        let pop3Port = try #require(node.spec.pop3Port)
        let before = try await DovecotView.read(bed.maildir("alice").path, scratch: bed.dir)

        let session = try await bed.poplib(port: pop3Port, user: "alice", password: "alice-pw", tls: "stls", steps: [
            ["stat"], ["list"], ["uidl"], ["retr", 2], ["top", 3, 1], ["dele", 1], ["stat"], ["retr", 1], ["quit"],
        ])
        #expect(session.greeting.hasPrefix("+OK pop.shoal.test"), "\(session)")
        // Before TLS: STLS, and no way to send a password in the clear; after it, USER and SASL.
        #expect(session.capabilities.contains("STLS") && !session.capabilities.contains("USER"), "\(session)")
        for capability in ["USER", "SASL", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE"] {
            #expect(session.capabilitiesAfterTLS?.contains(capability) == true, "no \(capability): \(session)")
        }
        #expect(session.login?.hasPrefix("+OK") == true, "\(session)")
        #expect(session.stat(0).first == 3, "\(session)")
        let listed = session.lines(1)
        #expect(listed.count == 3 && listed.first?.hasPrefix("1 ") == true, "\(session)")
        let total = listed.compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
        #expect(session.stat(0).last == total, "STAT size is the sum of LIST sizes: \(session)")

        // UIDLs are Dovecot's for the same messages (UID and UIDVALIDITY in hex).
        let uidls = session.lines(2).map { String($0.split(separator: " ").last ?? "") }
        #expect(uidls.count == 3 && uidls == before.pop3UIDLs, "ours \(uidls), Dovecot's \(before.pop3UIDLs)")

        let second = try #require(session.retrieved(3), "\(session)")
        #expect(second.lines.contains(".A line that starts with a dot"), "dot-stuffing undone by poplib: \(second.lines)")
        #expect(second.lines.contains("Subject: pop 2"), "\(second.lines)")
        let top = try #require(session.retrieved(4), "\(session)")
        #expect(top.lines.contains("Subject: pop 3") && top.lines.last == "Third \u{e9}t\u{e9}.", "TOP 3 1: \(top.lines)")
        #expect(!top.lines.contains("Line 2"), "TOP sent more than one body line: \(top.lines)")
        #expect(session.text(5)?.hasPrefix("+OK") == true, "\(session)")
        #expect(session.stat(6).first == 2, "a deleted message is not counted: \(session)")
        #expect(session.error(7)?.contains("deleted") == true, "RETR of a deleted message: \(session)")
        #expect(session.text(8)?.hasPrefix("+OK") == true, "\(session)")

        // QUIT removed message 1; Dovecot sees the other two with the same UIDs and UIDLs.
        let after = try await DovecotView.read(bed.maildir("alice").path, scratch: bed.dir)
        #expect(after.pop3UIDLs == Array(uidls.dropFirst()), "\(after.pop3UIDLs)")
        #expect(after.messages.map(\.uid) == before.messages.map(\.uid).filter { $0 != before.messages.map(\.uid).min() },
                "\(after.messages)")
    }

    @Test func pop3sWithAuthPlainHoldsTheMaildropAgainstASecondSession() async throws {
        let (bed, node) = try await Self.nodeWithMail("pop3-implicit")
        defer { bed.shutdown() }
        let pop3sPort = try #require(node.spec.pop3sPort)
        let session = try await bed.poplib(port: pop3sPort, user: "alice", password: "alice-pw", tls: "implicit", auth: "plain",
                                           steps: [["stat"], ["dele", 3], ["hold", "second_login"], ["rset"], ["quit"]])
        #expect(session.login?.hasPrefix("+OK") == true, "\(session)")
        #expect(session.stat(0).first == 3, "\(session)")
        #expect(session.error(2)?.contains("[IN-USE]") == true, "a second session got the maildrop: \(session)")
        #expect(session.text(4)?.hasPrefix("+OK") == true, "\(session)")
        // RSET unmarked message 3; after QUIT the lock is gone and all three are still there.
        let again = try await bed.poplib(port: pop3sPort, user: "alice", password: "alice-pw", tls: "implicit", steps: [["stat"], ["quit"]])
        #expect(again.stat(0).first == 3, "\(again)")

        let wrong = try await bed.poplib(port: pop3sPort, user: "alice", password: "nope", tls: "implicit", steps: [])
        #expect(wrong.loginError?.contains("[AUTH]") == true, "\(wrong)")
    }

    @Test func passwordsAreRefusedWithoutTLS() async throws {
        let (bed, node) = try await Self.nodeWithMail("pop3-plaintext")
        defer { bed.shutdown() }
        let session = try await bed.poplib(port: try #require(node.spec.pop3Port), user: "alice", password: "alice-pw", steps: [])
        #expect(session.loginError?.contains("Plaintext authentication disallowed") == true, "\(session)")
    }
}
