import Foundation
import ShoalTestFixtures

/// Dovecot's own view of a Maildir (doveadm over a copy owned by the unprivileged user 65534, so that its
/// index files never touch the store under test).
struct DovecotView {
    struct Message: Hashable {
        var uid: UInt32
        var guid: String
    }

    var uidValidity: UInt32
    var messages: [Message]
    /// What Dovecot's own POP3 server answers to UIDL (its default `pop3_uidl_format`), in message order.
    var pop3UIDLs: [String]
    var log: String

    static func read(_ maildir: String, scratch: TempDirectory) async throws -> DovecotView {
        let doveadm = try requiredTool("doveadm", package: "dovecot-core")
        let base = try scratch.makeDirectory("dovecot-\(UUID().uuidString.prefix(6))")
        let copy = base + "/Maildir"
        for (tool, arguments) in [("/bin/cp", ["-a", maildir, copy]), ("/bin/chown", ["-R", "65534:65534", base])] {
            let result = try await TestProcess.run(tool, arguments)
            guard result.status == 0 else { throw HarnessError("copying the Maildir for Dovecot failed: \(result)") }
        }
        try FileManager.default.createDirectory(atPath: base + "/run", withIntermediateDirectories: true)
        try DovecotConfig.text(directory: base, maildir: copy, uid: 65534, gid: 65534)
            .write(toFile: base + "/dovecot.conf", atomically: true, encoding: .utf8)
        func table(_ arguments: [String]) async throws -> [[String: String]] {
            let result = try await TestProcess.run(doveadm, ["-c", base + "/dovecot.conf", "-f", "tab"] + arguments,
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
        // Dovecot's POP3 binary, pre-authenticated on stdin/stdout (its last step: it moves new/ to cur/).
        let pop3 = try requiredTool("/usr/lib/dovecot/pop3", package: "dovecot-pop3d")
        // Through a pipe: its I/O loop cannot watch a regular file on stdin.
        let session = try await TestProcess.run("/bin/sh", ["-c", "printf 'UIDL\\r\\nQUIT\\r\\n' | \"$0\" -c \"$1\"", pop3, base + "/dovecot.conf"],
                                                environment: ["USER": "shoaltest", "HOME": copy, "PATH": "/usr/bin:/bin"])
        let lines = session.stdout.components(separatedBy: "\r\n")
        guard session.status == 0, lines.first?.hasPrefix("+OK") == true else {
            throw HarnessError("Dovecot's pop3 UIDL failed: \(session)")
        }
        let pop3UIDLs = lines.dropFirst().prefix { $0 != "." }.map { String($0.split(separator: " ").last ?? "") }
        let log = (try? String(contentsOfFile: base + "/dovecot.log", encoding: .utf8)) ?? ""
        return DovecotView(uidValidity: status.first?["uidvalidity"].flatMap { UInt32($0) } ?? 0, messages: messages,
                           pop3UIDLs: pop3UIDLs, log: log)
    }

    /// Runs IMAP commands with Dovecot's own `imap` binary, pre-authenticated on stdin/stdout, and returns
    /// its output. `inPlace` works on the store itself (handed to the unprivileged user 65534 first, as
    /// Dovecot will not run as root), else on a copy.
    /// `oneAtATime` sends each command once the previous one's tagged answer came, so that the answers come in
    /// command order (Dovecot runs pipelined commands together and may interleave their untagged responses).
    static func imap(_ maildir: String, scratch: TempDirectory, commands: [String], inPlace: Bool,
                     oneAtATime: Bool = false) async throws -> String {
        let binary = try requiredTool("/usr/lib/dovecot/imap", package: "dovecot-imapd")
        let base = try scratch.makeDirectory("dovecot-imap-\(UUID().uuidString.prefix(6))")
        let target = inPlace ? maildir : base + "/Maildir"
        if !inPlace {
            let copied = try await TestProcess.run("/bin/cp", ["-a", maildir, target])
            guard copied.status == 0 else { throw HarnessError("copying the Maildir for Dovecot failed: \(copied)") }
        }
        for path in [target, base] {
            let owned = try await TestProcess.run("/bin/chown", ["-R", "65534:65534", path])
            guard owned.status == 0 else { throw HarnessError("chown for Dovecot failed: \(owned)") }
        }
        if inPlace {
            // The directories above the store must let Dovecot's user through.
            var parent = (target as NSString).deletingLastPathComponent
            while parent.count > 1 && parent.hasPrefix(scratch.path) {
                chmod(parent, 0o755)
                parent = (parent as NSString).deletingLastPathComponent
            }
        }
        try FileManager.default.createDirectory(atPath: base + "/run", withIntermediateDirectories: true)
        try DovecotConfig.text(directory: base, maildir: target, uid: 65534, gid: 65534)
            .write(toFile: base + "/dovecot.conf", atomically: true, encoding: .utf8)
        let session: TestProcess.Result
        let environment = ["USER": "shoaltest", "HOME": target, "PATH": "/usr/bin:/bin"]
        if oneAtATime {
            let lines = commands.enumerated().map { "d\($0.offset) \($0.element)" } + ["z LOGOUT"]
            session = try await TestProcess.run(try requiredTool("/usr/bin/python3", package: "python3"),
                                                ["-c", Self.lockstep, binary, base + "/dovecot.conf"] + lines, environment: environment)
        } else {
            let input = commands.enumerated().map { "d\($0.offset) \($0.element)\\r\\n" }.joined() + "z LOGOUT\\r\\n"
            session = try await TestProcess.run("/bin/sh", ["-c", "printf '%b' \"$2\" | \"$0\" -c \"$1\"", binary, base + "/dovecot.conf", input],
                                                environment: environment)
        }
        guard session.status == 0 else { throw HarnessError("Dovecot's imap failed: \(session)") }
        return session.stdout
    }

    /// Feeds `argv[3:]` to the `imap` binary `argv[1]` (config `argv[2]`) one command at a time: each after the
    /// tagged answer to the one before, which is what the output is then printed with.
    static let lockstep = """
    import subprocess, sys
    p = subprocess.Popen([sys.argv[1], "-c", sys.argv[2]], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out = []
    for line in sys.argv[3:]:
        tag = line.split(" ", 1)[0].encode()
        p.stdin.write(line.encode() + b"\\r\\n")
        p.stdin.flush()
        while True:
            got = p.stdout.readline()
            if not got:
                break
            out.append(got)
            if got.startswith(tag + b" "):
                break
    p.stdin.close()
    out.append(p.stdout.read())
    sys.stdout.buffer.write(b"".join(out))
    sys.exit(p.wait())
    """
}
