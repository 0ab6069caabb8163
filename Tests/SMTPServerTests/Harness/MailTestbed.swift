import Foundation
import ShoalTestFixtures

/// The bed for tests that run the real `shoal` binary as mail nodes and talk to them with real clients (Python's
/// smtplib and raw sockets, swaks, Postfix): owns a temp dir (with the shared store root under it) and every process a test starts; `shutdown()` stops
/// them (newest first) and removes the dir. Deinit does the same, so a failing test leaves nothing behind.
final class MailTestbed: @unchecked Sendable {
    let dir: TempDirectory
    let storeRoot: String
    let lock = NSLock()
    private var children: [TestProcess] = []
    private var cleanups: [() -> Void] = []

    init(_ name: String) throws {
        dir = try TempDirectory("shoal-\(name)")
        storeRoot = dir.file("store")
        try FileManager.default.createDirectory(atPath: storeRoot, withIntermediateDirectories: true)
        _ = try dir.makeDirectory("logs")
    }

    deinit { shutdown() }

    /// Runs `body` at shutdown (before processes are stopped), e.g. `postfix stop`.
    func atShutdown(_ body: @escaping () -> Void) { lock.withLock { cleanups.append(body) } }

    func shutdown() {
        let (bodies, processes) = lock.withLock {
            defer { cleanups = []; children = [] }
            return (cleanups, children)
        }
        for body in bodies.reversed() { body() }
        for child in processes.reversed() { child.stop() }
        dir.remove()
    }

    /// Starts a long-running child that shutdown stops.
    func launch(_ tool: String, _ arguments: [String], name: String, environment: [String: String]? = nil) throws -> TestProcess {
        let child = try TestProcess(tool, arguments, name: name, environment: environment, logDirectory: dir.file("logs"))
        lock.withLock { children.append(child) }
        return child
    }

    // MARK: Nodes and their inputs

    /// A spec with fresh ports on this testbed's store.
    func nodeSpec(hostname: String, directory: String, smtp: Bool = true, lmtp: Bool = true) throws -> MailNodeSpec {
        MailNodeSpec(hostname: hostname, directory: directory, storeRoot: storeRoot,
                     smtpPort: smtp ? try TestPorts.free() : nil, lmtpPort: lmtp ? try TestPorts.free() : nil)
    }

    /// Writes the config, starts `shoal mail-node --config`, and waits until every listener accepts.
    func startNode(_ spec: MailNodeSpec, name: String? = nil, timeout: Double = 30) async throws -> MailNodeProcess {
        let name = name ?? spec.hostname
        let configPath = try dir.write("\(name).yaml", spec.yaml)
        let child = try launch(try ShoalBinary.executable(), ["mail-node", "--config", configPath], name: name)
        let node = MailNodeProcess(spec: spec, configPath: configPath, child: child)
        let ports = [spec.smtpPort, spec.lmtpPort, spec.pop3Port, spec.pop3sPort, spec.imapPort, spec.imapsPort, spec.submissionPort].compactMap { $0 }
        do {
            try await TestPorts.waitForListener(spec.listenAddress, ports, timeout: timeout, process: child)
        } catch {
            child.stop()
            throw HarnessError("mail node \(name) did not listen on \(ports): \(error)\n--- config \(configPath)\n\(spec.yaml)"
                + "--- log\n\(node.log)")
        }
        return node
    }

    /// Runs `shoal ARGUMENTS` to completion.
    func shoal(_ arguments: [String], stdin: String? = nil) async throws -> TestProcess.Result {
        try await TestProcess.run(try ShoalBinary.executable(), arguments, stdin: stdin, timeout: 60)
    }

    /// A new SQLite directory holding `users` (created with `shoal users add`); returns its `sqlite:PATH` spec.
    func sqliteDirectory(_ users: [TestUser]) async throws -> String {
        let spec = "sqlite:" + dir.file("users.db")
        for user in users {
            var arguments = ["users", "add", user.login, "--directory", spec]
            for address in user.addresses { arguments += ["--address", address] }
            let result = try await shoal(arguments, stdin: user.password + "\n")
            guard result.status == 0 else { throw HarnessError("shoal users add failed: \(result)") }
        }
        return spec
    }

    /// A self-signed certificate for 127.0.0.1/localhost made by openssl, for the nodes' STARTTLS.
    func selfSignedCertificate() async throws -> (certificate: String, key: String) {
        try await offPool { try SelfSignedCertificate.make() }
    }

    // MARK: The store

    /// The Maildir of `login@domain` under the shared store root (`ROOT/domain/login`).
    func maildir(_ login: String, domain: String = "shoal.test") -> MaildirState {
        MaildirState(path: "\(storeRoot)/\(domain)/\(login)")
    }

    /// Polls until `maildir` holds at least `count` messages (new/ + cur/).
    func waitForMessages(_ count: Int, in maildir: MaildirState, timeout: Double = 30) async throws -> MaildirState {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let state = maildir.reloaded()
            // A delivery is whole once its UID is recorded too (its file shows up in new/ a moment before): a
            // snapshot taken between the two would report a Maildir that no reader under the lock ever sees.
            let recorded = ((try? state.uidlist) ?? nil)?.records.count ?? 0
            if state.messageFiles.count >= count && (recorded >= count || Date() >= deadline) { return state }
            guard Date() < deadline else {
                throw HarnessError("\(maildir.path) holds \(state.messageFiles.count) messages after \(timeout) s, "
                    + "expected \(count)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
