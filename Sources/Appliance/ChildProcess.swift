import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starting and finding the appliance's processes: posix_spawn with every signal unblocked and default
/// (a child of a thread that blocks SIGTERM would otherwise never see it), output appended to a log file.
public enum ChildProcess {
    /// A process could not be started; names the program and the reason.
    public struct SpawnError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Starts `arguments[0]` with `arguments`, stdin /dev/null, stdout and stderr appended to `logFile`;
    /// `newSession` detaches it from the caller's session and process group (the supervisor).
    public static func spawn(_ arguments: [String], logFile: String, newSession: Bool = false,
                             environment: [String: String]? = nil) throws -> Int32 {
        guard let program = arguments.first else { throw SpawnError(description: "nothing to run") }
        closeOnExec()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        // POSIX_SPAWN_SETSID is glibc's 0x80 (its macro needs _GNU_SOURCE, which Swift's Glibc module lacks).
        let setsid: Int32 = newSession ? 0x80 : 0
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | setsid))
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, &actions, &attributes, &argv, &envp)
        guard result == 0 else { throw SpawnError(description: "cannot start \(program): \(String(cString: strerror(result)))") }
        return pid
    }

    /// Marks every descriptor above stderr close-on-exec, so a child holds none of ours: a detached supervisor
    /// holding the socket by which Foundation's Process watches `shoal up` would make `up` look alive forever.
    static func closeOnExec() {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in entries.compactMap({ Int32($0) }) where fd > 2 {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// Whether `pid` is a live process (not a zombie) whose command line mentions `marker`.
    public static func isAlive(_ pid: Int32, marker: String? = nil) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z") {
            return false
        }
        guard let marker else { return true }
        return commandLine(pid)?.contains(marker) ?? false
    }

    /// The command line of `pid`, arguments joined by spaces.
    public static func commandLine(_ pid: Int32) -> String? {
        guard var bytes = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map({ [UInt8]($0) }), !bytes.isEmpty else { return nil }
        while bytes.last == 0 { bytes.removeLast() }
        return String(decoding: bytes.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    /// Live processes (other than this one) whose command line satisfies `matches`.
    public static func processes(where matches: (String) -> Bool) -> [Int32] {
        let own = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            pid != own && isAlive(pid) && (commandLine(pid).map(matches) ?? false)
        }
    }

    /// `exit N` or `signal N` for a wait status.
    public static func describe(status: Int32) -> String {
        let signal = status & 0x7F
        return signal == 0 ? "exit \((status >> 8) & 0xFF)" : "signal \(signal)"
    }

    /// SIGTERM to each, SIGKILL to those still alive after `grace` seconds; returns once all are gone
    /// (children of this process are reaped).
    public static func terminate(_ pids: [Int32], grace: Double) {
        let live = pids.filter { isAlive($0) }
        for pid in live { kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        var remaining = live
        while !remaining.isEmpty {
            for pid in remaining { var status: Int32 = 0; _ = waitpid(pid, &status, WNOHANG) }
            remaining = remaining.filter { isAlive($0) }
            if remaining.isEmpty { break }
            if Date() >= deadline.addingTimeInterval(5) { break }  // unkillable (uninterruptible sleep): give up waiting
            if Date() >= deadline {
                for pid in remaining { kill(pid, SIGKILL) }
                for pid in remaining { var status: Int32 = 0; _ = waitpid(pid, &status, WNOHANG) }
                usleep(50_000)
                remaining = remaining.filter { isAlive($0) }
                if remaining.isEmpty { break }
            }
            usleep(20_000)
        }
    }
}
