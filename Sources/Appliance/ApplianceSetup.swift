import DirectorNode
import Directory
import HTTPCache
import Foundation
import MailNode
import ShoalCore
import WebServer
#if canImport(Glibc)
import Glibc
#endif

/// Lays out a state directory before the supervisor starts: the shared tier (store, document root, the
/// directory seeded from the spec's users) and every node's configuration, each checked by the node's own
/// parser so that a node never starts on a file it would refuse.
public struct ApplianceSetup: Sendable {
    public var spec: ApplianceSpec
    public var plan: AppliancePlan
    public var layout: ApplianceLayout { ApplianceLayout(root: plan.stateDirectory) }

    public init(spec: ApplianceSpec, plan: AppliancePlan) {
        self.spec = spec
        self.plan = plan
    }

    /// What went wrong preparing a node or the shared tier; names it.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Creates the directories, the shared tier and the configurations.
    public func prepare() async throws {
        let files = FileManager.default
        for directory in [layout.logDirectory, layout.nodesDirectory, layout.sharedDirectory] {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        if plan.nodes.contains(where: { $0.kind == .mail }) {
            try files.createDirectory(atPath: plan.storeRoot, withIntermediateDirectories: true)
            switch plan.directoryKind {
            case .sqlite: try await seedSQLite()
            case .ldap: try seedSlapd()
            }
        }
        if plan.nodes.contains(where: { $0.kind == .web || $0.kind == .origin }) { try seedDocroot() }
        if plan.nodes.contains(where: { $0.port(ServiceProtocol.webmail.rawValue) != nil }) { try seedWebmailSecrets() }
        try writeConfigs(for: plan.nodes)
    }

    /// Writes (and checks) the configuration files of `nodes`.
    public func writeConfigs(for nodes: [PlannedNode]) throws {
        let renderer = NodeConfigRenderer(plan: plan, checkInterval: spec.director.checkInterval)
        for node in nodes {
            try FileManager.default.createDirectory(atPath: layout.nodeDirectory(node.name), withIntermediateDirectories: true)
            guard let text = try renderer.config(for: node) else { continue }
            let path = layout.configFile(node.name)
            try Self.check(text, kind: node.kind, file: path)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    /// Parses a rendered configuration with the node's own parser.
    public static func check(_ text: String, kind: NodeKind, file: String) throws {
        do {
            let document = try ConfigDocument.parse(text, file: file)
            switch kind {
            case .director: _ = try DirectorConfiguration.parse(document)
            case .mail: _ = try MailNodeConfiguration.parse(document)
            case .web, .origin: _ = try WebNodeConfiguration.parse(document)
            case .cache: _ = try CacheNodeConfiguration.parse(document)
            case .ldap: break
            }
        } catch {
            throw Failure("the \(kind.rawValue) configuration rendered for \(file) is refused by its parser: \(error)")
        }
    }

    /// The users into the embedded SQLite directory (added, or their passwords set when they exist).
    func seedSQLite() async throws {
        let directory = try await DirectorySpec(parsing: "sqlite:\(layout.sqliteFile)").openDirectory()
        for user in spec.directory.users {
            if try await directory.user(login: user.login) != nil {
                _ = try await directory.setPassword(login: user.login, password: user.password)
            } else {
                try await directory.add(DirectoryUser(login: user.login, addresses: user.addresses), password: user.password)
            }
        }
    }

    /// A fresh slapd database with the users (passwords SSHA512, mailboxes in the shared store), loaded by slapadd.
    func seedSlapd() throws {
        let files = FileManager.default
        try? files.removeItem(atPath: layout.ldapDirectory)
        try files.createDirectory(atPath: layout.ldapDirectory, withIntermediateDirectories: true)
        let reader = Self.randomSecret(), admin = Self.randomSecret()
        let (database, users) = Self.slapd(spec: spec, plan: plan, reader: reader, admin: admin)
        try database.write(users: users)
        files.createFile(atPath: layout.ldapReaderSecret, contents: Data((reader + "\n").utf8), attributes: [.posixPermissions: 0o600])
        files.createFile(atPath: layout.ldapAdminSecret, contents: Data((admin + "\n").utf8), attributes: [.posixPermissions: 0o600])
        chmod(database.configFile, 0o600)
        let slapadd = "/usr/sbin/slapadd"
        guard files.isExecutableFile(atPath: slapadd) else {
            throw Failure("\(slapadd) not found: the ldap directory tier needs the Debian packages slapd ldap-utils")
        }
        let log = layout.logFile("slapadd")
        let pid = try ChildProcess.spawn([slapadd, "-q", "-f", database.configFile, "-l", database.ldifFile], logFile: log)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw Failure("slapadd of \(database.ldifFile) failed (\(ChildProcess.describe(status: status))): \(output)")
        }
    }

    /// The webmail tier's secrets, kept across restarts: a self-signed certificate for the director's HTTPS VIP and
    /// the nodes' webmail listeners (also the trust root the director checks the nodes with), and the cookie key
    /// the nodes share.
    func seedWebmailSecrets() throws {
        let files = FileManager.default
        if !files.fileExists(atPath: layout.webmailSecret) {
            files.createFile(atPath: layout.webmailSecret, contents: Data((Self.randomSecret() + Self.randomSecret() + "\n").utf8),
                             attributes: [.posixPermissions: 0o600])
        }
        guard !files.fileExists(atPath: layout.tlsCertificate) || !files.fileExists(atPath: layout.tlsKey) else { return }
        try files.createDirectory(atPath: (layout.tlsCertificate as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let openssl = "/usr/bin/openssl"
        guard files.isExecutableFile(atPath: openssl) else {
            throw Failure("\(openssl) not found: the webmail VIP's certificate needs the Debian package openssl")
        }
        let names = ["DNS:webmail.\(plan.domain)", "DNS:localhost", "IP:\(plan.director.address)"]
            + plan.nodes.filter { $0.kind == .mail }.map { "IP:\($0.address)" }
        let log = layout.logFile("openssl")
        let pid = try ChildProcess.spawn([
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", layout.tlsKey, "-out", layout.tlsCertificate, "-days", "825", "-subj", "/CN=webmail.\(plan.domain)",
            "-addext", "subjectAltName=" + names.joined(separator: ","),
        ], logFile: log)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw Failure("openssl could not make the webmail certificate (\(ChildProcess.describe(status: status))): \(output)")
        }
        chmod(layout.tlsKey, 0o600)
    }

    /// The document root, with an index page when it is the appliance's own and has none.
    func seedDocroot() throws {
        try FileManager.default.createDirectory(atPath: plan.docroot, withIntermediateDirectories: true)
        let index = plan.docroot + "/index.html"
        if spec.docroot == nil, !FileManager.default.fileExists(atPath: index) {
            try "<!doctype html>\n<title>\(plan.name)</title>\n<h1>\(plan.name)</h1>\n<p>Served by a Shoal web node from the shared document root.</p>\n"
                .write(toFile: index, atomically: true, encoding: .utf8)
        }
    }

    /// The directory tier's slapd database (under the plan's state directory) and the spec's users in it: passwords
    /// SSHA512, mailboxes in the shared store. `seedSlapd` writes it; the Kubernetes and compose renderers ship it.
    static func slapd(spec: ApplianceSpec, plan: AppliancePlan, reader: String, admin: String = randomSecret()) -> (SlapdDatabase, [SlapdUser]) {
        let layout = ApplianceLayout(root: plan.stateDirectory)
        var database = SlapdDatabase(directory: layout.ldapDirectory, baseDN: ApplianceDirectoryTier.baseDN(plan.domain),
                                     peopleDN: ApplianceDirectoryTier.peopleDN(plan.domain), adminDN: ApplianceDirectoryTier.adminDN(plan.domain),
                                     adminPassword: admin, readerDN: ApplianceDirectoryTier.readerDN(plan.domain),
                                     readerPassword: reader)
        database.caFile = nil
        let users = spec.directory.users.map { user in
            let domain = user.addresses.first.map { String($0[$0.index(after: $0.lastIndex(of: "@")!)...]) } ?? plan.domain
            return SlapdUser(login: user.login, password: PasswordHash.make(user.password, scheme: .ssha512), mail: user.addresses.first,
                             aliases: Array(user.addresses.dropFirst()), mailbox: "\(plan.storeRoot)/\(domain)/\(user.login.lowercased())")
        }
        return (database, users)
    }

    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<24).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
