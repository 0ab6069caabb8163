import Foundation
import ShoalTestFixtures
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A harness for tests that run the real `shoal` binary as mail nodes (and later POP3/IMAP nodes) and talk to
// them with real clients: Python's smtplib and raw sockets, swaks, Postfix. Every process it starts is
// stopped by PID (SIGTERM, then SIGKILL) and every temp dir removed when the testbed shuts down.

/// A harness failure with enough context (logs, output) to read the cause from the test report.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - The shoal binary

enum ShoalBinary {
    /// Where the binary is looked for, in order: `SHOAL_BIN`, beside the test bundle, `.build/debug` of the package.
    static var candidates: [String] {
        var list: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["SHOAL_BIN"], !explicit.isEmpty { list.append(explicit) }
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        list.append(bundleDirectory.appendingPathComponent("shoal").path)
        // xctest bundles: …/debug/ShoalPackageTests.xctest/… — the binary is in …/debug.
        var url = bundleDirectory
        while url.path != "/" {
            if url.pathExtension == "xctest" {
                list.append(url.deletingLastPathComponent().appendingPathComponent("shoal").path)
                break
            }
            url = url.deletingLastPathComponent()
        }
        list.append(packageRoot.appendingPathComponent(".build/debug/shoal").path)
        return list
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The binary, or an error naming every place looked at and how to build it.
    static func path() throws -> String {
        let candidates = self.candidates
        if let explicit = ProcessInfo.processInfo.environment["SHOAL_BIN"], !explicit.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw HarnessError("SHOAL_BIN=\(explicit) is not an executable file")
            }
            return explicit
        }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw HarnessError("the shoal binary was not found (looked at \(candidates.joined(separator: ", "))): "
            + "build it first with `swift build --build-tests` (the CLITests target depends on it) or set SHOAL_BIN")
    }
}

// MARK: - Temp dirs, ports, tools

/// A fresh directory under the system temp dir, removed by `remove()` or deinit.
final class TempDirectory: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var removed = false

    init(_ prefix: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Other users (postfix, the Dovecot test user) must be able to walk in.
        chmod(path, 0o755)
    }

    deinit { remove() }

    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name` (parent directories created) and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }

    func makeDirectory(_ name: String) throws -> String {
        try FileManager.default.createDirectory(atPath: file(name), withIntermediateDirectories: true)
        return file(name)
    }

    func remove() {
        lock.lock()
        defer { lock.unlock() }
        guard !removed else { return }
        removed = true
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Loopback ports: free ones (bound to port 0, then closed; never handed out twice in one test run) and a probe.
enum Ports {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var handedOut: Set<Int> = []

    static func free() throws -> Int {
        for _ in 0..<50 {
            let port = try SlapdFixture.freePort()
            let fresh = lock.withLock { handedOut.insert(port).inserted }
            if fresh { return port }
        }
        throw HarnessError("no free loopback port found in 50 tries")
    }

    /// True when something accepts TCP connections on 127.0.0.1:port.
    static func accepts(_ port: Int, host: String = "127.0.0.1") -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// The outcome of a tool run to completion.
struct ToolResult: CustomStringConvertible {
    var tool: String
    var arguments: [String]
    var status: Int32
    var stdout: String
    var stderr: String

    var description: String {
        "\(tool) \(arguments.joined(separator: " ")) exited with \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)"
    }
}

enum Tools {
    /// The first executable among `candidates`, or `name` found on PATH.
    static func find(_ name: String, candidates: [String] = []) -> String? {
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A tool that must be installed; the error says which Debian package provides it.
    static func require(_ name: String, candidates: [String] = [], package: String) throws -> String {
        guard let found = find(name, candidates: candidates) else {
            throw HarnessError("\(name) not found: install the Debian package \(package) (apt-get install -y \(package))")
        }
        return found
    }

    static var python: String {
        get throws { try require("python3", candidates: ["/usr/bin/python3"], package: "python3") }
    }

    /// Runs a tool to completion (killed after `timeout` seconds), its output collected through files.
    static func run(_ tool: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil,
                    timeout: Double = 120) async throws -> ToolResult {
        let scratch = try TempDirectory("shoal-tool")
        defer { scratch.remove() }
        let child = try ChildProcess.launch(tool, arguments, name: (tool as NSString).lastPathComponent,
                                            logDirectory: scratch.path, stdin: stdin, environment: environment)
        defer { child.stop() }
        let status = try await child.wait(timeout: timeout)
        return ToolResult(tool: tool, arguments: arguments, status: status, stdout: child.standardOutput,
                          stderr: child.standardError)
    }
}

// MARK: - Child processes

/// A child process whose stdout and stderr go to files; stopped by PID (SIGTERM, then SIGKILL) on `stop()` or deinit.
final class ChildProcess: @unchecked Sendable {
    let name: String
    let process: Process
    let stdoutPath: String
    let stderrPath: String
    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    private init(name: String, process: Process, stdoutPath: String, stderrPath: String) {
        self.name = name
        self.process = process
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
    }

    deinit { stop() }

    static func launch(_ tool: String, _ arguments: [String], name: String, logDirectory: String, stdin: String? = nil,
                       environment: [String: String]? = nil) throws -> ChildProcess {
        let unique = "\(name)-\(UUID().uuidString.prefix(6))"
        let stdoutPath = "\(logDirectory)/\(unique).out", stderrPath = "\(logDirectory)/\(unique).err"
        for path in [stdoutPath, stderrPath] where !FileManager.default.createFile(atPath: path, contents: nil) {
            throw HarnessError("cannot create \(path)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        if let stdin {
            let inputPath = "\(logDirectory)/\(unique).in"
            try stdin.write(toFile: inputPath, atomically: true, encoding: .utf8)
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inputPath))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try runWithSignalsUnblocked(process)
        return ChildProcess(name: name, process: process, stdoutPath: stdoutPath, stderrPath: stderrPath)
    }

    /// Test threads block SIGTERM and friends and children inherit the mask: the node would never see SIGTERM.
    private static func runWithSignalsUnblocked(_ process: Process) throws {
        var none = sigset_t(), saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try process.run()
    }

    var standardOutput: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var standardError: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits for the exit status; on timeout kills the process and throws with its output.
    func wait(timeout: Double) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() >= deadline {
                stop(grace: 1)
                throw HarnessError("\(name) (pid \(pid)) did not finish within \(timeout) s and was killed\n"
                    + "--- stdout\n\(standardOutput)\n--- stderr\n\(standardError)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Polls `condition` until it holds; throws with `what` and the process's output after `timeout` seconds.
    func waitUntil(_ what: String, timeout: Double, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else {
                throw HarnessError("\(name): timed out after \(timeout) s waiting for \(what)\n--- stderr\n\(standardError)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; returns once the process is gone.
    func stop(grace: Double = 5) {
        guard process.isRunning else { return }
        _ = kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { _ = kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGKILL at once, as a crash would; returns once the process is gone.
    func crash() {
        guard process.isRunning else { return }
        _ = kill(pid, SIGKILL)
        process.waitUntilExit()
    }
}

// MARK: - Mail nodes

/// One `shoal mail-node` configuration, rendered as the YAML that `MailNodeConfiguration` documents.
struct MailNodeSpec {
    var hostname: String
    /// `sqlite:PATH` or `ldap://HOST:PORT`.
    var directory: String
    /// The `ldap:` block (base, bind_dn, bind_password_file, auth_mode, ...), for LDAP directories.
    var ldap: [(String, String)] = []
    var storeRoot: String
    var fsync = true
    var smtpPort: Int?
    var lmtpPort: Int?
    var listenAddress = "127.0.0.1"
    var tls: (certificate: String, key: String)?
    var localDomains = ["shoal.test"]
    /// `limits:` fields (message_size, recipients, errors, command_timeout, data_timeout).
    var limits: [(String, Int)] = []
    /// `auth:` fields (allow_plaintext, require_tls).
    var auth: [(String, Bool)] = []

    var yaml: String {
        var text = "hostname: \(hostname)\ndirectory: \"\(directory)\"\n"
        if !ldap.isEmpty {
            text += "ldap:\n" + ldap.map { "  \($0.0): \"\($0.1)\"\n" }.joined()
        }
        text += "store:\n  root: \"\(storeRoot)\"\n  fsync: \(fsync)\n"
        if let smtpPort { text += "smtp:\n  listen: \(listenAddress):\(smtpPort)\n" }
        if let lmtpPort { text += "lmtp:\n  listen: \(listenAddress):\(lmtpPort)\n" }
        if let tls { text += "tls:\n  certificate: \"\(tls.certificate)\"\n  key: \"\(tls.key)\"\n" }
        if !localDomains.isEmpty { text += "local_domains: [\(localDomains.joined(separator: ", "))]\n" }
        if !limits.isEmpty { text += "limits:\n" + limits.map { "  \($0.0): \($0.1)\n" }.joined() }
        if !auth.isEmpty { text += "auth:\n" + auth.map { "  \($0.0): \($0.1)\n" }.joined() }
        return text
    }
}

/// A running `shoal mail-node`.
final class MailNodeProcess: @unchecked Sendable {
    let spec: MailNodeSpec
    let configPath: String
    let child: ChildProcess
    var smtpPort: Int { spec.smtpPort ?? 0 }
    var lmtpPort: Int { spec.lmtpPort ?? 0 }
    var hostname: String { spec.hostname }
    /// What the node wrote to stderr (its log).
    var log: String { child.standardError + child.standardOutput }

    init(spec: MailNodeSpec, configPath: String, child: ChildProcess) {
        self.spec = spec
        self.configPath = configPath
        self.child = child
    }

    func stop() { child.stop() }
    /// SIGKILL, as a crash.
    func crash() { child.crash() }
}

// MARK: - The testbed

/// Owns a temp dir (with the shared store root under it) and every process a test starts; `shutdown()` stops
/// them (newest first) and removes the dir. Deinit does the same, so a failing test leaves nothing behind.
final class MailTestbed: @unchecked Sendable {
    let dir: TempDirectory
    let storeRoot: String
    private let lock = NSLock()
    private var children: [ChildProcess] = []
    private var cleanups: [() -> Void] = []
    private var pythonScript: String?

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
    func launch(_ tool: String, _ arguments: [String], name: String, environment: [String: String]? = nil) throws -> ChildProcess {
        let child = try ChildProcess.launch(tool, arguments, name: name, logDirectory: dir.file("logs"),
                                            environment: environment)
        lock.withLock { children.append(child) }
        return child
    }

    // MARK: Nodes and their inputs

    /// A spec with fresh ports on this testbed's store.
    func nodeSpec(hostname: String, directory: String, smtp: Bool = true, lmtp: Bool = true) throws -> MailNodeSpec {
        MailNodeSpec(hostname: hostname, directory: directory, storeRoot: storeRoot,
                     smtpPort: smtp ? try Ports.free() : nil, lmtpPort: lmtp ? try Ports.free() : nil)
    }

    /// Writes the config, starts `shoal mail-node --config`, and waits until every listener accepts.
    func startNode(_ spec: MailNodeSpec, name: String? = nil, timeout: Double = 30) async throws -> MailNodeProcess {
        let name = name ?? spec.hostname
        let configPath = try dir.write("\(name).yaml", spec.yaml)
        let child = try launch(try ShoalBinary.path(), ["mail-node", "--config", configPath], name: name)
        let node = MailNodeProcess(spec: spec, configPath: configPath, child: child)
        let ports = [spec.smtpPort, spec.lmtpPort].compactMap { $0 }
        let deadline = Date().addingTimeInterval(timeout)
        while !ports.allSatisfy({ Ports.accepts($0, host: spec.listenAddress) }) {
            if !child.isRunning {
                throw HarnessError("mail node \(name) exited with status \(child.process.terminationStatus) before "
                    + "listening on \(ports)\n--- config \(configPath)\n\(spec.yaml)--- log\n\(node.log)")
            }
            if Date() >= deadline {
                child.stop()
                throw HarnessError("mail node \(name) did not listen on \(ports) within \(timeout) s\n--- log\n\(node.log)")
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        return node
    }

    /// Runs `shoal ARGUMENTS` to completion.
    func shoal(_ arguments: [String], stdin: String? = nil) async throws -> ToolResult {
        try await Tools.run(try ShoalBinary.path(), arguments, stdin: stdin, timeout: 60)
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
            if state.messageFiles.count >= count { return state }
            guard Date() < deadline else {
                throw HarnessError("\(maildir.path) holds \(state.messageFiles.count) messages after \(timeout) s, "
                    + "expected \(count)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: Clients

    /// Runs the embedded Python SMTP client (`smtp-client.py MODE JOB.json`) and decodes its JSON answer.
    func python<Answer: Decodable>(_ mode: String, _ job: [String: Any], as: Answer.Type = Answer.self,
                                   timeout: Double = 120) async throws -> Answer {
        let script = try lock.withLock { () throws -> String in
            if let pythonScript { return pythonScript }
            let path = try dir.write("smtp-client.py", SMTPClientScript.source)
            pythonScript = path
            return path
        }
        let jobPath = dir.file("logs/job-\(UUID().uuidString.prefix(8)).json")
        try JSONSerialization.data(withJSONObject: job, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: jobPath))
        let result = try await Tools.run(try Tools.python, [script, mode, jobPath], timeout: timeout)
        guard result.status == 0 else { throw HarnessError("python client \(mode) failed: \(result)") }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(result.stdout.utf8))
        } catch {
            throw HarnessError("python client \(mode): cannot decode its answer (\(error)): \(result)")
        }
    }

    /// Sends one message with smtplib (SMTP or LMTP, optional STARTTLS and AUTH); every reply is in the result.
    func smtplib(port: Int, from: String, to: [String], message: String, lmtp: Bool = false, mailOptions: [String] = [],
                 starttls: Bool = false, auth: (mechanism: String, user: String, password: String)? = nil,
                 host: String = "127.0.0.1") async throws -> SMTPLibResult {
        var job: [String: Any] = ["host": host, "port": port, "from": from, "to": to, "message": message, "lmtp": lmtp,
                                  "mail_options": mailOptions, "starttls": starttls]
        if let auth { job["auth"] = ["mechanism": auth.mechanism, "user": auth.user, "password": auth.password] }
        return try await python("smtplib", job)
    }

    /// A raw conversation: the greeting is read first, then each step runs in order (see `RawStep`).
    func raw(port: Int, _ steps: [RawStep], host: String = "127.0.0.1", timeout: Double = 60) async throws -> RawResult {
        try await python("raw", ["host": host, "port": port, "steps": steps.map(\.json)], timeout: timeout)
    }

    /// Sends `messages` concurrently: one thread per (target, batch), each batch over one connection.
    func flood(_ batches: [FloodBatch]) async throws -> [FloodResult] {
        try await python("flood", ["batches": batches.map(\.json)], timeout: 300)
    }

    /// Runs swaks with `arguments`.
    func swaks(_ arguments: [String]) async throws -> ToolResult {
        let swaks = try Tools.require("swaks", candidates: ["/usr/bin/swaks"], package: "swaks")
        return try await Tools.run(swaks, arguments, timeout: 60)
    }
}

/// A user to create in a test directory.
struct TestUser {
    var login: String
    var addresses: [String]
    var password: String
}

// MARK: - Python client answers

/// One SMTP reply: code and text (continuation lines joined by newlines). Code 0 means the server closed instead.
struct Reply: Decodable, Hashable, CustomStringConvertible {
    var code: Int
    var text: String
    var description: String { "\(code) \(text)" }
    /// The enhanced status code at the start of the text (`5.7.1`), if any.
    var enhanced: String? { text.split(separator: " ").first.map(String.init).flatMap { $0.contains(".") ? $0 : nil } }
}

struct SMTPLibResult: Decodable, CustomStringConvertible {
    var ehlo: Reply?
    var features: [String]
    var starttls: Reply?
    var featuresAfterTLS: [String]?
    var tlsVersion: String?
    var auth: Reply?
    var mail: Reply?
    var rcpt: [Reply]
    /// DATA's final reply; LMTP: one per accepted recipient.
    var data: [Reply]
    var error: String?

    enum CodingKeys: String, CodingKey {
        case ehlo, features, starttls, featuresAfterTLS = "features_after_tls", tlsVersion = "tls_version", auth, mail,
             rcpt, data, error
    }

    var description: String {
        "ehlo=\(ehlo.map(\.description) ?? "-") starttls=\(starttls.map(\.description) ?? "-") "
            + "auth=\(auth.map(\.description) ?? "-") mail=\(mail.map(\.description) ?? "-") rcpt=\(rcpt) data=\(data) "
            + "error=\(error ?? "-")"
    }
}

/// A step of a raw conversation.
enum RawStep {
    /// Send these octets (given as a string of code points 0-255).
    case send(String)
    /// Read this many replies.
    case read(Int)
    /// Create this file (to tell the test "I got here").
    case mark(String)
    /// Read until the server closes or this many seconds pass, recording what came.
    case drain(seconds: Double)
    case sleep(Double)

    var json: [Any] {
        switch self {
        case let .send(text): return ["send", text]
        case let .read(count): return ["read", count]
        case let .mark(path): return ["mark", path]
        case let .drain(seconds): return ["drain", seconds]
        case let .sleep(seconds): return ["sleep", seconds]
        }
    }

    /// Sends `command` + CRLF and reads its reply.
    static func command(_ command: String) -> [RawStep] { [.send(command + "\r\n"), .read(1)] }
}

struct RawResult: Decodable, CustomStringConvertible {
    /// The greeting, then every reply read, in order.
    var replies: [Reply]
    /// What `drain` saw.
    var drained: String?
    var closed: Bool?
    var reset: Bool?
    var error: String?

    var description: String {
        "replies=\(replies) drained=\(drained.map { "\"\($0)\"" } ?? "-") closed=\(closed.map(String.init) ?? "-") "
            + "reset=\(reset.map(String.init) ?? "-") error=\(error ?? "-")"
    }
}

/// Messages one flood thread sends over one connection.
struct FloodBatch {
    var port: Int
    var from: String
    var to: String
    var messages: [String]
    var json: [String: Any] { ["host": "127.0.0.1", "port": port, "from": from, "to": to, "messages": messages] }
}

struct FloodResult: Decodable {
    var port: Int
    var index: Int
    var reply: Reply
}

// MARK: - Maildir inspection

/// What a Maildir holds on disk: message files in new/, cur/ and tmp/, and the parsed `dovecot-uidlist`.
struct MaildirState {
    let path: String
    var new: [String] = []
    var cur: [String] = []
    var tmp: [String] = []
    var uidlistText: String?

    init(path: String) {
        self.path = path
        let files = { (sub: String) in
            ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + sub)) ?? [])
                .filter { !$0.hasPrefix(".") }.sorted()
        }
        new = files("new")
        cur = files("cur")
        tmp = files("tmp")
        uidlistText = try? String(contentsOfFile: path + "/dovecot-uidlist", encoding: .utf8)
    }

    func reloaded() -> MaildirState { MaildirState(path: path) }

    /// Paths of every visible message (new/ then cur/).
    var messageFiles: [String] { new.map { "\(path)/new/\($0)" } + cur.map { "\(path)/cur/\($0)" } }

    /// The contents of every visible message.
    var messages: [String] {
        messageFiles.map { (try? String(contentsOfFile: $0, encoding: .utf8)) ?? "<unreadable \($0)>" }
    }

    /// The messages whose Subject header is exactly `subject`.
    func messages(subject: String) -> [String] {
        messages.filter { MailText.header("Subject", in: $0) == subject }
    }

    var uidlist: UIDListFile? {
        get throws { try uidlistText.map { try UIDListFile(parsing: $0) } }
    }

    /// Every way the folder's state breaks the Maildir++/Dovecot rules: UIDs not unique or not ascending,
    /// a visible file not in the uidlist exactly once, a record without a file. `contiguous`: UIDs must be 1...n.
    func problems(contiguous: Bool = true) -> [String] {
        var problems: [String] = []
        let list: UIDListFile
        do {
            guard let parsed = try uidlist else {
                return messageFiles.isEmpty ? [] : ["no dovecot-uidlist but \(messageFiles.count) messages"]
            }
            list = parsed
        } catch {
            return ["dovecot-uidlist does not parse: \(error)"]
        }
        let uids = list.records.map(\.uid)
        if Set(uids).count != uids.count { problems.append("duplicate UIDs in \(uids)") }
        if uids != uids.sorted() { problems.append("UIDs not ascending: \(uids)") }
        if contiguous && !uids.isEmpty && uids != Array(1...UInt32(uids.count)) {
            problems.append("UIDs not 1...\(uids.count): \(uids)")
        }
        if let last = uids.max(), list.effectiveNextUID <= last {
            problems.append("next UID \(list.effectiveNextUID) not above the last UID \(last)")
        }
        if list.nextUID > (uids.max() ?? 0) + 1 && contiguous {
            problems.append("header N\(list.nextUID) skips UIDs beyond the last record \(uids.max() ?? 0)")
        }
        let names = list.records.map(\.filename)
        if Set(names).count != names.count { problems.append("a file name is listed twice") }
        let bases = (new + cur).map { MaildirState.baseName($0) }
        for base in bases where !names.contains(base) { problems.append("\(base) is not in dovecot-uidlist") }
        for name in names where !bases.contains(name) { problems.append("uidlist record \(name) has no file") }
        if Set(bases).count != bases.count { problems.append("a message is both in new/ and cur/") }
        return problems
    }

    /// The base of a Maildir file name: without `:2,FLAGS`.
    static func baseName(_ file: String) -> String {
        if let colon = file.range(of: ":2,") { return String(file[..<colon.lowerBound]) }
        return file
    }
}

/// A `dovecot-uidlist` (version 3): `3 V<validity> N<next> G<guid>`, then `<uid> [ext...] :<name>` lines.
struct UIDListFile {
    struct Record: Hashable {
        var uid: UInt32
        var filename: String
    }

    var version: Int
    var uidValidity: UInt32
    /// The header's N. Dovecot appends records without rewriting the header, so N may be at or below the last
    /// record's UID; the next UID is then the last record's plus one (`effectiveNextUID`).
    var nextUID: UInt32
    var guid: String
    var records: [Record]

    var effectiveNextUID: UInt32 { max(nextUID, (records.last?.uid ?? 0) + 1) }

    init(parsing text: String) throws {
        guard text.hasSuffix("\n") else { throw HarnessError("dovecot-uidlist does not end with a newline") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard let header = lines.first else { throw HarnessError("dovecot-uidlist is empty") }
        let fields = header.split(separator: " ")
        guard fields.first == "3" else { throw HarnessError("dovecot-uidlist header is not version 3: \(header)") }
        version = 3
        var validity: UInt32?, next: UInt32?, guid: String?
        for field in fields.dropFirst() {
            switch field.first {
            case "V": validity = UInt32(field.dropFirst())
            case "N": next = UInt32(field.dropFirst())
            case "G": guid = String(field.dropFirst())
            default: break
            }
        }
        guard let validity, validity > 0, let next, next > 0, let guid else {
            throw HarnessError("dovecot-uidlist header lacks V, N or G (or one is zero): \(header)")
        }
        guard guid.count == 32, guid.allSatisfy(\.isHexDigit) else {
            throw HarnessError("dovecot-uidlist GUID is not 32 hex digits: \(guid)")
        }
        uidValidity = validity
        nextUID = next
        self.guid = guid
        records = []
        for (index, line) in lines.dropFirst().enumerated() {
            guard let space = line.firstIndex(of: " "), let uid = UInt32(line[..<space]), uid > 0,
                  let colon = line.range(of: " :") ?? (line[line.index(after: space)...].hasPrefix(":")
                      ? line.range(of: ":") : nil) else {
                throw HarnessError("dovecot-uidlist line \(index + 2) is not `<uid> [ext] :<name>`: \(line)")
            }
            let name = String(line[colon.upperBound...])
            guard !name.isEmpty, !name.contains("/") else {
                throw HarnessError("dovecot-uidlist line \(index + 2) has a bad file name: \(line)")
            }
            records.append(Record(uid: uid, filename: name))
        }
    }
}

/// Header lookups on stored message text.
enum MailText {
    /// The first header `name` (unfolded, trimmed), or nil; headers end at the first empty line.
    static func header(_ name: String, in message: String) -> String? {
        headers(name, in: message).first
    }

    static func headers(_ name: String, in message: String) -> [String] {
        var found: [String] = []
        var current: String?
        let lower = name.lowercased() + ":"
        for rawLine in message.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            if line.isEmpty { break }
            if line.first == " " || line.first == "\t" {
                if current != nil { current! += " " + line.trimmingCharacters(in: .whitespaces) }
                continue
            }
            if let value = current { found.append(value) }
            current = nil
            if line.lowercased().hasPrefix(lower) {
                current = String(line.dropFirst(lower.count)).trimmingCharacters(in: .whitespaces)
            }
        }
        if let value = current { found.append(value) }
        return found
    }

    /// The header names in order (first line of each header field).
    static func headerNames(in message: String) -> [String] {
        var names: [String] = []
        for line in message.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            if line.first == " " || line.first == "\t" { continue }
            if let colon = line.firstIndex(of: ":") { names.append(String(line[..<colon])) }
        }
        return names
    }

    /// Everything after the first empty line, with LF line ends.
    static func body(of message: String) -> String {
        let text = message.replacingOccurrences(of: "\r\n", with: "\n")
        guard let range = text.range(of: "\n\n") else { return "" }
        return String(text[range.upperBound...])
    }

    /// A small RFC 5322 message with CRLF line ends.
    static func message(from: String, to: String, subject: String, body: String, extraHeaders: [String] = []) -> String {
        let lines = ["From: <\(from)>", "To: <\(to)>", "Subject: \(subject)",
                     "Message-ID: <\(UUID().uuidString)@client.test>"] + extraHeaders + [""]
            + body.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return lines.joined(separator: "\r\n")
    }
}

// MARK: - The Python client

enum SMTPClientScript {
    static let source = #"""
        #!/usr/bin/env python3
        """SMTP/LMTP test client for Shoal's mail-node tests. Usage: smtp-client.py MODE JOB.json; prints JSON."""
        import json, smtplib, socket, ssl, sys, threading, time

        def rep(code, text):
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
            return {"code": int(code), "text": text}

        def cmd_smtplib(job):
            out = {"features": [], "rcpt": [], "data": []}
            cls = smtplib.LMTP if job.get("lmtp") else smtplib.SMTP
            try:
                s = cls(job["host"], job["port"], timeout=60)
            except Exception as e:
                out["error"] = "connect: %r" % (e,)
                return out
            try:
                out["ehlo"] = rep(*s.ehlo("client.test"))
                out["features"] = sorted(s.esmtp_features.keys())
                if job.get("starttls"):
                    ctx = ssl.create_default_context()
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                    out["starttls"] = rep(*s.starttls(context=ctx))
                    out["tls_version"] = s.sock.version()
                    s.ehlo("client.test")
                    out["features_after_tls"] = sorted(s.esmtp_features.keys())
                auth = job.get("auth")
                if auth:
                    s.user, s.password = auth["user"], auth["password"]
                    try:
                        if auth["mechanism"] == "PLAIN":
                            out["auth"] = rep(*s.auth("PLAIN", s.auth_plain))
                        else:
                            out["auth"] = rep(*s.auth("LOGIN", s.auth_login, initial_response_ok=False))
                    except smtplib.SMTPAuthenticationError as e:
                        out["auth"] = rep(e.smtp_code, e.smtp_error)
                        return out
                    except smtplib.SMTPNotSupportedError as e:
                        out["auth"] = rep(0, "not supported: %s" % (e,))
                        return out
                out["mail"] = rep(*s.mail(job["from"], job.get("mail_options", [])))
                if out["mail"]["code"] != 250:
                    return out
                accepted = 0
                for r in job["to"]:
                    reply = rep(*s.rcpt(r))
                    out["rcpt"].append(reply)
                    if reply["code"] in (250, 251):
                        accepted += 1
                if accepted == 0:
                    s.rset()
                    return out
                try:
                    out["data"].append(rep(*s.data(job["message"].encode("utf-8"))))
                except smtplib.SMTPDataError as e:
                    out["data"].append(rep(e.smtp_code, e.smtp_error))
                    return out
                if job.get("lmtp"):
                    for _ in range(accepted - 1):
                        out["data"].append(rep(*s.getreply()))
                try:
                    s.quit()
                except Exception:
                    pass
            except smtplib.SMTPServerDisconnected as e:
                out["error"] = "disconnected: %s" % (e,)
            except Exception as e:
                out["error"] = "%s: %s" % (type(e).__name__, e)
            return out

        def read_reply(f):
            lines = []
            while True:
                line = f.readline()
                if not line:
                    return rep(0, "EOF after %r" % (lines,)) if lines else rep(0, "EOF")
                line = line.decode("latin-1").rstrip("\r\n")
                lines.append(line)
                if len(line) < 4 or line[3] != "-":
                    break
            try:
                code = int(lines[-1][:3])
            except ValueError:
                return rep(0, "garbage: %r" % (lines,))
            return rep(code, "\n".join(l[4:] for l in lines))

        def cmd_raw(job):
            out = {"replies": []}
            try:
                sock = socket.create_connection((job["host"], job["port"]), timeout=30)
                f = sock.makefile("rb")
                out["replies"].append(read_reply(f))
                for step in job["steps"]:
                    kind = step[0]
                    if kind == "send":
                        sock.sendall(step[1].encode("latin-1"))
                    elif kind == "read":
                        for _ in range(step[1]):
                            out["replies"].append(read_reply(f))
                    elif kind == "mark":
                        with open(step[1], "w") as m:
                            m.write("ok\n")
                    elif kind == "sleep":
                        time.sleep(step[1])
                    elif kind == "drain":
                        sock.settimeout(step[1])
                        got = b""
                        out["closed"] = False
                        out["reset"] = False
                        try:
                            while True:
                                chunk = f.read1(65536)
                                if not chunk:
                                    out["closed"] = True
                                    break
                                got += chunk
                        except (ConnectionResetError, BrokenPipeError):
                            out["closed"] = True
                            out["reset"] = True
                        except socket.timeout:
                            pass
                        out["drained"] = got.decode("latin-1")
                sock.close()
            except Exception as e:
                out["error"] = "%s: %s" % (type(e).__name__, e)
            return out

        def cmd_flood(job):
            results = []
            lock = threading.Lock()
            batches = job["batches"]
            barrier = threading.Barrier(len(batches))
            def worker(batch):
                try:
                    s = smtplib.SMTP(batch["host"], batch["port"], timeout=120)
                    s.ehlo("flood.client.test")
                except Exception as e:
                    barrier.wait()
                    with lock:
                        for i, _ in enumerate(batch["messages"]):
                            results.append({"port": batch["port"], "index": i, "reply": rep(0, "connect: %r" % (e,))})
                    return
                barrier.wait()
                for i, message in enumerate(batch["messages"]):
                    try:
                        code, text = s.mail(batch["from"])
                        if code == 250:
                            code, text = s.rcpt(batch["to"])
                        if code == 250:
                            code, text = s.data(message.encode("utf-8"))
                        else:
                            s.rset()
                        reply = rep(code, text)
                    except Exception as e:
                        reply = rep(0, "%s: %s" % (type(e).__name__, e))
                    with lock:
                        results.append({"port": batch["port"], "index": i, "reply": reply})
                try:
                    s.quit()
                except Exception:
                    pass
            threads = [threading.Thread(target=worker, args=(b,)) for b in batches]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return results

        if __name__ == "__main__":
            mode, path = sys.argv[1], sys.argv[2]
            with open(path) as f:
                job = json.load(f)
            result = {"smtplib": cmd_smtplib, "raw": cmd_raw, "flood": cmd_flood}[mode](job)
            json.dump(result, sys.stdout)
        """#
}

// MARK: - The whole store

extension MailTestbed {
    /// Every visible message file (in any `new/` or `cur/`) anywhere under the store root.
    func storedMessageFiles() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: storeRoot) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let parts = relative.split(separator: "/")
            guard parts.count >= 2, ["new", "cur"].contains(parts[parts.count - 2]) else { continue }
            var isDirectory: ObjCBool = false
            let full = storeRoot + "/" + relative
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append(full)
            }
        }
        return found.sorted()
    }

    /// Every `dovecot-uidlist` record anywhere under the store root, as `path: line`.
    func storedUIDListRecords() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: storeRoot) else { return [] }
        var records: [String] = []
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix("dovecot-uidlist") else { continue }
            let text = (try? String(contentsOfFile: storeRoot + "/" + relative, encoding: .utf8)) ?? ""
            records += text.split(separator: "\n").dropFirst().map { "\(relative): \($0)" }
        }
        return records
    }
}

// MARK: - Dovecot reading a Maildir

/// Dovecot's own view of a Maildir (doveadm over a copy owned by the unprivileged user 65534, so that its
/// index files never touch the store under test).
struct DovecotView {
    struct Message: Hashable {
        var uid: UInt32
        var guid: String
    }

    var uidValidity: UInt32
    var messages: [Message]
    var log: String

    static func read(_ maildir: String, scratch: TempDirectory) async throws -> DovecotView {
        let doveadm = try Tools.require("doveadm", candidates: ["/usr/bin/doveadm"], package: "dovecot-core")
        let base = try scratch.makeDirectory("dovecot-\(UUID().uuidString.prefix(6))")
        let copy = base + "/Maildir"
        for (tool, arguments) in [("/bin/cp", ["-a", maildir, copy]), ("/bin/chown", ["-R", "65534:65534", base])] {
            let result = try await Tools.run(tool, arguments)
            guard result.status == 0 else { throw HarnessError("copying the Maildir for Dovecot failed: \(result)") }
        }
        try FileManager.default.createDirectory(atPath: base + "/run", withIntermediateDirectories: true)
        try """
            base_dir = \(base)/run
            state_dir = \(base)/run
            log_path = \(base)/dovecot.log
            mail_location = maildir:\(copy)
            mail_uid = 65534
            mail_gid = 65534
            first_valid_uid = 1
            first_valid_gid = 1
            protocols =
            ssl = no
            passdb {
              driver = static
              args = nopassword=y
            }
            userdb {
              driver = static
              args = home=\(copy)
            }

            """.write(toFile: base + "/dovecot.conf", atomically: true, encoding: .utf8)
        func table(_ arguments: [String]) async throws -> [[String: String]] {
            let result = try await Tools.run(doveadm, ["-c", base + "/dovecot.conf", "-f", "tab"] + arguments,
                                             environment: ["USER": "shoaltest", "HOME": copy, "PATH": "/usr/bin:/bin"])
            guard result.status == 0 else { throw HarnessError("doveadm \(arguments) failed: \(result)") }
            let lines = result.stdout.split(separator: "\n").map {
                $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            }
            guard let header = lines.first else { return [] }
            return lines.dropFirst().map { Dictionary(zip(header, $0), uniquingKeysWith: { a, _ in a }) }
        }
        let status = try await table(["mailbox", "status", "uidvalidity", "INBOX"])
        let rows = try await table(["fetch", "uid guid", "mailbox", "INBOX", "all"])
        let messages = rows.compactMap { row -> Message? in
            guard let uid = row["uid"].flatMap({ UInt32($0) }), let guid = row["guid"] else { return nil }
            return Message(uid: uid, guid: guid)
        }
        let log = (try? String(contentsOfFile: base + "/dovecot.log", encoding: .utf8)) ?? ""
        return DovecotView(uidValidity: status.first?["uidvalidity"].flatMap { UInt32($0) } ?? 0, messages: messages, log: log)
    }
}

// MARK: - A private Postfix

/// A private Postfix instance (its own config, queue and log in a temp dir) whose smtpd listens on
/// 127.0.0.1:`smtpPort` and relays `relayDomain` over LMTP to 127.0.0.1:`lmtpPort`. Stopped at shutdown.
final class PostfixInstance: @unchecked Sendable {
    let directory: String
    let configDirectory: String
    let smtpPort: Int
    let postfix: String

    var maillog: String { (try? String(contentsOfFile: directory + "/maillog", encoding: .utf8)) ?? "" }

    private init(directory: String, smtpPort: Int, postfix: String) {
        self.directory = directory
        configDirectory = directory + "/etc"
        self.smtpPort = smtpPort
        self.postfix = postfix
    }

    /// Writes main.cf/master.cf, creates the queue (`postfix check`) and starts it; every failure says why.
    static func start(in bed: MailTestbed, lmtpPort: Int, relayDomain: String = "shoal.test") async throws -> PostfixInstance {
        let postfix = try Tools.require("postfix", candidates: ["/usr/sbin/postfix"], package: "postfix")
        guard getpwnam("postfix") != nil, getgrnam("postdrop") != nil else {
            throw HarnessError("the postfix user or postdrop group is missing: reinstall the Debian package postfix")
        }
        let directory = try bed.dir.makeDirectory("postfix")
        let instance = PostfixInstance(directory: directory, smtpPort: try Ports.free(), postfix: postfix)
        let etc = try bed.dir.makeDirectory("postfix/etc")
        let data = try bed.dir.makeDirectory("postfix/data")
        _ = try bed.dir.makeDirectory("postfix/queue")
        let owner = getpwnam("postfix")!.pointee
        guard chown(data, owner.pw_uid, owner.pw_gid) == 0 else { throw HarnessError("chown \(data) failed: errno \(errno)") }
        let transport = "lmtp:inet:127.0.0.1:\(lmtpPort)"
        try """
            compatibility_level = 3.6
            config_directory = \(etc)
            queue_directory = \(directory)/queue
            data_directory = \(data)
            mail_owner = postfix
            setgid_group = postdrop
            maillog_file = \(directory)/maillog
            maillog_file_prefixes = \(directory)
            import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            myhostname = postfix.client.test
            mydomain = client.test
            myorigin = $myhostname
            mydestination =
            local_recipient_maps =
            alias_maps =
            alias_database =
            relay_domains = \(relayDomain)
            relay_recipient_maps =
            mynetworks = 127.0.0.0/8
            transport_maps =
            default_transport = \(transport)
            relay_transport = \(transport)
            smtputf8_enable = no
            smtpd_peername_lookup = no
            biff = no
            queue_run_delay = 1s
            minimal_backoff_time = 1s
            maximal_backoff_time = 2s

            """.write(toFile: etc + "/main.cf", atomically: true, encoding: .utf8)
        try """
            127.0.0.1:\(instance.smtpPort) inet n - n - - smtpd
            pickup    unix  n - n 60 1 pickup
            cleanup   unix  n - n - 0 cleanup
            qmgr      unix  n - n 300 1 qmgr
            tlsmgr    unix  - - n 1000? 1 tlsmgr
            rewrite   unix  - - n - - trivial-rewrite
            bounce    unix  - - n - 0 bounce
            defer     unix  - - n - 0 bounce
            trace     unix  - - n - 0 bounce
            verify    unix  - - n - 1 verify
            flush     unix  n - n 1000? 0 flush
            proxymap  unix  - - n - - proxymap
            smtp      unix  - - n - - smtp
            relay     unix  - - n - - smtp
            showq     unix  n - n - - showq
            error     unix  - - n - - error
            retry     unix  - - n - - error
            discard   unix  - - n - - discard
            lmtp      unix  - - n - - lmtp
            anvil     unix  - - n - 1 anvil
            scache    unix  - - n - 1 scache
            postlog   unix-dgram n - n - 1 postlogd

            """.write(toFile: etc + "/master.cf", atomically: true, encoding: .utf8)
        // From here on, make sure it is stopped whatever happens.
        bed.atShutdown { instance.stop() }
        for command in ["check", "start"] {
            let result = try await Tools.run(postfix, ["-c", etc, command], timeout: 60)
            guard result.status == 0 else {
                throw HarnessError("postfix -c \(etc) \(command) failed: \(result)\n--- maillog\n\(instance.maillog)")
            }
        }
        let deadline = Date().addingTimeInterval(20)
        while !Ports.accepts(instance.smtpPort) {
            guard Date() < deadline else {
                throw HarnessError("postfix did not listen on 127.0.0.1:\(instance.smtpPort) within 20 s\n--- maillog\n"
                    + instance.maillog)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return instance
    }

    /// The master's PID from its pid file.
    var masterPID: pid_t? {
        (try? String(contentsOfFile: directory + "/queue/pid/master.pid", encoding: .utf8))
            .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// `postfix stop`; if the master is still there after 10 s, SIGKILL to the PID in its pid file.
    func stop() {
        guard let pid = masterPID, Self.alive(pid) else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: postfix)
        process.arguments = ["-c", configDirectory, "stop"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        if (try? process.run()) != nil { process.waitUntilExit() }
        let deadline = Date().addingTimeInterval(10)
        while Self.alive(pid) && Date() < deadline { usleep(50_000) }
        if Self.alive(pid) { _ = kill(pid, SIGKILL) }
    }

    /// True while `pid` exists and is not a zombie (the master is not our child, so nobody here reaps it).
    static func alive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
