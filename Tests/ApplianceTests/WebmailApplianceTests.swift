import Foundation
import ShoalTestFixtures
import Testing

/// `Appliances/mail-cluster.yaml` on the loopback host (127.0.196.0/24): webmail through the director's HTTPS VIP
/// (TLS ends at the director, cookie persistence to the mail nodes' HTTPS webmail ports), reading a message that
/// came in over SMTP through the director; the admin site on a mail node's own address for the spec's admin.
@Suite(.serialized) struct WebmailApplianceTests {
    static let peers = PythonPeers(Bundle.module)

    static func run(_ arguments: [String]) async throws -> [String: Any] {
        let result = try await peers.run("webmail_vip.py", arguments, timeout: 180)
        try result.succeeded()
        let line = try #require(result.stdout.split(separator: "\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func webmailThroughTheHTTPSVirtualServiceReadsMailDeliveredThroughTheDirector() async throws {
        _ = try requiredTool("slapd", package: "slapd")
        _ = try requiredTool("openssl", package: "openssl")
        _ = try PythonPeers.python()
        let work = try MailClusterLoopbackTests.workspace("mail-cluster.yaml", network: "127.0.196.0/24")
        defer {
            _ = try? ShoalBinary.run(["down", "--state", work.state])
            try? FileManager.default.removeItem(atPath: work.directory)
        }
        let up = try await MailClusterLoopbackTests.shoal(["up", work.spec, "--wait", "--state", work.state, "--timeout", "90"])
        try up.succeeded()
        #expect(up.stdout.contains("mail-cluster is up and healthy"), "\(up)")
        #expect(up.stdout.contains("webmail      https://127.0.196.1:8443/ (admin site: https://127.0.196.11:8443/admin"), "\(up)")

        // `shoal status` names the webmail VIP and the admin sites; the director sees every node's webmail port up.
        let status = try await MailClusterLoopbackTests.status(work.state)
        #expect(status["webmail"] as? String == "https://127.0.196.1:8443/", "\(status)")
        #expect(status["admin_sites"] as? [String] == (11...13).map { "https://127.0.196.\($0):8443/admin" })
        let webmail = (status["services"] as? [[String: Any]])?.first { $0["name"] as? String == "webmail" }
        #expect((webmail?["servers"] as? [[String: Any]])?.map { $0["state"] as? String } == ["UP", "UP", "UP"], "\(String(describing: webmail))")
        let text = try await MailClusterLoopbackTests.shoal(["status", "--state", work.state]).succeeded()
        #expect(text.stdout.contains("webmail: https://127.0.196.1:8443/"), "\(text.stdout)")

        // Mail in through the SMTP VIP, read in webmail through the HTTPS VIP (the appliance's certificate checked).
        let sent = try await MailClusterLoopbackTests.client(["send", "127.0.196.1", "2525", "carol@example.org", "alice@shoal.test",
                                                               "webmail-through-the-vip"])
        #expect(sent["sent"] as? Bool == true)
        let ca = work.state + "/shared/tls/cluster.pem"
        let read = try await Self.run(["read", "https://127.0.196.1:8443", ca, "alice", "alice-secret", "webmail-through-the-vip"])
        #expect(read["login_status"] as? Int == 303, "\(read)")
        #expect(read["found"] as? Bool == true, "\(read)")
        #expect(read["read_shows_body"] as? Bool == true, "\(read)")
        // The session lives on one node: the director's cookie was set once (Secure) and kept it there for every request.
        #expect(read["statuses"] as? [Int] == Array(repeating: 200, count: 10), "\(read)")
        #expect(read["still_signed_in"] as? Bool == true && read["session_cookie"] as? Bool == true, "\(read)")
        let cookies = read["director_cookies"] as? [String] ?? []
        #expect(cookies.count == 1 && cookies.first?.contains("; Secure") == true, "\(cookies)")

        // The admin site, on a mail node's own address: bob (admin: true in the spec) lists the LDAP users; alice may not.
        let admin = try await Self.run(["admin", "https://127.0.196.11:8443", ca, "bob", "bob-secret", "carol", "carol-secret-1"])
        #expect(admin["admin_status"] as? Int == 200 && admin["admin_lists_alice"] as? Bool == true, "\(admin)")
        #expect(admin["api_logins"] as? [String] == ["alice", "bob"], "\(admin)")
        // The admin site writes slapd (the nodes bind as its admin): the new user signs in to webmail through the VIP.
        #expect(admin["add_status"] as? Int == 201, "\(admin)")
        let carol = try await Self.run(["read", "https://127.0.196.1:8443", ca, "carol", "carol-secret-1", "nothing-yet"])
        #expect(carol["login_status"] as? Int == 303 && carol["still_signed_in"] as? Bool == true, "\(carol)")
        #expect(carol["found"] as? Bool == false)
        let refused = try await Self.run(["admin", "https://127.0.196.11:8443", ca, "alice", "alice-secret"])
        #expect(refused["login_status"] as? Int == 303)
        #expect(refused["admin_status"] as? Int != 200 && refused["api_status"] as? Int != 200, "\(refused)")
    }
}
