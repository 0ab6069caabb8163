import Foundation
import ShoalTestFixtures
import Testing

/// The IMAP read path end to end: `shoal mail-node` with IMAP (STARTTLS) and IMAPS, mail delivered over
/// SMTP, read with Python's imaplib; two nodes on one store see each other's changes; Dovecot reads what
/// IMAP changed.
@Suite(.serialized)
struct IMAPIntegrationTests {
    static let users = MailNodeIntegrationTests.users
    static let sender = MailNodeIntegrationTests.sender

    /// One node (SMTP, IMAP with STARTTLS, IMAPS) and `messages` messages for alice.
    static func node(_ name: String, bed: MailTestbed, hostname: String = "imap.shoal.test", messages: Int = 3,
                     limits: [(String, Int)] = [], limitWords: [(String, String)] = []) async throws -> MailNodeProcess {
        let directory = "sqlite:" + bed.dir.file("users.db")
        if !FileManager.default.fileExists(atPath: bed.dir.file("users.db")) { _ = try await bed.sqliteDirectory(users) }
        var spec = try bed.nodeSpec(hostname: hostname, directory: directory, lmtp: false)
        spec.tls = try await bed.selfSignedCertificate()
        spec.imapPort = try TestPorts.free()
        spec.imapsPort = try TestPorts.free()
        spec.limits = limits
        spec.limitWords = limitWords
        let node = try await bed.startNode(spec)
        for n in 0..<messages {
            let body = n == 1 ? "Second body.\nwith the word zebra\n" : "Body \(n + 1).\n"
            let sent = try await bed.smtplib(port: node.smtpPort, from: sender, to: ["alice@shoal.test"],
                                             message: MailText.message(from: sender, to: "alice@shoal.test", subject: "imap \(n + 1)", body: body))
            guard sent.data.map(\.code) == [250] else { throw HarnessError("delivery failed: \(sent)") }
        }
        return node
    }

    @Test func imaplibReadsSearchesFlagsCopiesAndExpunges() async throws {
        let bed = try MailTestbed("imap-basic")
        defer { bed.shutdown() }
        let node = try await Self.node("imap-basic", bed: bed)
        let port = try #require(node.spec.imapsPort)
        let session = try await bed.imaplib(port: port, steps: [
            ["select", "INBOX"],                                                  // 0
            ["fetch", "1:*", "(UID FLAGS RFC822.SIZE ENVELOPE)"],                 // 1
            ["fetch", "2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT])"], // 2
            ["search", NSNull(), "BODY", "zebra"],                                  // 3
            ["search", NSNull(), "UNSEEN"],                                         // 4
            ["fetch", "1", "(BODY[])"],                                           // 5: sets \Seen
            ["search", NSNull(), "SEEN"],                                           // 6
            ["store", "3", "+FLAGS", "(\\Deleted $Label1)"],                      // 7
            ["uid", "COPY", "1:2", "Trash"],                                      // 8
            ["expunge"],                                                          // 9
            ["fetch", "1:*", "(UID FLAGS)"],                                      // 10
            ["list"],                                                             // 11
            ["status", "Trash", "(MESSAGES UIDNEXT UNSEEN)"],                     // 12
            ["append", "Drafts", "(\\Draft)", "\"03-Dec-2026 10:00:00 +0000\"", "$bytes:Subject: draft\r\n\r\nhi\r\n"], // 13
            ["create", "Projects/2026"],                                          // 14
            ["logout"],                                                           // 15
        ])
        #expect(session.string("greeting")?.contains("imap.shoal.test") == true, "\(session)")
        #expect(session.strings("capabilities").contains("IDLE") && session.strings("capabilities").contains("AUTH=PLAIN"), "\(session)")
        #expect(session.string("login")?.contains("OK") == true || session.json["login"] != nil, "\(session)")
        #expect(session.status(0) == "OK" && session.data(0) == ["3"], "SELECT: \(session)")
        let fetched = session.data(1).joined(separator: "\n")
        #expect(fetched.contains("UID 1 FLAGS (\\Recent)") && fetched.contains("\"imap 2\"") && fetched.contains("RFC822.SIZE"), "\(fetched)")
        let second = session.data(2).joined(separator: "\n")
        #expect(second.contains("Subject: imap 2") && second.contains("with the word zebra"), "\(second)")
        #expect(session.data(3) == ["2"], "SEARCH BODY zebra: \(session.data(3))")
        #expect(session.data(4) == ["1 2 3"], "\(session.data(4))")
        #expect(session.data(5).joined().contains("Subject: imap 1"), "\(session.data(5))")
        #expect(session.data(6) == ["1"], "FETCH BODY[] sets \\Seen: \(session.data(6))")
        #expect(session.data(7).joined().contains("\\Deleted") && session.data(7).joined().contains("$Label1"), "\(session.data(7))")
        #expect(session.status(8) == "OK", "\(session)")
        #expect(session.data(9) == ["3"], "EXPUNGE: \(session.data(9))")
        #expect(session.data(10).count == 2, "\(session.data(10))")
        let folders = session.data(11).joined(separator: "\n")
        #expect(folders.contains("\"/\" INBOX") && folders.contains("\\Trash) \"/\" Trash"), "\(folders)")
        #expect(session.data(12).joined().contains("MESSAGES 2"), "\(session.data(12))")
        #expect(session.status(13) == "OK", "\(session)")
        #expect(session.status(14) == "OK", "\(session)")

        // ENVELOPE came through the summary index beside the Maildir; without it the answer is the same.
        let index = bed.maildir("alice").path + "/shoal-summaries"
        #expect(FileManager.default.fileExists(atPath: index))
        try FileManager.default.removeItem(atPath: index)
        let again = try await bed.imaplib(port: port, steps: [["select", "INBOX"], ["fetch", "1:2", "(UID FLAGS RFC822.SIZE ENVELOPE)"]])
        #expect(again.data(1).joined(separator: "\n").contains("\"imap 2\""), "\(again)")

        // Dovecot reads what IMAP did: INBOX keeps UIDs 1 and 2 (1 seen), Trash has the two copies.
        let dovecot = try await DovecotView.read(bed.maildir("alice").path, scratch: bed.dir)
        #expect(dovecot.messages.map(\.uid) == [1, 2], "\(dovecot.messages)")
    }

    @Test func loginIsRefusedWithoutTLSAndAllowedAfterSTARTTLS() async throws {
        let bed = try MailTestbed("imap-starttls")
        defer { bed.shutdown() }
        let node = try await Self.node("imap-starttls", bed: bed, messages: 1)
        let port = try #require(node.spec.imapPort)
        let plain = try await bed.imaplib(port: port, tls: "none", steps: [])
        #expect(plain.strings("capabilities").contains("LOGINDISABLED") && plain.strings("capabilities").contains("STARTTLS"), "\(plain)")
        #expect((plain.json["login"] as? [String: Any])?["error"] != nil, "\(plain)")
        let upgraded = try await bed.imaplib(port: port, tls: "starttls", steps: [["select", "INBOX"]])
        #expect(upgraded.data(0) == ["1"], "\(upgraded)")
        let wrong = try await bed.imaplib(port: port, password: "nope", tls: "starttls", steps: [])
        #expect(((wrong.json["login"] as? [String: Any])?["error"] as? String)?.contains("AUTHENTICATIONFAILED") == true, "\(wrong)")
    }

    @Test func twoNodesSeeEachOthersFlagsAndExpungesAndIdleWakesOnDelivery() async throws {
        let bed = try MailTestbed("imap-two-nodes")
        defer { bed.shutdown() }
        // IDLE on node A polls the folder every 200 ms (limits.idle_poll_ms; inotify off, as on a network filesystem).
        let first = try await Self.node("imap-a", bed: bed, hostname: "imap-a.shoal.test", messages: 3, limits: [("idle_poll_ms", 200)],
                                        limitWords: [("change_notify", "poll")])
        let second = try await Self.node("imap-b", bed: bed, hostname: "imap-b.shoal.test", messages: 0)
        let portA = try #require(first.spec.imapsPort), portB = try #require(second.spec.imapsPort)
        // Node B changes flags and expunges while a session on node A has INBOX selected: A's NOOP reports them.
        let script = """
            import imaplib, ssl, smtplib, threading, time, json
            ctx = ssl._create_unverified_context()
            a = imaplib.IMAP4_SSL('127.0.0.1', \(portA), ssl_context=ctx); a.login('alice', 'alice-pw'); a.select('INBOX')
            b = imaplib.IMAP4_SSL('127.0.0.1', \(portB), ssl_context=ctx); b.login('alice', 'alice-pw'); b.select('INBOX')
            b.store('1', '+FLAGS', '(\\\\Flagged)'); b.store('3', '+FLAGS', '(\\\\Deleted)'); b.expunge()
            typ, data = a.noop()
            out = {'noop': [x.decode() if isinstance(x, bytes) else str(x) for x in a.untagged_responses.get('EXPUNGE', [])],
                   'fetch': [x.decode() if isinstance(x, bytes) else str(x) for x in a.untagged_responses.get('FETCH', [])]}
            # IDLE on A; a delivery through node B's SMTP must wake it.
            tag = a._new_tag().decode(); a.send(('%s IDLE\\r\\n' % tag).encode()); out['idle_start'] = a.readline().decode().strip()
            def deliver():
                time.sleep(0.5)
                with smtplib.SMTP('127.0.0.1', \(second.smtpPort)) as s:
                    s.sendmail('x@client.test', ['alice@shoal.test'], 'Subject: wake\\r\\n\\r\\nup\\r\\n')
            threading.Thread(target=deliver).start()
            started = time.time(); a.sock.settimeout(10)
            out['idle_line'] = a.readline().decode().strip(); out['idle_seconds'] = round(time.time() - started, 2)
            a.send(b'DONE\\r\\n')
            while True:
                line = a.readline().decode().strip()
                if line.startswith(tag): out['idle_done'] = line; break
            print(json.dumps(out))
            """
        let python = try requiredTool("python3", package: "python3")
        let result = try await TestProcess.run(python, ["-c", script], timeout: 120)
        #expect(result.status == 0, "\(result)")
        let json = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? [:]
        #expect((json["noop"] as? [String]) == ["3"], "A saw B's expunge: \(result)")
        #expect((json["fetch"] as? [String])?.contains { $0.contains("\\Flagged") } == true, "A saw B's flag: \(result)")
        #expect((json["idle_start"] as? String)?.hasPrefix("+") == true, "\(result)")
        #expect((json["idle_line"] as? String)?.hasSuffix("EXISTS") == true, "IDLE woke with EXISTS: \(result)")
        #expect((json["idle_done"] as? String)?.contains("OK") == true, "\(result)")
    }

    /// With inotify, IDLE hears of a delivery at once although it polls only every 60 s; DONE is answered at once
    /// too and the next command does not wait for the poll. Without working inotify this test fails (times out).
    @Test func idleIsWokenByInotifyWithPollingEffectivelyOff() async throws {
        let bed = try MailTestbed("imap-inotify")
        defer { bed.shutdown() }
        let first = try await Self.node("imap-a", bed: bed, hostname: "imap-a.shoal.test", messages: 1,
                                        limits: [("idle_poll_ms", 60_000), ("idle_safety_poll_ms", 60_000)],
                                        limitWords: [("change_notify", "inotify")])
        let second = try await Self.node("imap-b", bed: bed, hostname: "imap-b.shoal.test", messages: 0)
        let port = try #require(first.spec.imapsPort)
        let script = """
            import imaplib, ssl, smtplib, threading, time, json
            ctx = ssl._create_unverified_context()
            a = imaplib.IMAP4_SSL('127.0.0.1', \(port), ssl_context=ctx); a.login('alice', 'alice-pw'); a.select('INBOX')
            out = {}
            def idle():
                tag = a._new_tag().decode(); a.send(('%s IDLE\\r\\n' % tag).encode()); out.setdefault('idle_start', []).append(a.readline().decode().strip())
                return tag
            def done(tag):
                started = time.time(); a.send(b'DONE\\r\\n')
                while True:
                    line = a.readline().decode().strip()
                    if line.startswith(tag): break
                typ, data = a.noop()
                return line, round(time.time() - started, 2)
            a.sock.settimeout(20)
            tag = idle()
            def deliver(subject):
                time.sleep(0.5)
                with smtplib.SMTP('127.0.0.1', \(second.smtpPort)) as s:
                    s.sendmail('x@client.test', ['alice@shoal.test'], 'Subject: %s\\r\\n\\r\\nup\\r\\n' % subject)
            threading.Thread(target=deliver, args=('wake',)).start()
            started = time.time()
            out['idle_line'] = a.readline().decode().strip(); out['idle_seconds'] = round(time.time() - started, 2)
            out['idle_done'], out['done_seconds'] = done(tag)
            # A second IDLE on the same connection is woken too (its watch is set up anew).
            tag = idle()
            threading.Thread(target=deliver, args=('again',)).start()
            started = time.time()
            out['again_line'] = a.readline().decode().strip(); out['again_seconds'] = round(time.time() - started, 2)
            out['again_done'], _ = done(tag)
            print(json.dumps(out))
            """
        let python = try requiredTool("python3", package: "python3")
        let result = try await TestProcess.run(python, ["-c", script], timeout: 120)
        #expect(result.status == 0, "\(result)")
        let json = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? [:]
        #expect((json["idle_line"] as? String) == "* 2 EXISTS", "IDLE woke with EXISTS: \(result)")
        #expect(((json["idle_seconds"] as? Double) ?? 99) < 10, "woken by inotify, not the 60 s poll: \(result)")
        #expect((json["idle_done"] as? String)?.contains("OK") == true, "\(result)")
        #expect(((json["done_seconds"] as? Double) ?? 99) < 10, "DONE and NOOP do not wait for the poll: \(result)")
        #expect((json["again_line"] as? String) == "* 3 EXISTS", "\(result)")
        #expect(((json["again_seconds"] as? Double) ?? 99) < 10, "\(result)")
        #expect((json["again_done"] as? String)?.contains("OK") == true, "\(result)")
    }

    @Test func malformedCommandsAndHugeLiteralsGetBADNotACrash() async throws {
        let bed = try MailTestbed("imap-bad")
        defer { bed.shutdown() }
        let node = try await Self.node("imap-bad", bed: bed, messages: 1)
        let port = try #require(node.spec.imapPort)
        // Each command on its own line, read until its tagged answer (or the server closes).
        let script = """
            import socket, json
            s = socket.create_connection(('127.0.0.1', \(port)), timeout=20); f = s.makefile('rb')
            out = [f.readline().decode().strip()]
            for tag, line in [('a1', b'a1 NOOP'), ('a2', b'a2 FROB'), ('a3', b'a3 SELECT'), ('a4', b'a4 LOGIN {4294967295}'),
                              ('a5', b'a5 FETCH 1:* FLAGS'), ('a6', b'a6 LOGIN "unterminated'), ('a7', b'a7 LOGOUT')]:
                s.sendall(line + b'\\r\\n')
                while True:
                    reply = f.readline().decode().strip()
                    if not reply: out.append(tag + ' (closed)'); break
                    if reply.startswith(tag + ' ') or reply.startswith('+'): out.append(reply); break
            print(json.dumps(out))
            """
        let python = try requiredTool("python3", package: "python3")
        let result = try await TestProcess.run(python, ["-c", script], timeout: 60)
        let replies = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String]) ?? []
        #expect(replies.count == 8, "\(result)")
        #expect(replies.dropFirst().first?.hasPrefix("a1 OK") == true, "\(replies)")
        #expect(replies.dropFirst(2).first?.hasPrefix("a2 BAD") == true, "\(replies)")
        #expect(replies.dropFirst(3).first?.hasPrefix("a3 BAD") == true, "\(replies)")
        // An impossible literal is refused at once, never answered with "+" (nothing is allocated for it).
        let huge = replies.dropFirst(4).first ?? ""
        #expect(huge.hasPrefix("a4 ") && !huge.hasPrefix("+"), "\(replies)")
        #expect(node.child.isRunning, "the node died: \(node.log)")
    }

    @Test func curlAndFetchmailReadOverIMAPS() async throws {
        let bed = try MailTestbed("imap-clients")
        defer { bed.shutdown() }
        let node = try await Self.node("imap-clients", bed: bed, messages: 2)
        let port = try #require(node.spec.imapsPort)
        let curl = try requiredTool("curl", package: "curl")
        let base = "imaps://127.0.0.1:\(port)"
        let listing = try await TestProcess.run(curl, ["-s", "-k", "--max-time", "60", "-u", "alice:alice-pw", base + "/"])
        #expect(listing.status == 0 && listing.stdout.contains("INBOX") && listing.stdout.contains("Trash"), "\(listing)")
        let fetched = try await TestProcess.run(curl, ["-s", "-k", "--max-time", "60", "-u", "alice:alice-pw", base + "/INBOX;UID=2"])
        #expect(fetched.status == 0 && fetched.stdout.contains("Subject: imap 2") && fetched.stdout.contains("zebra"), "\(fetched)")
        let searched = try await TestProcess.run(curl, ["-s", "-k", "--max-time", "60", "-u", "alice:alice-pw", base + "/INBOX?SUBJECT%20imap"])
        #expect(searched.stdout.contains("SEARCH 1 2"), "\(searched)")

        let fetchmail = try requiredTool("fetchmail", package: "fetchmail")
        let home = try bed.dir.makeDirectory("fetchmail-imap")
        let delivered = home + "/delivered", rc = home + "/fetchmailrc"
        try """
            set no bouncemail
            poll 127.0.0.1 with service \(port) protocol IMAP auth password
              user "alice" there with password "alice-pw" is "root" here
              options keep fetchall ssl no sslcertck
              mda "/bin/sh -c 'cat >> \(delivered); echo ==END== >> \(delivered)'"

            """.write(toFile: rc, atomically: true, encoding: .utf8)
        chmod(rc, 0o600)
        let run = try await TestProcess.run(fetchmail, ["-f", rc, "-N", "--nosyslog"], environment: ["FETCHMAILHOME": home, "HOME": home,
                                                                                                        "PATH": "/usr/bin:/bin"])
        // `fetchall`: the message curl read (now \\Seen) comes too.
        #expect(run.status == 0, "fetchmail: \(run)")
        let text = (try? String(contentsOfFile: delivered, encoding: .utf8)) ?? ""
        #expect(text.components(separatedBy: "==END==").count - 1 == 2 && text.contains("Subject: imap 1"), "\(text)\n\(run)")
    }

    /// `UID n FLAGS (...)` pairs from FETCH responses, `\\Recent` left out (it is per server).
    static func uidFlags(_ text: String) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let uidRange = line.range(of: "(UID "), let flagsStart = line.range(of: "FLAGS (") else { continue }
            let uid = String(line[uidRange.upperBound...].prefix { $0.isNumber })
            let flags = line[flagsStart.upperBound...].prefix { $0 != ")" }
            result[uid] = Set(flags.split(separator: " ").map(String.init)).subtracting(["\\Recent"])
        }
        return result
    }

    @Test func dovecotAndShoalSeeTheSameFlagsAndKeywordsBothWays() async throws {
        let bed = try MailTestbed("imap-dovecot")
        defer { bed.shutdown() }
        let node = try await Self.node("imap-dovecot", bed: bed, messages: 3)
        let port = try #require(node.spec.imapsPort)
        let maildir = bed.maildir("alice").path
        // Shoal → Dovecot.
        let ours = try await bed.imaplib(port: port, steps: [
            ["select", "INBOX"], ["store", "1", "+FLAGS", "(\\Seen $Work)"], ["store", "2", "+FLAGS", "(\\Answered \\Flagged)"],
            ["uid", "FETCH", "1:*", "(FLAGS)"],
        ])
        let shoalView = Self.uidFlags(ours.data(3).joined(separator: "\n"))
        let dovecotText = try await DovecotView.imap(maildir, scratch: bed.dir, commands: ["SELECT INBOX", "FETCH 1:* (UID FLAGS)"],
                                                     inPlace: false)
        let dovecotView = Self.uidFlags(dovecotText)
        #expect(shoalView.count == 3 && shoalView == dovecotView, "Shoal \(shoalView), Dovecot \(dovecotView)\n\(dovecotText)")
        #expect(shoalView["1"] == ["\\Seen", "$Work"], "\(shoalView)")

        // Dovecot → Shoal: Dovecot itself changes flags and keywords and expunges in the store.
        let dovecotRun = try await DovecotView.imap(maildir, scratch: bed.dir, commands: [
            "SELECT INBOX", "STORE 3 +FLAGS (\\Deleted Later)", "STORE 1 -FLAGS ($Work)", "STORE 2 +FLAGS (Project)", "EXPUNGE",
        ], inPlace: true)
        let after = try await bed.imaplib(port: port, steps: [["select", "INBOX"], ["uid", "FETCH", "1:*", "(FLAGS)"]])
        let shoalAfter = Self.uidFlags(after.data(1).joined(separator: "\n"))
        #expect(shoalAfter == ["1": ["\\Seen"], "2": ["\\Answered", "\\Flagged", "Project"]], "\(shoalAfter) \(after)\n\(dovecotRun)")
    }
}
