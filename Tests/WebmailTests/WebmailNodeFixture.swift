import Directory
import Foundation
import ShoalTestFixtures

/// A `shoal mail-node` with webmail over HTTPS, IMAP and submission (STARTTLS) on one loopback address of the
/// webmail tests' range (127.0.200.0/24 ...), over an SQLite directory with alice (an administrator) and bob.
final class WebmailNodeFixture: @unchecked Sendable {
    let base: String
    let host: String
    let httpsPort: Int
    let imapPort: Int
    let submissionPort: Int
    let child: TestProcess
    static let peers = PythonPeers(Bundle.module)

    var url: String { "https://\(host):\(httpsPort)" }

    private init(base: String, host: String, httpsPort: Int, imapPort: Int, submissionPort: Int, child: TestProcess) {
        self.base = base
        self.host = host
        self.httpsPort = httpsPort
        self.imapPort = imapPort
        self.submissionPort = submissionPort
        self.child = child
    }

    /// A node of its own, or with `sharing` a second node on the same store, directory and cookie key (another
    /// node of the cluster).
    static func start(host: String, sharing other: WebmailNodeFixture? = nil) async throws -> WebmailNodeFixture {
        let shoal = try ShoalBinary.executable()
        let base = other?.base ?? FileManager.default.temporaryDirectory.appendingPathComponent("shoal-webmail-\(UUID().uuidString.prefix(8))").path
        if other == nil {
            try FileManager.default.createDirectory(atPath: base + "/mail", withIntermediateDirectories: true)
            let directory = try await SQLiteDirectory.open(path: base + "/users.db")
            try await directory.add(DirectoryUser(login: "alice", addresses: ["alice@shoal.test"]), password: "alice-password")
            try await directory.add(DirectoryUser(login: "bob", addresses: ["bob@shoal.test"]), password: "bob-password")
        }
        let (certificate, key) = try await offPool { try SelfSignedCertificate.make() }
        let httpsPort = try TestPorts.free(host: host), imapPort = try TestPorts.free(host: host)
        let submissionPort = try TestPorts.free(host: host)
        try String(repeating: "k", count: 48).write(toFile: base + "/cookie.key", atomically: true, encoding: .utf8)
        let yaml = """
            hostname: mail.shoal.test
            directory: "sqlite:\(base)/users.db"
            store: { root: "\(base)/mail", fsync: false }
            imap: { listen: \(host):\(imapPort) }
            submission: { listen: \(host):\(submissionPort) }
            https: { listen: \(host):\(httpsPort) }
            tls: { certificate: "\(certificate)", key: "\(key)" }
            local_domains: [shoal.test]
            webmail: { admins: [alice], secret_file: "\(base)/cookie.key", audit_log: "\(base)/audit.log" }

            """
        let config = base + (other == nil ? "/node.yaml" : "/node-\(host).yaml")
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let child = try TestProcess(shoal, ["mail-node", "--config", config], name: other == nil ? "mail-node" : "mail-node-\(host)", logDirectory: base)
        let fixture = WebmailNodeFixture(base: base, host: host, httpsPort: httpsPort, imapPort: imapPort, submissionPort: submissionPort, child: child)
        try await TestPorts.waitForListener(host, [httpsPort, imapPort, submissionPort], timeout: 60, process: child)
        return fixture
    }

    /// Runs a scenario of `webmail_client.py` and returns its observations.
    /// `imapOf` names the node whose IMAP the script uses (this one by default); `extra` is a JSON argument.
    func client(_ scenario: String, imapOf other: WebmailNodeFixture? = nil, extra: [String: String] = [:]) async throws -> [String: Any] {
        let imap = other ?? self
        let argument = String(decoding: try JSONSerialization.data(withJSONObject: extra), as: UTF8.self)
        let result = try await Self.peers.run("webmail_client.py", [scenario, url, imap.host, String(imap.imapPort), String(submissionPort), argument],
                                              timeout: 180)
        guard result.status == 0, let data = result.stdout.data(using: .utf8),
              let facts = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestProcessError("webmail_client.py \(scenario) failed: \(result)\n--- node log\n\(child.standardError.suffix(4000))")
        }
        return facts
    }

    func stop() {
        child.stop()
    }
}
