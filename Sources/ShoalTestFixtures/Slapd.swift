import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private OpenLDAP slapd on loopback for tests: its own temp dir, schema, data, port(s) and optional TLS.
/// Stopped by PID in `stop()` and in deinit. Needs Debian's `slapd` and `ldap-utils` (and `openssl` for TLS).
public final class SlapdFixture: @unchecked Sendable {
    public let baseDN = "dc=shoal,dc=test"
    /// Where the users are (`uid=LOGIN,ou=people,dc=shoal,dc=test`); use it as the directory's search base.
    public let peopleDN = "ou=people,dc=shoal,dc=test"
    /// The rootdn: may do anything.
    public let adminDN = "cn=admin,dc=shoal,dc=test"
    public let adminPassword = "admin-secret"
    /// A read-only service account that may also read `userPassword` (for verify mode).
    public let readerDN = "cn=reader,dc=shoal,dc=test"
    public let readerPassword = "reader-secret"

    let slapdPath: String
    let slapaddPath: String
    let lock = NSLock()
    var workDirectory: URL?
    var process: TestProcess?
    var startArguments: [String] = []
    /// The log of the slapd stopped last (for failure messages after a stop).
    var lastLog: String?
    /// Seconds `start` waits for the port to accept connections.
    public var startTimeout: Double = 10

    /// `ldap://127.0.0.1:PORT` once started.
    public private(set) var uri = ""
    /// `ldaps://127.0.0.1:PORT2` when started with TLS (StartTLS works on `uri` too).
    public private(set) var ldapsURI: String?
    /// The PEM CA certificate that signed the server's certificate (TLS only).
    public private(set) var caFile: String?
    public private(set) var port = 0
    public private(set) var ldapsPort: Int?

    /// A fixture using `/usr/sbin/slapd` and `/usr/sbin/slapadd` (paths replaceable for tests of the fixture).
    public init(slapdPath: String = "/usr/sbin/slapd", slapaddPath: String = "/usr/sbin/slapadd") {
        self.slapdPath = slapdPath
        self.slapaddPath = slapaddPath
    }

    deinit {
        stop()
        if let workDirectory { try? FileManager.default.removeItem(at: workDirectory) }
    }

    /// A started fixture.
    public static func started(users: [FixtureUser], tls: Bool = false, port: Int? = nil) throws -> SlapdFixture {
        let fixture = SlapdFixture()
        try fixture.start(users: users, tls: tls, port: port)
        return fixture
    }

    /// Writes config, schema, TLS files and data into a new temp dir, loads them with slapadd, starts slapd.
    public func start(users: [FixtureUser], tls: Bool = false, port: Int? = nil) throws {
        lock.lock()
        defer { lock.unlock() }
        for tool in [slapdPath, slapaddPath] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw SlapdFixtureError("\(tool) not found: install the Debian packages slapd ldap-utils "
                + "(apt-get install -y slapd ldap-utils)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-slapd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        workDirectory = dir
        var files = SlapdFiles(directory: dir.path, baseDN: baseDN, adminDN: adminDN, adminPassword: adminPassword,
                               readerDN: readerDN, readerPassword: readerPassword, peopleDN: peopleDN)
        if tls {
            try files.makeCertificates()
            caFile = files.caFile
        }
        try files.write(users: users)
        _ = try Self.run(slapaddPath, ["-q", "-f", files.configFile, "-l", files.ldifFile])

        self.port = try port ?? TestPorts.free()
        uri = "ldap://127.0.0.1:\(self.port)"
        var listen = uri + "/"
        if tls {
            let tlsPort = try TestPorts.free()
            ldapsPort = tlsPort
            ldapsURI = "ldaps://127.0.0.1:\(tlsPort)"
            listen += " ldaps://127.0.0.1:\(tlsPort)/"
        }
        startArguments = ["-f", files.configFile, "-h", listen, "-d", "0"]
        try launch()
    }

    /// Stops slapd (SIGTERM, SIGKILL after 5 s) and waits for it; the data stays for `restart()`.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        terminate(signal: SIGTERM)
    }

    /// Kills slapd at once with SIGKILL, as a crash would.
    public func kill() {
        lock.lock()
        defer { lock.unlock() }
        terminate(signal: SIGKILL)
    }

    /// Stops slapd and starts it again on the same port(s) with the same data.
    public func restart() throws {
        lock.lock()
        defer { lock.unlock() }
        terminate(signal: SIGTERM)
        try launch()
    }

    /// The DN of a fixture user.
    public func userDN(_ login: String) -> String { "uid=\(SlapdFiles.dnEscape(login)),\(peopleDN)" }

    /// The last lines the latest slapd wrote to stderr (for failure messages).
    public func logTail(lines: Int = 20) -> String {
        guard let text = lastLog ?? process.map({ $0.standardError + $0.standardOutput }) else { return "" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// A fresh CA certificate that did not sign the server's (for "wrong CA" tests), as a PEM file path.
    public func makeUnrelatedCA() throws -> String {
        guard let dir = workDirectory else { throw SlapdFixtureError("start the fixture first") }
        return try SlapdFiles.makeCA(in: dir.path, name: "unrelated-ca").certificate
    }

    // MARK: - Process

    private func launch() throws {
        guard let dir = workDirectory else { throw SlapdFixtureError("slapd fixture was never started") }
        let logs = dir.appendingPathComponent("logs").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let process = try TestProcess(slapdPath, startArguments, name: "slapd", logDirectory: logs)
        self.process = process
        lastLog = nil
        let ports = [port] + (ldapsPort.map { [$0] } ?? [])
        do {
            try TestPorts.waitForListenerBlocking("127.0.0.1", ports, timeout: startTimeout, process: process)
        } catch {
            terminate(signal: SIGKILL)
            throw SlapdFixtureError("slapd \(startArguments.joined(separator: " ")) did not accept connections on \(ports) "
                + "within \(startTimeout) s (exit status \(process.isRunning ? "-" : "\(process.terminationStatus)")):\n\(logTail())")
        }
    }

    private func terminate(signal: Int32) {
        guard let process else { return }
        self.process = nil
        if signal == SIGKILL { process.kill() } else { process.stop(grace: 5) }
        lastLog = process.standardError + process.standardOutput
    }
}

/// Why the slapd fixture could not do what was asked, with the tool's output.
public struct SlapdFixtureError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
