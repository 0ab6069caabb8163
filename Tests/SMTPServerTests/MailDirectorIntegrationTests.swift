import Foundation
import ShoalTestFixtures
import Testing

/// The mail director end to end (issue 12): `shoal director` with `protocol: imap` and `pop3` services in
/// front of three `shoal mail-node`s on one store, real clients (imaplib, poplib) from different source
/// addresses. Addresses 127.0.160.x.
@Suite(.serialized)
struct MailDirectorIntegrationTests {
    static let users = MailNodeIntegrationTests.users + [
        TestUser(login: "dave", addresses: ["dave@shoal.test"], password: "dave-pw"),
        TestUser(login: "erin", addresses: ["erin@shoal.test"], password: "erin-pw"),
    ]
    static let director = "127.0.160.1"

    /// Three nodes (IMAP and POP3, plaintext allowed on loopback; SMTP on the first) and two messages for alice.
    static func cluster(_ bed: MailTestbed) async throws -> [MailNodeProcess] {
        let directory = try await bed.sqliteDirectory(users)
        var nodes: [MailNodeProcess] = []
        for n in 1...3 {
            let address = "127.0.160.\(10 + n)"
            var spec = MailNodeSpec(hostname: "node\(n).shoal.test", directory: directory, storeRoot: bed.storeRoot,
                                    smtpPort: n == 1 ? try TestPorts.free(host: address) : nil, lmtpPort: nil)
            spec.listenAddress = address
            spec.imapPort = try TestPorts.free(host: address)
            spec.pop3Port = try TestPorts.free(host: address)
            spec.submissionPort = try TestPorts.free(host: address)
            spec.auth = [("allow_plaintext", true)]
            // The director connects from 127.0.0.1 (the kernel's source for 127/8) and names the client in a PROXY header.
            spec.proxyTrusted = ["127.0.0.1"]
            nodes.append(try await bed.startNode(spec))
        }
        for n in 1...2 {
            let sent = try await bed.smtplib(port: nodes[0].smtpPort, from: MailNodeIntegrationTests.sender, to: ["alice@shoal.test"],
                                             message: MailText.message(from: MailNodeIntegrationTests.sender, to: "alice@shoal.test",
                                                                       subject: "director \(n)", body: "Body \(n).\n"),
                                             host: nodes[0].spec.listenAddress)
            guard sent.data.map(\.code) == [250] else { throw HarnessError("delivery failed: \(sent)") }
        }
        return nodes
    }

    /// The engines a plaintext mail service may run on: every plaintext test runs on both.
    static let engines = ["nio", "epoll"]

    /// Writes the director's configuration (an imap and a pop3 service over the nodes) and starts it.
    /// With `directory`, the director checks logins against it before choosing a node; `engine` is every service's.
    static func startDirector(_ bed: MailTestbed, nodes: [MailNodeProcess], admin: Int? = nil, directory: String? = nil,
                              engine: String = "nio") async throws
        -> (imap: Int, pop3: Int, submission: Int, process: TestProcess) {
        let imap = try TestPorts.free(host: director), pop3 = try TestPorts.free(host: director)
        let submission = try TestPorts.free(host: director)
        let adminLine = admin.map { ", admin: {listen: \"\(director):\($0)\"}" } ?? ""
        func servers(_ port: (MailNodeSpec) -> Int?) -> String {
            nodes.map { "      - {address: \($0.spec.listenAddress):\(port($0.spec)!)}\n" }.joined()
        }
        let check = directory.map { ", directory: \"\($0)\"" } ?? ""
        let yaml = """
            director: {drain_timeout: 5, connect_timeout: 2\(adminLine)}
            services:
              - name: imap
                listen: \(director):\(imap)
                protocol: imap
                engine: \(engine)
                proxy_protocol: v2
                mail: {hostname: director.shoal.test, allow_plaintext: true, command_timeout: 60\(check)}
                servers:
            \(servers(\.imapPort))  - name: pop3
                listen: \(director):\(pop3)
                protocol: pop3
                engine: \(engine)
                proxy_protocol: v1
                mail: {hostname: director.shoal.test, allow_plaintext: true\(check)}
                servers:
            \(servers(\.pop3Port))  - name: submission
                listen: \(director):\(submission)
                protocol: submission
                engine: \(engine)
                proxy_protocol: v2
                mail: {hostname: director.shoal.test, allow_plaintext: true\(check)}
                servers:
            \(servers(\.submissionPort))
            """
        let path = try bed.dir.write("director.yaml", yaml)
        let process = try bed.launch(try ShoalBinary.executable(), ["director", "--config", path], name: "director")
        do {
            try await TestPorts.waitForListener(director, [imap, pop3, submission], timeout: 30, process: process)
        } catch {
            throw HarnessError("director did not listen: \(error)\n--- config\n\(yaml)\n--- log\n\(process.standardError)")
        }
        // The engine asked for is the one listening (the epoll engine's listeners say so in their log line).
        let epollListeners = process.standardError.components(separatedBy: "engine=epoll").count - 1
        guard epollListeners == (engine == "epoll" ? 3 : 0) else {
            throw HarnessError("\(epollListeners) epoll listeners for engine \(engine)\n--- log\n\(process.standardError)")
        }
        return (imap, pop3, submission, process)
    }

    /// Sessions through the director (`Peers/director_client.py`), one answer each.
    static func sessions(_ bed: MailTestbed, proto: String, port: Int, _ sessions: [(source: String, user: String, password: String)])
        async throws -> [[String: Any]] {
        let job: [String: Any] = ["host": director, "port": port, "proto": proto,
                                  "sessions": sessions.map { ["source": $0.source, "user": $0.user, "password": $0.password] }]
        let path = bed.dir.file("logs/director-\(UUID().uuidString.prefix(8)).json")
        try JSONSerialization.data(withJSONObject: job).write(to: URL(fileURLWithPath: path))
        let result = try await peers.run("director_client.py", [path], timeout: 180)
        guard result.status == 0, let answers = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] else {
            throw HarnessError("director client failed: \(result)")
        }
        return answers
    }

    static func password(_ user: String) -> String { "\(user)-pw" }

    @Test(arguments: engines) func aUsersImapSessionsFromDifferentAddressesLandOnOneNodeAndMoveWhenItDies(engine: String) async throws {
        let bed = try MailTestbed("maildir-imap-\(engine)")
        defer { bed.shutdown() }
        let nodes = try await Self.cluster(bed)
        let director = try await Self.startDirector(bed, nodes: nodes, engine: engine)

        // alice from six addresses (Alice and ALICE too: the name is normalised).
        let names = ["alice", "Alice", "alice", "ALICE", "alice", "alice"]
        let alice = try await Self.sessions(bed, proto: "imap", port: director.imap,
                                            names.enumerated().map { ("127.0.160.\(21 + $0.offset)", $0.element, "alice-pw") })
        let hosts = alice.map { $0["host"] as? String ?? "none: \($0)" }
        #expect(Set(hosts).count == 1, "alice's sessions landed on \(hosts)")
        #expect(hosts.allSatisfy { $0.hasSuffix(".shoal.test") }, "\(alice)")
        for answer in alice {
            #expect((answer["login"] as? [Any])?.first as? String == "OK", "\(answer)")
            #expect(((answer["select"] as? [Any])?.last as? [String]) == ["2"], "alice reads her two messages: \(answer)")
            #expect((answer["greeting"] as? String)?.contains("director.shoal.test") == true)
        }
        #expect((alice.first?["capabilities"] as? [String])?.contains("AUTH=PLAIN") == true)

        // Every user keeps one node, whatever the address.
        var homes: [String: String] = [:]
        for user in ["bob", "carol", "dave", "erin"] {
            let answers = try await Self.sessions(bed, proto: "imap", port: director.imap,
                                                  (0..<3).map { ("127.0.160.\(30 + $0)", user, Self.password(user)) })
            let seen = Set(answers.map { $0["host"] as? String ?? "none: \($0)" })
            #expect(seen.count == 1, "\(user): \(answers)")
            homes[user] = seen.first
        }
        homes["alice"] = hosts.first

        // A wrong password gets NO from the node, passed on; the session is not spliced.
        let wrong = try await Self.sessions(bed, proto: "imap", port: director.imap, [("127.0.160.40", "alice", "nope")])
        #expect((wrong.first?["login_error"] as? String)?.contains("AUTHENTICATIONFAILED") == true, "\(wrong)")
        // The node saw the real client (the PROXY header), not the director: its failed-login log names 127.0.160.40.
        let logs = nodes.map(\.log).joined()
        #expect(logs.contains("login failed") && logs.contains("127.0.160.40"), "\(logs.suffix(2000))")

        // Malformed input before login gets BAD, never a crash; LOGOUT still works.
        let raw = try await bed.raw(port: director.imap, [
            .send("\u{1}\u{2}garbage\r\n"), .send("a SELECT INBOX\r\n"), .send("b LOGIN {99999999}\r\n"), .send("c LOGOUT\r\n"),
            .drain(seconds: 30),
        ], host: Self.director)
        let drained = raw.drained ?? ""
        #expect(drained.contains("* BAD") && drained.contains("a BAD Log in first.") && drained.contains("b BAD")
            && drained.contains("c OK Logout completed."), "\(raw)")
        #expect(director.process.isRunning)

        // A node gates its client listeners: a trusted address (127.0.0.1 here) that sends no PROXY header gets no
        // greeting and is closed when the header does not come; a header cannot be spoofed by anyone else (the
        // nodes logged 127.0.160.40 above only because the director sent it).
        let ungated = try await bed.raw(port: nodes[0].spec.imapPort!, [.drain(seconds: 30)], host: nodes[0].spec.listenAddress)
        #expect(ungated.replies.first?.code == 0 && ungated.drained == "" && ungated.closed == true, "\(ungated)")

        // alice's node dies: her next sessions go to one other node, where she reads the same mail.
        let home = try #require(hosts.first)
        let dead = try #require(nodes.first { $0.hostname == home })
        dead.crash()
        let moved = try await Self.sessions(bed, proto: "imap", port: director.imap,
                                            (0..<3).map { ("127.0.160.\(50 + $0)", "alice", "alice-pw") })
        let movedHosts = Set(moved.map { $0["host"] as? String ?? "none: \($0)" })
        #expect(movedHosts.count == 1 && !movedHosts.contains(home), "after \(home) died: \(moved)")
        #expect(moved.allSatisfy { (($0["select"] as? [Any])?.last as? [String]) == ["2"] }, "\(moved)")
        // Users of the nodes still up stay where they were.
        for (user, node) in homes where node != home && user != "alice" {
            let again = try await Self.sessions(bed, proto: "imap", port: director.imap, [("127.0.160.60", user, Self.password(user))])
            #expect(again.first?["host"] as? String == node, "\(user) moved from \(node): \(again)")
        }
    }

    @Test(arguments: engines) func pop3LoginsThroughTheDirectorReadTheMaildrop(engine: String) async throws {
        let bed = try MailTestbed("maildir-pop3-\(engine)")
        defer { bed.shutdown() }
        let nodes = try await Self.cluster(bed)
        let director = try await Self.startDirector(bed, nodes: nodes, engine: engine)
        let answers = try await Self.sessions(bed, proto: "pop3", port: director.pop3,
                                              (0..<3).map { ("127.0.160.\(70 + $0)", "alice", "alice-pw") })
        for answer in answers {
            #expect((answer["greeting"] as? String)?.contains("director.shoal.test") == true, "\(answer)")
            #expect((answer["login"] as? String)?.hasPrefix("+OK") == true, "\(answer)")
            #expect((answer["stat"] as? [Int])?.first == 2, "\(answer)")
        }
        let wrong = try await Self.sessions(bed, proto: "pop3", port: director.pop3, [("127.0.160.80", "alice", "nope")])
        #expect((wrong.first?["login_error"] as? String)?.contains("-ERR") == true, "\(wrong)")
        // Malformed input before login gets -ERR, never a crash; QUIT still works.
        let raw = try await bed.raw(port: director.pop3, [
            .send("\u{1}\u{2}junk\r\n"), .send("PASS early\r\n"), .send(String(repeating: "X", count: 9000) + "\r\n"), .send("QUIT\r\n"),
            .drain(seconds: 30),
        ], host: Self.director)
        let drained = raw.drained ?? ""
        #expect(drained.contains("-ERR Unknown command") && drained.contains("-ERR USER first.") && drained.contains("-ERR Line too long.")
            && drained.contains("+OK"), "\(raw)")
        #expect(director.process.isRunning)

        // Submission: smtplib authenticates through the director and the node delivers to bob.
        let sent = try await bed.smtplib(port: director.submission, from: "alice@shoal.test", to: ["bob@shoal.test"],
                                         message: MailText.message(from: "alice@shoal.test", to: "bob@shoal.test", subject: "via director",
                                                                   body: "Submitted.\n"),
                                         auth: (mechanism: "PLAIN", user: "alice", password: "alice-pw"), host: Self.director)
        #expect(sent.data.map(\.code) == [250], "\(sent)")
        _ = try await bed.waitForMessages(1, in: bed.maildir("bob"))
        let refused = try await bed.smtplib(port: director.submission, from: "alice@shoal.test", to: ["bob@shoal.test"],
                                            message: MailText.message(from: "alice@shoal.test", to: "bob@shoal.test", subject: "x", body: "x\n"),
                                            auth: (mechanism: "PLAIN", user: "alice", password: "nope"), host: Self.director)
        #expect(refused.auth?.code == 535 && refused.data.isEmpty, "\(refused)")

        // alice's IMAP, POP3 and submission sessions all met on one node (the services list the nodes on
        // different ports; mh places by node address): only that node opened her maildrop and took her message.
        let imap = try await Self.sessions(bed, proto: "imap", port: director.imap, [("127.0.160.81", "alice", "alice-pw")])
        let home = try #require(imap.first?["host"] as? String, "\(imap)")
        let opened = nodes.filter { $0.log.contains("user=alice") && $0.log.contains("maildrop opened") }.map(\.hostname)
        let submitted = nodes.filter { $0.log.contains("to=bob@shoal.test") }.map(\.hostname)
        #expect(opened == [home] && submitted == [home], "IMAP on \(home), POP3 on \(opened), submission on \(submitted)")
    }

    /// `mail: {directory: …}`: the director checks logins itself. A bad one is refused with the protocol's
    /// answer and no node hears of it (the nodes log every failed login; with every node gone the answer is
    /// still "bad credentials", not "no server"); a good one is spliced to the user's node as before.
    @Test(arguments: engines) func theDirectorChecksLoginsAgainstTheDirectoryBeforeAnyNode(engine: String) async throws {
        let bed = try MailTestbed("maildir-auth-\(engine)")
        defer { bed.shutdown() }
        let nodes = try await Self.cluster(bed)
        let director = try await Self.startDirector(bed, nodes: nodes, directory: "sqlite:" + bed.dir.file("users.db"), engine: engine)

        let good = try await Self.sessions(bed, proto: "imap", port: director.imap, [("127.0.160.90", "alice", "alice-pw")])
        #expect((good.first?["login"] as? [Any])?.first as? String == "OK", "\(good)")
        #expect(((good.first?["select"] as? [Any])?.last as? [String]) == ["2"], "\(good)")
        let wrong = try await Self.sessions(bed, proto: "imap", port: director.imap, [("127.0.160.91", "alice", "nope")])
        #expect((wrong.first?["login_error"] as? String)?.contains("AUTHENTICATIONFAILED") == true, "\(wrong)")
        let unknown = try await Self.sessions(bed, proto: "pop3", port: director.pop3, [("127.0.160.92", "mallory", "x")])
        #expect((unknown.first?["login_error"] as? String)?.contains("-ERR [AUTH]") == true, "\(unknown)")
        let refused = try await bed.smtplib(port: director.submission, from: "alice@shoal.test", to: ["bob@shoal.test"],
                                            message: MailText.message(from: "alice@shoal.test", to: "bob@shoal.test", subject: "x", body: "x\n"),
                                            auth: (mechanism: "PLAIN", user: "alice", password: "nope"), host: Self.director)
        #expect(refused.auth?.code == 535 && refused.data.isEmpty, "\(refused)")
        let logs = nodes.map(\.log).joined()
        #expect(!logs.contains("login failed"), "a node heard of a refused login: \(logs.suffix(2000))")

        // Every node gone: a bad login is still refused as bad, a good one finds no node.
        for node in nodes { node.crash() }
        let wrongAgain = try await Self.sessions(bed, proto: "imap", port: director.imap, [("127.0.160.93", "alice", "nope")])
        #expect((wrongAgain.first?["login_error"] as? String)?.contains("AUTHENTICATIONFAILED") == true, "\(wrongAgain)")
        let noNode = try await Self.sessions(bed, proto: "imap", port: director.imap, [("127.0.160.94", "alice", "alice-pw")])
        let noNodeError = noNode.first?["login_error"] as? String ?? ""
        #expect(!noNodeError.isEmpty && !noNodeError.contains("AUTHENTICATIONFAILED"), "\(noNode)")
        #expect(director.process.isRunning)
    }

    /// An admin API request with curl; the body of the answer.
    static func admin(_ port: Int, _ method: String, _ path: String) async throws -> String {
        let curl = try requiredTool("curl", package: "curl")
        let result = try await TestProcess.run(curl, ["-sS", "-X", method, "http://\(director):\(port)\(path)"], timeout: 30)
        guard result.status == 0 else { throw HarnessError("curl \(method) \(path): \(result)") }
        return path == "/metrics" ? result.stdout : result.stdout.filter { !$0.isWhitespace }  // JSON without its layout
    }

    @Test(arguments: engines) func drainingAUsersNodeMovesNewSessionsAndLetsTheOpenOneFinishAndTheAdminAPISaysWho(engine: String) async throws {
        let bed = try MailTestbed("maildir-drain-\(engine)")
        defer { bed.shutdown() }
        let nodes = try await Self.cluster(bed)
        let adminPort = try TestPorts.free(host: Self.director)
        let director = try await Self.startDirector(bed, nodes: nodes, admin: adminPort, engine: engine)
        let service = "tcp-\(Self.director)-\(director.imap)"

        // Who serves alice, by the admin API, agrees with where her session lands.
        let who = try await Self.admin(adminPort, "GET", "/api/mail/who/Alice")
        let jobPath = bed.dir.file("logs/held.json")
        let job: [String: Any] = ["host": Self.director, "port": director.imap, "proto": "imap", "held": true,
                                  "sessions": [["source": "127.0.160.90", "user": "alice", "password": "alice-pw"]]]
        try JSONSerialization.data(withJSONObject: job).write(to: URL(fileURLWithPath: jobPath))
        let held = try peers.launch("director_client.py", [jobPath], input: .pipe)
        defer { held.kill() }
        let hostLine = try #require(try await held.readLine(timeout: 60))
        let home = String(hostLine.dropFirst("HOST ".count))
        let homeNode = try #require(nodes.first { $0.hostname == home }, "\(hostLine)")
        let homeAddress = "\(homeNode.spec.listenAddress):\(homeNode.spec.imapPort!)"
        #expect(who.contains("\"normalised\":\"alice\"") && who.contains(homeAddress), "who: \(who), session on \(homeAddress)")

        // Drain alice's node: new sessions go elsewhere, the open one carries on.
        let drained = try await Self.admin(adminPort, "POST", "/api/services/\(service)/servers/\(homeAddress.replacingOccurrences(of: ":", with: "-"))/drain")
        #expect(drained.contains("\"weight\":0"), "\(drained)")
        let after = try await Self.sessions(bed, proto: "imap", port: director.imap, [("127.0.160.91", "alice", "alice-pw")])
        let newHost = try #require(after.first?["host"] as? String, "\(after)")
        #expect(newHost != home)
        #expect(((after.first?["select"] as? [Any])?.last as? [String]) == ["2"], "\(after)")
        let whoAfter = try await Self.admin(adminPort, "GET", "/api/mail/who/alice")
        #expect(!whoAfter.contains(homeAddress), "\(whoAfter)")
        held.writeLine("go")
        #expect(try await held.readLine(timeout: 60) == "SELECT OK 2")
        #expect(try await held.readLine(timeout: 60) == "LOGOUT BYE")

        // The counters: two logins proxied, one to each node, and the metrics say so.
        let stats = try await Self.admin(adminPort, "GET", "/api/mail/stats")
        #expect(stats.contains("\"logins_proxied\":1"), "\(stats)")
        let metrics = try await Self.admin(adminPort, "GET", "/metrics")
        #expect(metrics.contains("shoal_mail_logins_proxied_total{server=\"\(homeAddress)\"} 1"), "\(metrics)")
    }

    /// A reload gives an epoll mail service its new settings (the greeting's hostname) for new connections; a
    /// reload the epoll engine cannot take (TLS to the nodes) is refused, naming the field, and changes nothing.
    @Test func aReloadChangesAnEpollMailServiceAndARefusedOneChangesNothing() async throws {
        let bed = try MailTestbed("maildir-epoll-reload")
        defer { bed.shutdown() }
        let port = try TestPorts.free(host: Self.director)
        func yaml(_ hostname: String, _ extra: String = "") -> String {
            """
            services:
              - listen: \(Self.director):\(port)
                protocol: imap
                engine: epoll
                mail: {hostname: \(hostname), allow_plaintext: true\(extra)}
                servers: [{address: "127.0.160.99:143"}]
            """
        }
        let path = try bed.dir.write("director-reload.yaml", yaml("before.shoal.test"))
        let process = try bed.launch(try ShoalBinary.executable(), ["director", "--config", path], name: "director-reload")
        try await TestPorts.waitForListener(Self.director, [port], timeout: 30, process: process)
        func greeting() async throws -> String {
            "\(try await bed.raw(port: port, [.send("a LOGOUT\r\n"), .drain(seconds: 30)], host: Self.director))"
        }
        let first = try await greeting()
        #expect(first.contains("before.shoal.test") && first.contains("a OK"), "\(first)")
        _ = try bed.dir.write("director-reload.yaml", yaml("after.shoal.test"))
        process.signal(SIGHUP)
        #expect(await eventually(within: 120, every: .milliseconds(100)) { process.standardError.contains("configuration reloaded") })
        let second = try await greeting()
        #expect(second.contains("after.shoal.test"), "\(second)")
        _ = try bed.dir.write("director-reload.yaml", yaml("refused.shoal.test", ", node_tls: {verify: false}"))
        process.signal(SIGHUP)
        #expect(await eventually(within: 120, every: .milliseconds(100)) { process.standardError.contains("reload failed") })
        let third = try await greeting()
        #expect(third.contains("after.shoal.test"), "\(third)")
        #expect(process.standardError.contains("engine epoll carries plaintext mail sessions only"), "\(process.standardError)")
        #expect(process.isRunning)
    }

    @Test func starttlsAndImplicitTLSAtTheDirector() async throws {
        let bed = try MailTestbed("maildir-tls")
        defer { bed.shutdown() }
        let nodes = try await Self.cluster(bed)
        let (certificate, key) = try await bed.selfSignedCertificate()
        let starttls = try TestPorts.free(host: Self.director), imaps = try TestPorts.free(host: Self.director)
        let pop3s = try TestPorts.free(host: Self.director), submissions = try TestPorts.free(host: Self.director)
        let servers = nodes.map { "      - {address: \($0.spec.listenAddress):\($0.spec.imapPort!)}\n" }.joined()
        let pop3Servers = nodes.map { "      - {address: \($0.spec.listenAddress):\($0.spec.pop3Port!)}\n" }.joined()
        let submissionServers = nodes.map { "      - {address: \($0.spec.listenAddress):\($0.spec.submissionPort!)}\n" }.joined()
        let yaml = """
            services:
              - listen: \(Self.director):\(starttls)
                protocol: imap
                proxy_protocol: v2
                mail: {hostname: director.shoal.test, certificate: "\(certificate)", key: "\(key)"}
                servers:
            \(servers)  - listen: \(Self.director):\(imaps)
                protocol: imap
                proxy_protocol: v2
                mail: {hostname: director.shoal.test, certificate: "\(certificate)", key: "\(key)", implicit_tls: true}
                servers:
            \(servers)  - listen: \(Self.director):\(pop3s)
                protocol: pop3
                proxy_protocol: v1
                mail: {hostname: director.shoal.test, certificate: "\(certificate)", key: "\(key)", implicit_tls: true}
                servers:
            \(pop3Servers)  - listen: \(Self.director):\(submissions)
                protocol: submission
                proxy_protocol: v2
                mail: {hostname: director.shoal.test, certificate: "\(certificate)", key: "\(key)", implicit_tls: true}
                servers:
            \(submissionServers)
            """
        let path = try bed.dir.write("director-tls.yaml", yaml)
        let process = try bed.launch(try ShoalBinary.executable(), ["director", "--config", path], name: "director-tls")
        try await TestPorts.waitForListener(Self.director, [starttls, imaps, pop3s, submissions], timeout: 30, process: process)

        let upgraded = try await bed.imaplib(port: starttls, tls: "starttls", steps: [["select", "INBOX"], ["logout"]], host: Self.director)
        #expect(upgraded.strings("capabilities").contains("STARTTLS") && upgraded.strings("capabilities").contains("LOGINDISABLED"),
                "\(upgraded)")
        #expect(upgraded.strings("capabilities_after_tls").contains("AUTH=PLAIN"), "\(upgraded)")
        #expect(upgraded.status(0) == "OK" && upgraded.data(0) == ["2"], "\(upgraded)")
        let implicit = try await bed.imaplib(port: imaps, tls: "implicit", steps: [["select", "INBOX"], ["logout"]], host: Self.director)
        #expect(implicit.strings("capabilities").contains("AUTH=PLAIN") && !implicit.strings("capabilities").contains("STARTTLS"),
                "\(implicit)")
        #expect(implicit.status(0) == "OK" && implicit.data(0) == ["2"], "\(implicit)")
        // POP3S (995) and submissions (465): TLS from the first byte at the director, the login replayed to the node.
        let pop = try await bed.poplib(port: pop3s, user: "alice", password: "alice-pw", tls: "implicit", steps: [["stat"], ["quit"]],
                                       host: Self.director)
        #expect(pop.login?.hasPrefix("+OK") == true && pop.capabilities.contains("SASL") == true, "\(pop)")
        #expect((pop.answers.first as? [Int])?.first == 2, "alice's two messages: \(pop)")
        let sent = try await bed.smtplib(port: submissions, from: "alice@shoal.test", to: ["bob@shoal.test"],
                                         message: MailText.message(from: "alice@shoal.test", to: "bob@shoal.test", subject: "over 465",
                                                                   body: "Implicit TLS.\n"),
                                         implicitTLS: true, auth: (mechanism: "PLAIN", user: "alice", password: "alice-pw"), host: Self.director)
        #expect(sent.data.map(\.code) == [250], "\(sent)")
        let bob = try await bed.waitForMessages(1, in: bed.maildir("bob"))
        #expect(bob.messages(subject: "over 465").count == 1, "\(bob.messages)")
        // Plaintext LOGIN before STARTTLS is refused by the director itself.
        let plain = try await Self.sessions(bed, proto: "imap", port: starttls, [("127.0.160.95", "alice", "alice-pw")])
        #expect((plain.first?["login_error"] as? String)?.contains("PRIVACYREQUIRED") == true, "\(plain)")
    }

    /// `mail: {node_tls: …}`: the director speaks TLS to the nodes' IMAPS port (after the PROXY header), checking
    /// the node's certificate against `ca_file`; with the wrong CA no login is replayed at all.
    @Test func tlsToTheNodesWithTheirCertificateChecked() async throws {
        let bed = try MailTestbed("maildir-nodetls")
        defer { bed.shutdown() }
        let (certificate, key) = try await bed.selfSignedCertificate()
        let (otherCA, _) = try await bed.selfSignedCertificate()
        let address = "127.0.160.17"
        var spec = MailNodeSpec(hostname: "tlsnode.shoal.test", directory: try await bed.sqliteDirectory(Self.users),
                                storeRoot: bed.storeRoot, smtpPort: try TestPorts.free(host: address), lmtpPort: nil)
        spec.listenAddress = address
        spec.imapsPort = try TestPorts.free(host: address)
        spec.tls = (certificate, key)
        spec.proxyTrusted = ["127.0.0.1"]
        let node = try await bed.startNode(spec)
        let sent = try await bed.smtplib(port: node.smtpPort, from: MailNodeIntegrationTests.sender, to: ["alice@shoal.test"],
                                         message: MailText.message(from: MailNodeIntegrationTests.sender, to: "alice@shoal.test",
                                                                   subject: "over tls", body: "Secret.\n"),
                                         host: address)
        #expect(sent.data.map(\.code) == [250], "\(sent)")

        let good = try TestPorts.free(host: Self.director), wrong = try TestPorts.free(host: Self.director)
        let yaml = """
            services:
              - listen: \(Self.director):\(good)
                protocol: imap
                proxy_protocol: v2
                mail: {hostname: director.shoal.test, allow_plaintext: true, node_tls: {ca_file: "\(certificate)"}}
                servers:
                  - {address: \(address):\(spec.imapsPort!)}
              - listen: \(Self.director):\(wrong)
                protocol: imap
                proxy_protocol: v2
                mail: {hostname: director.shoal.test, allow_plaintext: true, node_tls: {ca_file: "\(otherCA)"}}
                servers:
                  - {address: \(address):\(spec.imapsPort!)}
            """
        let path = try bed.dir.write("director-nodetls.yaml", yaml)
        let process = try bed.launch(try ShoalBinary.executable(), ["director", "--config", path], name: "director-nodetls")
        try await TestPorts.waitForListener(Self.director, [good, wrong], timeout: 30, process: process)

        let answers = try await Self.sessions(bed, proto: "imap", port: good, [("127.0.160.96", "alice", "alice-pw")])
        #expect((answers.first?["login"] as? [Any])?.first as? String == "OK", "\(answers)")
        #expect(((answers.first?["select"] as? [Any])?.last as? [String]) == ["1"], "\(answers)")
        #expect(answers.first?["host"] as? String == "tlsnode.shoal.test", "\(answers)")
        // (The node trusts 127.0.0.1 for PROXY headers, so it served this session only because the header came
        // first, in the clear, before the handshake.)

        let refused = try await Self.sessions(bed, proto: "imap", port: wrong, [("127.0.160.97", "alice", "alice-pw")])
        let error = refused.first?["login_error"] as? String ?? ""
        #expect(!error.isEmpty && !error.contains("AUTHENTICATIONFAILED"), "\(refused)")
        #expect(process.isRunning)
    }
}
