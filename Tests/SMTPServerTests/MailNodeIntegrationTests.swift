import Foundation
import ShoalTestFixtures
import Testing

/// The mail write path end to end: the real `shoal mail-node` binary (one or two nodes on one store), a real
/// directory (SQLite from `shoal users add`, or a private slapd), real clients (Python smtplib and raw sockets,
/// swaks, Postfix over LMTP) and the Maildir++ files Dovecot reads.
@Suite(.serialized)
struct MailNodeIntegrationTests {
    static let sender = "sender@client.test"
    static let users = [
        TestUser(login: "alice", addresses: ["alice@shoal.test", "a.liddell@shoal.test"], password: "alice-pw"),
        TestUser(login: "bob", addresses: ["bob@shoal.test"], password: "bob-pw"),
        TestUser(login: "carol", addresses: ["carol@shoal.test"], password: "carol-pw"),
    ]

    /// A testbed with the three users in SQLite and one node (SMTP + LMTP) with `configure` applied.
    static func sqliteNode(_ name: String, configure: (inout MailNodeSpec) -> Void = { _ in }) async throws
        -> (MailTestbed, MailNodeProcess) {
        let bed = try MailTestbed(name)
        do {
            let directory = try await bed.sqliteDirectory(users)
            var spec = try bed.nodeSpec(hostname: "mx1.shoal.test", directory: directory)
            configure(&spec)
            return (bed, try await bed.startNode(spec))
        } catch {
            bed.shutdown()
            throw error
        }
    }

    /// Checks what every delivered copy must carry: Return-Path first, then this node's Received header.
    static func expectTrace(_ message: String, node: String, protocolName: String, returnPath: String = sender,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let names = MailText.headerNames(in: message)
        #expect(Array(names.prefix(2)) == ["Return-Path", "Received"], "headers: \(names)", sourceLocation: sourceLocation)
        #expect(MailText.header("Return-Path", in: message) == "<\(returnPath)>", sourceLocation: sourceLocation)
        let received = MailText.header("Received", in: message) ?? ""
        #expect(received.contains("by \(node) (Shoal) with \(protocolName) id "), "Received: \(received)",
                sourceLocation: sourceLocation)
    }

    // MARK: - SQLite directory: the simplest happy path

    @Test func sqliteNodeDeliversOverSMTPAndLMTP() async throws {
        let (bed, node) = try await Self.sqliteNode("mail-sqlite")
        defer { bed.shutdown() }

        let body = "First line.\n.A line that starts with a dot\n..two dots\nLast line.\n"
        let smtp = try await bed.smtplib(port: node.smtpPort, from: Self.sender, to: ["alice@shoal.test"],
                                         message: MailText.message(from: Self.sender, to: "alice@shoal.test",
                                                                   subject: "sqlite smtp", body: body))
        #expect(smtp.ehlo?.code == 250, "\(smtp)")
        for feature in ["pipelining", "size", "chunking", "8bitmime", "enhancedstatuscodes"] {
            #expect(smtp.features.contains(feature), "EHLO lacks \(feature): \(smtp.features)")
        }
        #expect(!smtp.features.contains("starttls"), "STARTTLS offered without a certificate")
        #expect(!smtp.features.contains("auth"), "AUTH offered in plaintext")
        #expect(smtp.mail?.code == 250 && smtp.rcpt.map(\.code) == [250], "\(smtp)")
        #expect(smtp.data.map(\.code) == [250], "\(smtp)")

        // LMTP: one reply per recipient, the alias lands in alice's mailbox, the unknown one is refused at RCPT.
        let lmtp = try await bed.smtplib(
            port: node.lmtpPort, from: Self.sender, to: ["A.Liddell@shoal.test", "bob@shoal.test", "nobody@shoal.test"],
            message: MailText.message(from: Self.sender, to: "bob@shoal.test", subject: "sqlite lmtp", body: "over LMTP\n"),
            lmtp: true)
        #expect(lmtp.rcpt.map(\.code) == [250, 250, 550], "\(lmtp)")
        #expect(lmtp.rcpt.last?.enhanced == "5.1.1", "\(lmtp)")
        #expect(lmtp.data.map(\.code) == [250, 250], "LMTP must answer once per accepted recipient: \(lmtp)")

        let alice = bed.maildir("alice"), bob = bed.maildir("bob")
        #expect(alice.problems().isEmpty, "\(alice.problems())")
        #expect(bob.problems().isEmpty, "\(bob.problems())")
        #expect(alice.new.count == 2 && alice.cur.isEmpty && alice.tmp.isEmpty, "alice: \(alice)")
        #expect(bob.new.count == 1 && bob.tmp.isEmpty, "bob: \(bob)")
        #expect(try alice.uidlist?.records.map(\.uid) == [1, 2])

        let viaSMTP = alice.messages(subject: "sqlite smtp")
        try #require(viaSMTP.count == 1, "alice: \(alice.messages)")
        Self.expectTrace(viaSMTP[0], node: "mx1.shoal.test", protocolName: "ESMTP")
        #expect(MailText.body(of: viaSMTP[0]) == body, "dot-stuffing must round-trip: \(viaSMTP[0])")
        #expect(viaSMTP[0].contains("\r\n"), "stored with CR LF line ends as received")
        #expect(MailText.header("Received", in: viaSMTP[0])?.contains("for <alice@shoal.test>") == true)

        for mailbox in [alice, bob] {
            let copies = mailbox.messages(subject: "sqlite lmtp")
            try #require(copies.count == 1, "\(mailbox.path): \(mailbox.messages)")
            Self.expectTrace(copies[0], node: "mx1.shoal.test", protocolName: "LMTP")
            #expect(MailText.body(of: copies[0]) == "over LMTP\n")
        }
        #expect(bed.storedMessageFiles().count == 3, "\(bed.storedMessageFiles())")
    }

    // MARK: - LDAP directory, two nodes on one store

    /// A slapd with the three users (mailboxes under the store root, {SSHA} passwords) and two nodes, mx1 and
    /// mx2, on one store, both reading the directory as the fixture's reader account in bind mode, both with TLS.
    struct LDAPCluster {
        let bed: MailTestbed
        let slapd: SlapdFixture
        let mx1: MailNodeProcess
        let mx2: MailNodeProcess

        static func start(_ name: String) async throws -> LDAPCluster {
            let bed = try MailTestbed(name)
            var slapd: SlapdFixture?
            do {
                let users = try MailNodeIntegrationTests.users.map { user in
                    FixtureUser(login: user.login, password: try SlapdFixture.slappasswd(user.password, scheme: "{SSHA}"),
                                mail: user.addresses[0], aliases: Array(user.addresses.dropFirst()),
                                mailbox: bed.maildir(user.login).path)
                }
                let fixture = try SlapdFixture.started(users: users)
                slapd = fixture
                let passwordFile = try bed.dir.write("reader.secret", fixture.readerPassword + "\n")
                let tls = try await bed.selfSignedCertificate()
                var nodes: [MailNodeProcess] = []
                for host in ["mx1.shoal.test", "mx2.shoal.test"] {
                    var spec = try bed.nodeSpec(hostname: host, directory: fixture.uri)
                    spec.ldap = [("base", fixture.peopleDN), ("bind_dn", fixture.readerDN),
                                 ("bind_password_file", passwordFile), ("auth_mode", "bind")]
                    spec.tls = tls
                    nodes.append(try await bed.startNode(spec))
                }
                return LDAPCluster(bed: bed, slapd: fixture, mx1: nodes[0], mx2: nodes[1])
            } catch {
                bed.shutdown()
                slapd?.stop()
                throw HarnessError("the LDAP cluster did not start: \(error)\n--- slapd\n\(slapd?.logTail() ?? "")")
            }
        }

        func shutdown() {
            bed.shutdown()
            slapd.stop()
        }
    }

    @Test func ldapTwoNodesOneStoreEveryClientPath() async throws {
        let cluster = try await LDAPCluster.start("mail-ldap")
        defer { cluster.shutdown() }
        let bed = cluster.bed, mx1 = cluster.mx1, mx2 = cluster.mx2

        // 1. smtplib, plain SMTP, to mx1 → alice (by her alias).
        let plain = try await bed.smtplib(
            port: mx1.smtpPort, from: Self.sender, to: ["a.liddell@shoal.test"],
            message: MailText.message(from: Self.sender, to: "a.liddell@shoal.test", subject: "ldap plain smtplib",
                                      body: "plain body\n.dotted\n"))
        #expect(plain.rcpt.map(\.code) == [250] && plain.data.map(\.code) == [250], "\(plain)")
        #expect(plain.features.contains("starttls") && !plain.features.contains("auth"), "\(plain.features)")

        // 2. swaks with PIPELINING to mx2 → bob.
        let swaks = try await bed.swaks([
            "--server", "127.0.0.1", "--port", String(mx2.smtpPort), "--helo", "swaks.client.test",
            "--from", Self.sender, "--to", "bob@shoal.test", "--pipeline",
            "--header", "Subject: ldap swaks pipelined", "--body", "sent by swaks with pipelining",
        ])
        #expect(swaks.status == 0, "\(swaks)")
        // Pipelined: MAIL, RCPT and DATA all go out before the reply to MAIL comes back.
        let transcript = swaks.stdout.split(separator: "\n").map(String.init)
        let dataSent = transcript.firstIndex { $0.hasPrefix(" -> DATA") }
        let mailAnswered = transcript.firstIndex { $0.hasPrefix("<-  250 2.1.0") }
        #expect(dataSent != nil && mailAnswered != nil && dataSent! < mailAnswered!,
                "swaks did not pipeline:\n\(swaks.stdout)")

        // 3. Raw socket, CHUNKING: BDAT n, then BDAT m LAST, to mx1 → carol. BDAT data is taken verbatim.
        let chunk1 = "From: <\(Self.sender)>\r\nTo: <carol@shoal.test>\r\nSubject: ldap bdat chunks\r\n\r\n"
            + "first line\r\n.not dot-stuffed in BDAT\r\nsplit he"
        let chunk2 = "re across two chunks\r\n"
        let bdat = try await bed.raw(port: mx1.smtpPort, RawStep.command("EHLO bdat.client.test") + [
            .send("MAIL FROM:<\(Self.sender)> BODY=BINARYMIME\r\nRCPT TO:<carol@shoal.test>\r\nBDAT \(chunk1.utf8.count)\r\n"
                + chunk1),
            .read(3),
            .send("BDAT \(chunk2.utf8.count) LAST\r\n" + chunk2), .read(1),
        ] + RawStep.command("QUIT"))
        #expect(bdat.replies.map(\.code) == [220, 250, 250, 250, 250, 250, 221], "\(bdat)")
        #expect(bdat.replies.dropFirst(4).first?.text.contains("\(chunk1.utf8.count) octets") == true, "\(bdat)")

        // 4. STARTTLS + AUTH PLAIN to mx2 as alice → bob.
        let authPlain = try await bed.smtplib(
            port: mx2.smtpPort, from: "alice@shoal.test", to: ["bob@shoal.test"],
            message: MailText.message(from: "alice@shoal.test", to: "bob@shoal.test", subject: "ldap tls auth plain",
                                      body: "after STARTTLS and AUTH PLAIN\n"),
            starttls: true, auth: ("PLAIN", "alice", "alice-pw"))
        #expect(authPlain.starttls?.code == 220, "\(authPlain)")
        #expect(authPlain.tlsVersion?.hasPrefix("TLS") == true, "\(authPlain)")
        #expect(authPlain.featuresAfterTLS?.contains("auth") == true && authPlain.featuresAfterTLS?.contains("starttls") == false,
                "\(authPlain.featuresAfterTLS ?? [])")
        #expect(authPlain.auth?.code == 235, "\(authPlain)")
        #expect(authPlain.data.map(\.code) == [250], "\(authPlain)")

        // 5. STARTTLS + AUTH LOGIN (334 Username:/Password: exchange) to mx1 as bob → alice.
        let authLogin = try await bed.smtplib(
            port: mx1.smtpPort, from: "bob@shoal.test", to: ["alice@shoal.test"],
            message: MailText.message(from: "bob@shoal.test", to: "alice@shoal.test", subject: "ldap tls auth login",
                                      body: "after STARTTLS and AUTH LOGIN\n"),
            starttls: true, auth: ("LOGIN", "bob", "bob-pw"))
        #expect(authLogin.auth?.code == 235 && authLogin.data.map(\.code) == [250], "\(authLogin)")

        // A wrong password is refused by the LDAP bind, and nothing is sent.
        let wrong = try await bed.smtplib(
            port: mx1.smtpPort, from: "bob@shoal.test", to: ["alice@shoal.test"],
            message: MailText.message(from: "bob@shoal.test", to: "alice@shoal.test", subject: "ldap wrong password",
                                      body: "never\n"),
            starttls: true, auth: ("PLAIN", "bob", "not-bobs-password"))
        #expect(wrong.auth?.code == 535 && wrong.auth?.enhanced == "5.7.8", "\(wrong)")
        #expect(wrong.mail == nil)

        // Every message exactly once, in the right Maildir, with this node's trace headers.
        let expected: [(subject: String, login: String, node: String, protocolName: String, returnPath: String)] = [
            ("ldap plain smtplib", "alice", "mx1.shoal.test", "ESMTP", Self.sender),
            ("ldap swaks pipelined", "bob", "mx2.shoal.test", "ESMTP", Self.sender),
            ("ldap bdat chunks", "carol", "mx1.shoal.test", "ESMTP", Self.sender),
            ("ldap tls auth plain", "bob", "mx2.shoal.test", "ESMTPSA", "alice@shoal.test"),
            ("ldap tls auth login", "alice", "mx1.shoal.test", "ESMTPSA", "bob@shoal.test"),
        ]
        let mailboxes = Dictionary(uniqueKeysWithValues: ["alice", "bob", "carol"].map { ($0, bed.maildir($0)) })
        for item in expected {
            for (login, mailbox) in mailboxes {
                let copies = mailbox.messages(subject: item.subject)
                if login == item.login {
                    #expect(copies.count == 1, "\(item.subject) in \(login): \(copies.count) copies")
                    if let copy = copies.first {
                        Self.expectTrace(copy, node: item.node, protocolName: item.protocolName, returnPath: item.returnPath)
                    }
                } else {
                    #expect(copies.isEmpty, "\(item.subject) also landed in \(login)'s mailbox")
                }
            }
        }
        let carol = try #require(mailboxes["carol"]?.messages(subject: "ldap bdat chunks").first)
        #expect(MailText.body(of: carol) == "first line\n.not dot-stuffed in BDAT\nsplit here across two chunks\n", "\(carol)")
        let alicePlain = try #require(mailboxes["alice"]?.messages(subject: "ldap plain smtplib").first)
        #expect(MailText.body(of: alicePlain) == "plain body\n.dotted\n")
        #expect(MailText.header("Received", in: alicePlain)?.contains("for <a.liddell@shoal.test>") == true, "\(alicePlain)")
        for (login, mailbox) in mailboxes {
            #expect(mailbox.problems().isEmpty, "\(login): \(mailbox.problems())")
            #expect(mailbox.tmp.isEmpty, "\(login) tmp/: \(mailbox.tmp)")
        }
        #expect(mailboxes.values.map { $0.messageFiles.count }.sorted() == [1, 2, 2])
        #expect(bed.storedMessageFiles().count == 5, "\(bed.storedMessageFiles())")
    }

    @Test func concurrentDeliveriesFromTwoNodesKeepUIDsUnique() async throws {
        let cluster = try await LDAPCluster.start("mail-concurrent")
        defer { cluster.shutdown() }
        let bed = cluster.bed
        let perNode = 25, threadsPerNode = 5
        var batches: [FloodBatch] = []
        var subjects: [String] = []
        for node in [cluster.mx1, cluster.mx2] {
            for thread in 0..<threadsPerNode {
                var messages: [String] = []
                for index in stride(from: thread, to: perNode, by: threadsPerNode) {
                    let subject = "flood \(node.hostname) #\(index)"
                    subjects.append(subject)
                    messages.append(MailText.message(from: Self.sender, to: "alice@shoal.test", subject: subject,
                                                     body: "message \(index) via \(node.hostname)\n"))
                }
                batches.append(FloodBatch(port: node.smtpPort, from: Self.sender, to: "alice@shoal.test", messages: messages))
            }
        }
        let results = try await bed.flood(batches)
        #expect(results.count == 2 * perNode)
        let failed = results.filter { $0.reply.code != 250 }
        #expect(failed.isEmpty, "not accepted: \(failed.map { "\($0.port)#\($0.index): \($0.reply)" })")

        let alice = bed.maildir("alice")
        #expect(alice.messageFiles.count == 2 * perNode, "\(alice.messageFiles.count) files")
        #expect(alice.tmp.isEmpty, "tmp/ left: \(alice.tmp)")
        #expect(alice.problems().isEmpty, "\(alice.problems())")
        let list = try #require(try alice.uidlist)
        #expect(list.records.map(\.uid) == Array(1...UInt32(2 * perNode)), "\(list.records.map(\.uid))")
        #expect(list.effectiveNextUID == UInt32(2 * perNode + 1))
        #expect(list.nextUID <= UInt32(2 * perNode + 1), "header N\(list.nextUID)")
        var copies: [String: Int] = [:]
        for message in alice.messages { copies[MailText.header("Subject", in: message) ?? "?", default: 0] += 1 }
        #expect(copies == Dictionary(uniqueKeysWithValues: subjects.map { ($0, 1) }), "\(copies)")
        // Both nodes really delivered (their Received headers name them).
        let byNode = Dictionary(grouping: alice.messages) { message in
            (MailText.header("Received", in: message) ?? "").contains("by mx1.shoal.test") ? "mx1" : "mx2"
        }
        #expect(byNode["mx1"]?.count == perNode && byNode["mx2"]?.count == perNode)

        // Dovecot reads the folder with the same UIDs for the same files (no renumbering, no complaints).
        let dovecot = try await DovecotView.read(alice.path, scratch: bed.dir)
        #expect(dovecot.uidValidity == list.uidValidity)
        #expect(dovecot.messages.map(\.uid) == list.records.map(\.uid))
        #expect(dovecot.messages.map(\.guid) == list.records.map(\.filename))
        #expect(dovecot.log.isEmpty, "Dovecot complained: \(dovecot.log)")
    }

    // MARK: - Refusals: relay, size, unknown recipient

    @Test func unauthenticatedRelayIsRefused() async throws {
        let (bed, node) = try await Self.sqliteNode("mail-relay")
        defer { bed.shutdown() }
        let relay = try await bed.smtplib(port: node.smtpPort, from: Self.sender, to: ["victim@foreign.example"],
                                          message: MailText.message(from: Self.sender, to: "victim@foreign.example",
                                                                    subject: "relay attempt", body: "spam\n"))
        #expect(relay.mail?.code == 250, "\(relay)")
        #expect(relay.rcpt.map(\.code) == [550] && relay.rcpt.first?.enhanced == "5.7.1", "\(relay)")
        #expect(relay.data.isEmpty)
        // Pipelined MAIL, RCPT, DATA: the refused recipient leaves DATA nothing to accept (554 5.5.1, no 354).
        let mixed = try await bed.raw(port: node.smtpPort, RawStep.command("EHLO relay.client.test") + [
            .send("MAIL FROM:<\(Self.sender)>\r\nRCPT TO:<victim@foreign.example>\r\nDATA\r\n"), .read(3),
        ] + RawStep.command("QUIT"))
        #expect(mixed.replies.map(\.code) == [220, 250, 250, 550, 554, 221], "\(mixed)")
        #expect(mixed.replies[3].enhanced == "5.7.1", "\(mixed)")
        #expect(bed.storedMessageFiles().isEmpty, "\(bed.storedMessageFiles())")
        #expect(bed.storedUIDListRecords().isEmpty)
        #expect(!node.log.contains("delivered"), "\(node.log)")
    }

    @Test func oversizedMessagesAreRefusedAndNotStored() async throws {
        let limit = 20_000
        let (bed, node) = try await Self.sqliteNode("mail-size") { $0.limits = [("message_size", limit)] }
        defer { bed.shutdown() }
        let big = MailText.message(from: Self.sender, to: "alice@shoal.test", subject: "too big",
                                   body: String(repeating: String(repeating: "x", count: 76) + "\n", count: 400))
        #expect(big.utf8.count > limit)

        // Declared too big in MAIL FROM SIZE=.
        let declared = try await bed.smtplib(port: node.smtpPort, from: Self.sender, to: ["alice@shoal.test"], message: big,
                                             mailOptions: ["SIZE=\(big.utf8.count)"])
        #expect(declared.ehlo?.text.contains("SIZE \(limit)") == true, "\(declared)")
        #expect(declared.mail?.code == 552 && declared.mail?.enhanced == "5.3.4", "\(declared)")
        #expect(declared.data.isEmpty)

        // Undeclared, found too big during DATA.
        let sent = try await bed.smtplib(port: node.smtpPort, from: Self.sender, to: ["alice@shoal.test"], message: big)
        #expect(sent.rcpt.map(\.code) == [250], "\(sent)")
        #expect(sent.data.map(\.code) == [552] && sent.data.first?.enhanced == "5.3.4", "\(sent)")

        // And during BDAT.
        let chunk = String(repeating: "y", count: limit + 100)
        let bdat = try await bed.raw(port: node.smtpPort, RawStep.command("EHLO size.client.test") + [
            .send("MAIL FROM:<\(Self.sender)>\r\nRCPT TO:<alice@shoal.test>\r\nBDAT \(chunk.utf8.count) LAST\r\n" + chunk),
            .read(3),
        ] + RawStep.command("QUIT"))
        #expect(bdat.replies.map(\.code) == [220, 250, 250, 250, 552, 221], "\(bdat)")
        #expect(bdat.replies.count > 4 && bdat.replies[4].enhanced == "5.3.4", "\(bdat)")

        #expect(bed.storedMessageFiles().isEmpty, "\(bed.storedMessageFiles())")
        #expect(bed.storedUIDListRecords().isEmpty)

        // The session goes on: a message under the limit is accepted on the same kind of connection.
        let small = try await bed.smtplib(port: node.smtpPort, from: Self.sender, to: ["alice@shoal.test"],
                                          message: MailText.message(from: Self.sender, to: "alice@shoal.test",
                                                                    subject: "small enough", body: "fits\n"),
                                          mailOptions: ["SIZE=200"])
        #expect(small.data.map(\.code) == [250], "\(small)")
        #expect(bed.maildir("alice").messages.compactMap { MailText.header("Subject", in: $0) } == ["small enough"])
    }

    @Test func unknownRecipientGets550() async throws {
        let (bed, node) = try await Self.sqliteNode("mail-unknown")
        defer { bed.shutdown() }
        let result = try await bed.smtplib(port: node.smtpPort, from: Self.sender, to: ["nobody@shoal.test"],
                                           message: MailText.message(from: Self.sender, to: "nobody@shoal.test",
                                                                     subject: "to nobody", body: "lost\n"))
        #expect(result.rcpt.map(\.code) == [550] && result.rcpt.first?.enhanced == "5.1.1", "\(result)")
        #expect(result.data.isEmpty)
        let lmtp = try await bed.smtplib(port: node.lmtpPort, from: Self.sender, to: ["nobody@shoal.test"],
                                         message: MailText.message(from: Self.sender, to: "nobody@shoal.test",
                                                                   subject: "to nobody", body: "lost\n"), lmtp: true)
        #expect(lmtp.rcpt.map(\.code) == [550] && lmtp.rcpt.first?.enhanced == "5.1.1", "\(lmtp)")
        #expect(bed.storedMessageFiles().isEmpty, "\(bed.storedMessageFiles())")
    }

    // MARK: - SIGTERM drains

    @Test func sigtermLetsAMessageInDATAFinishThenEndsTheSessionAndExits() async throws {
        let (bed, node) = try await Self.sqliteNode("mail-drain")
        defer { bed.shutdown() }
        let marker = bed.dir.file("in-data")
        let message = MailText.message(from: Self.sender, to: "alice@shoal.test", subject: "drained", body: "finished after SIGTERM\n")
        async let conversation = bed.raw(port: node.smtpPort, RawStep.command("EHLO drain.client.test") + [
            .send("MAIL FROM:<\(Self.sender)>\r\nRCPT TO:<alice@shoal.test>\r\nDATA\r\n"), .read(3),
            .send(String(message.prefix(20))), .mark(marker), .sleep(1.5),
            .send(String(message.dropFirst(20)) + ".\r\n"), .read(1), .drain(seconds: 10),
        ])
        try await node.child.waitUntil("the client inside DATA", timeout: 30) { FileManager.default.fileExists(atPath: marker) }
        _ = kill(node.child.pid, SIGTERM)
        let result = try await conversation
        #expect(result.replies.map(\.code) == [220, 250, 250, 250, 354, 250], "\(result)")
        #expect(result.drained?.hasPrefix("421 4.3.2") == true, "\(result)")
        #expect(try await node.child.wait(timeout: 30) == 0, "\(node.log)")
        let stored = try await bed.waitForMessages(1, in: bed.maildir("alice"))
        #expect(stored.messages(subject: "drained").count == 1)
        // New connections are refused once the node drains.
        #expect(!TestPorts.accepts(node.smtpPort))
    }

    // MARK: - A crash in the middle of DATA

    @Test func nodeKilledDuringDataLeavesNoPartialMessage() async throws {
        let (bed, node) = try await Self.sqliteNode("mail-crash")
        defer { bed.shutdown() }
        let marker = bed.dir.file("half-sent")
        let head = MailText.message(from: Self.sender, to: "alice@shoal.test", subject: "cut short",
                                    body: String(repeating: "half of a message that never ends\n", count: 200))
        let client = Task {
            try await bed.raw(port: node.smtpPort, RawStep.command("EHLO crash.client.test") + [
                .send("MAIL FROM:<\(Self.sender)>\r\n"), .read(1),
                .send("RCPT TO:<alice@shoal.test>\r\n"), .read(1),
                .send("DATA\r\n"), .read(1),
                .send(head), .mark(marker), .drain(seconds: 20),
            ], timeout: 60)
        }
        // Once the client has sent half the message, kill the node as a crash would.
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: marker) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(FileManager.default.fileExists(atPath: marker), "the client never got to DATA")
        try await Task.sleep(for: .milliseconds(300))  // let the node read what was sent
        node.crash()
        let result = try await client.value
        #expect(result.replies.map(\.code) == [220, 250, 250, 250, 354], "\(result)")
        #expect(result.closed == true, "the connection should drop when the node dies: \(result)")
        #expect(!(result.drained ?? "").contains("250"), "a 250 for a message that was never finished: \(result)")

        let alice = bed.maildir("alice")
        #expect(alice.new.isEmpty && alice.cur.isEmpty, "visible partial message: \(alice.messageFiles)")
        #expect(try (alice.uidlist?.records ?? []).isEmpty, "uidlist: \(alice.uidlistText ?? "")")
        #expect(bed.storedMessageFiles().isEmpty)

        // Another node on the same store delivers normally afterwards: UID 1, nothing stale in the way.
        var spec = try bed.nodeSpec(hostname: "mx2.shoal.test", directory: node.spec.directory)
        spec.lmtpPort = nil
        let mx2 = try await bed.startNode(spec)
        let after = try await bed.smtplib(port: mx2.smtpPort, from: Self.sender, to: ["alice@shoal.test"],
                                          message: MailText.message(from: Self.sender, to: "alice@shoal.test",
                                                                    subject: "after the crash", body: "whole\n"))
        #expect(after.data.map(\.code) == [250], "\(after)")
        let now = alice.reloaded()
        #expect(now.messages.compactMap { MailText.header("Subject", in: $0) } == ["after the crash"])
        #expect(try now.uidlist?.records.map(\.uid) == [1])
        #expect(now.problems().isEmpty, "\(now.problems())")
    }

    // MARK: - Postfix delivering over LMTP

    @Test func postfixDeliversIntoTheStoreOverLMTP() async throws {
        let (bed, node) = try await Self.sqliteNode("mail-postfix")
        defer { bed.shutdown() }
        let postfix: PostfixInstance
        do {
            postfix = try await PostfixInstance.start(in: bed, lmtpPort: node.lmtpPort)
        } catch {
            Issue.record("Postfix could not be run, so LMTP interop is untested: \(error)")
            return
        }
        let swaks = try await bed.swaks([
            "--server", "127.0.0.1", "--port", String(postfix.smtpPort), "--helo", "swaks.client.test",
            "--from", Self.sender, "--to", "bob@shoal.test",
            "--header", "Subject: via postfix and lmtp", "--body", "Postfix queued me and spoke LMTP to Shoal.",
        ])
        #expect(swaks.status == 0, "Postfix's smtpd refused the message: \(swaks)\n--- maillog\n\(postfix.maillog)")
        let bob: MaildirState
        do {
            bob = try await bed.waitForMessages(1, in: bed.maildir("bob"), timeout: 30)
        } catch {
            Issue.record("\(error)\n--- postfix maillog\n\(postfix.maillog)\n--- node log\n\(node.log)")
            return
        }
        let copies = bob.messages(subject: "via postfix and lmtp")
        #expect(copies.count == 1 && bob.messageFiles.count == 1, "\(bob.messages)")
        if let copy = copies.first {
            Self.expectTrace(copy, node: "mx1.shoal.test", protocolName: "LMTP")
            #expect(MailText.header("Received", in: copy)?.contains("from postfix.client.test") == true, "\(copy)")
            // Postfix's own Received header comes after Shoal's.
            #expect(MailText.headers("Received", in: copy).count >= 2, "\(copy)")
            #expect(MailText.body(of: copy).contains("Postfix queued me and spoke LMTP to Shoal."), "\(copy)")
        }
        #expect(bob.problems().isEmpty, "\(bob.problems())")
        // Postfix logged a successful LMTP delivery (status=sent), not a deferral.
        let deadline = Date().addingTimeInterval(10)
        while !postfix.maillog.contains("status=sent") && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(postfix.maillog.contains("relay=127.0.0.1[127.0.0.1]:\(node.lmtpPort)") && postfix.maillog.contains("status=sent"),
                "\(postfix.maillog)")
    }

    // MARK: - The harness's own checks can fail

    /// The Maildir checks the tests rely on do catch broken states (so a passing test means something).
    @Test func maildirChecksCatchBrokenUIDLists() throws {
        let dir = try TempDirectory("shoal-maildir-check")
        defer { dir.remove() }
        for sub in ["new", "cur", "tmp"] { _ = try dir.makeDirectory("m/\(sub)") }
        let names = ["1700000000.M1P1Q1.mx1,S=10,W=11", "1700000000.M2P1Q2.mx2,S=10,W=11", "1700000000.M3P1Q3.mx1,S=10,W=11"]
        for name in names.prefix(2) { try dir.write("m/new/\(name)", "Subject: x\r\n\r\nbody\r\n") }
        try dir.write("m/cur/\(names[2]):2,S", "Subject: y\r\n\r\nbody\r\n")
        let guid = String(repeating: "ab", count: 16)
        func state(_ uidlist: String) throws -> MaildirState {
            try dir.write("m/dovecot-uidlist", uidlist)
            return MaildirState(path: dir.file("m"))
        }
        let good = try state("3 V1700000000 N2 G\(guid)\n1 :\(names[0])\n2 W11 :\(names[1])\n3 :\(names[2])\n")
        #expect(good.problems().isEmpty, "\(good.problems())")
        #expect(try good.uidlist?.effectiveNextUID == 4)
        let duplicate = try state("3 V1700000000 N4 G\(guid)\n1 :\(names[0])\n1 :\(names[1])\n3 :\(names[2])\n")
        #expect(duplicate.problems().contains { $0.hasPrefix("duplicate UIDs") })
        let missing = try state("3 V1700000000 N3 G\(guid)\n1 :\(names[0])\n2 :\(names[2])\n")
        #expect(missing.problems().contains { $0.contains("\(names[1]) is not in dovecot-uidlist") })
        let gap = try state("3 V1700000000 N6 G\(guid)\n1 :\(names[0])\n2 :\(names[1])\n5 :\(names[2])\n")
        #expect(gap.problems().contains { $0.hasPrefix("UIDs not 1...3") })
        let stale = try state("3 V1700000000 N4 G\(guid)\n1 :\(names[0])\n2 :\(names[1])\n3 :\(names[2])\n4 :gone\n")
        #expect(stale.problems().contains { $0.contains("gone has no file") })
        let torn = try state("3 V1700000000 N4 G\(guid)\n1 :\(names[0])\n2 :\(names[1])\n3 :\(names[2])")
        #expect(torn.problems().contains { $0.contains("does not parse") })
        #expect(MailText.headerNames(in: "Return-Path: <a@b>\r\nReceived: from x\r\n\tby y\r\nSubject: s\r\n\r\nZ: body\r\n")
                == ["Return-Path", "Received", "Subject"])
    }

    // MARK: - Configuration errors

    struct BadConfig: Sendable, CustomTestStringConvertible {
        var name: String
        /// The file, with DIR standing for the testbed's directory.
        var text: String
        var line: Int
        var field: String
        var message: String
        init(_ name: String, _ text: String, _ line: Int, _ field: String, _ message: String) {
            (self.name, self.text, self.line, self.field, self.message) = (name, text, line, field, message)
        }
        var testDescription: String { name }
    }

    @Test(arguments: [
        BadConfig("unknown field", """
            hostname: mx1.shoal.test
            directory: "sqlite:DIR/users.db"
            store:
              root: DIR/store
            smtp:
              listen: 127.0.0.1:2525
              backlog: 5
            """, 7, "smtp.backlog", "unknown field"),
        BadConfig("port out of range", """
            hostname: mx1.shoal.test
            directory: "sqlite:DIR/users.db"
            store:
              root: DIR/store
            smtp:
              listen: 127.0.0.1:70000
            """, 6, "smtp.listen", "port 70000 is out of range"),
        BadConfig("missing store.root", """
            hostname: mx1.shoal.test
            directory: "sqlite:DIR/users.db"
            store:
              fsync: true
            lmtp:
              listen: 127.0.0.1:2424
            """, 4, "store.root", "required field is missing"),  // a missing field: the first line of its block
        BadConfig("top-level typo", """
            hostname: mx1.shoal.test
            directory: "sqlite:DIR/users.db"
            store: { root: DIR/store }
            smtp: { listen: 127.0.0.1:2525 }
            local_domain: [shoal.test]
            """, 5, "local_domain", "unknown field"),
    ])
    func badConfigurationIsReportedWithFileLineAndField(_ bad: BadConfig) async throws {
        let (name, text, line, field, message) = (bad.name, bad.text, bad.line, bad.field, bad.message)
        let bed = try MailTestbed("mail-config")
        defer { bed.shutdown() }
        let path = try bed.dir.write("node.yaml", text.replacingOccurrences(of: "DIR", with: bed.dir.path) + "\n")
        let run = try await bed.shoal(["mail-node", "--config", path])
        #expect(run.status != 0, "\(name): \(run)")
        #expect(run.stderr.contains("\(path):\(line): \(field): \(message)"), "\(name): \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: bed.dir.file("users.db")), "\(name): opened the directory anyway")
    }
}
