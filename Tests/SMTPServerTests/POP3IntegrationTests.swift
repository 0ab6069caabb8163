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

    @Test func curlListsAndFetchesAndFetchmailDownloadsOverPOP3S() async throws {
        let (bed, node) = try await Self.nodeWithMail("pop3-clients")
        defer { bed.shutdown() }
        let port = try #require(node.spec.pop3sPort)
        let curl = try requiredTool("curl", package: "curl")
        let listing = try await TestProcess.run(curl, ["-s", "-k", "--max-time", "60", "-u", "alice:alice-pw", "pop3s://127.0.0.1:\(port)/"])
        #expect(listing.status == 0, "\(listing)")
        let numbers: [String] = listing.stdout.split(whereSeparator: \.isNewline).map { line in String(line.split(separator: " ").first ?? "") }
        #expect(numbers == ["1", "2", "3"], "\(listing)")
        let fetched = try await TestProcess.run(curl, ["-s", "-k", "--max-time", "60", "-u", "alice:alice-pw", "pop3s://127.0.0.1:\(port)/2"])
        #expect(fetched.status == 0 && fetched.stdout.contains("Subject: pop 2") && fetched.stdout.contains("\r\n.A line that starts with a dot\r\n"),
                "\(fetched)")

        // fetchmail (batch, keeping the messages) hands each one to an MDA that appends it to a file.
        let fetchmail = try requiredTool("fetchmail", package: "fetchmail")
        let home = try bed.dir.makeDirectory("fetchmail")
        let mbox = home + "/delivered"
        let rc = home + "/fetchmailrc"
        try """
            set no bouncemail
            poll 127.0.0.1 with service \(port) protocol POP3 auth password
              user "alice" there with password "alice-pw" is "root" here
              options keep ssl no sslcertck
              mda "/bin/sh -c 'cat >> \(mbox); echo ==END== >> \(mbox)'"

            """.write(toFile: rc, atomically: true, encoding: .utf8)
        chmod(rc, 0o600)
        let run = try await TestProcess.run(fetchmail, ["-f", rc, "-N", "--nosyslog"], environment: ["FETCHMAILHOME": home, "HOME": home,
                                                                                                        "PATH": "/usr/bin:/bin"])
        #expect(run.status == 0, "fetchmail: \(run)")
        let delivered = (try? String(contentsOfFile: mbox, encoding: .utf8)) ?? ""
        #expect(delivered.components(separatedBy: "==END==").count - 1 == 3, "\(delivered)\n\(run)")
        for n in 1...3 { #expect(delivered.contains("Subject: pop \(n)"), "\(delivered)") }
        // `keep`: the maildrop is unchanged.
        let again = try await bed.poplib(port: port, user: "alice", password: "alice-pw", tls: "implicit", steps: [["stat"], ["quit"]])
        #expect(again.stat(0).first == 3, "\(again)")
    }

    @Test func aSessionOnOneNodeLocksTheMaildropForTheOther() async throws {
        let (bed, first) = try await Self.nodeWithMail("pop3-two-nodes")
        defer { bed.shutdown() }
        var spec = first.spec
        spec.hostname = "pop2.shoal.test"
        spec.smtpPort = try TestPorts.free()
        spec.pop3Port = try TestPorts.free()
        spec.pop3sPort = try TestPorts.free()
        let second = try await bed.startNode(spec)
        let firstPort = try #require(first.spec.pop3sPort), secondPort = try #require(second.spec.pop3sPort)
        // A session on node 1 deletes message 1 and, before QUIT, a login on node 2 is refused with [IN-USE].
        let holder = try await bed.poplib(port: firstPort, user: "alice", password: "alice-pw", tls: "implicit",
                                          steps: [["dele", 1], ["quit"]])
        #expect(holder.text(1)?.hasPrefix("+OK") == true, "\(holder)")
        let after = try await bed.poplib(port: secondPort, user: "alice", password: "alice-pw", tls: "implicit", steps: [["stat"], ["uidl"], ["quit"]])
        #expect(after.stat(0).first == 2, "node 2 sees node 1's deletion: \(after)")

        // While node 1 holds the maildrop, node 2 refuses the login.
        let probe = "import poplib, ssl, sys\nctx = ssl._create_unverified_context()\n"
            + "a = poplib.POP3_SSL('127.0.0.1', \(firstPort), context=ctx); a.user('alice'); a.pass_('alice-pw')\n"
            + "b = poplib.POP3_SSL('127.0.0.1', \(secondPort), context=ctx); b.user('alice')\n"
            + "try:\n    b.pass_('alice-pw'); print('second: logged in')\nexcept poplib.error_proto as e:\n    print('second:', e.args[0].decode())\n"
            + "a.quit()\nb.user('alice'); print('after quit:', b.pass_('alice-pw').decode())\n"
        let python = try requiredTool("python3", package: "python3")
        let result = try await TestProcess.run(python, ["-c", probe])
        #expect(result.stdout.contains("second: -ERR [IN-USE]"), "\(result)")
        #expect(result.stdout.contains("after quit: +OK"), "the lock was released by QUIT: \(result)")
    }
}
