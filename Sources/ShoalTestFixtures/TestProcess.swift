import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way tests start programs: a child process whose stdout and stderr go to files (no pipe can fill
/// up, output survives for failure messages), with stdin empty, given text, or an open pipe; waits that never
/// block the Swift concurrency pool; stopped by PID (SIGTERM, then SIGKILL), or killed at once as a crash.
///
/// Built on Foundation.Process, spawned with every signal unblocked: test threads block SIGTERM and friends
/// and a child inherits the mask, so without this a server under test would never see `stop()`'s SIGTERM.
public final class TestProcess: @unchecked Sendable {
    /// What the child reads on its standard input.
    public enum Input: Sendable {
        /// /dev/null.
        case none
        /// This text, then end of file.
        case text(String)
        /// A pipe the test writes with `write(_:)` / `writeLine(_:)` and closes with `closeInput()`.
        case pipe
    }

    /// What a program run to completion returned and printed.
    public struct Result: Sendable, CustomStringConvertible {
        public var executable: String
        public var arguments: [String]
        public var status: Int32
        public var stdout: String
        public var stderr: String

        public var description: String {
            "\(executable) \(arguments.joined(separator: " ")) exited with \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)"
        }

        /// Self when the status is 0, else an error carrying the whole result.
        @discardableResult
        public func succeeded() throws -> Result {
            guard status == 0 else { throw TestProcessError(description) }
            return self
        }
    }

    public let name: String
    public let executable: String
    public let arguments: [String]
    public let stdoutPath: String
    public let stderrPath: String
    private let process = Process()
    private let inputPipe: Pipe?
    /// A log directory this object made itself (removed on deinit).
    private let ownDirectory: String?
    private let lock = NSLock()
    private var readOffset = 0

    /// Starts `executable arguments`; output goes to `NAME-XXXXXX.out/.err` in `logDirectory` (a fresh temp
    /// dir, removed with this object, when nil).
    public init(_ executable: String, _ arguments: [String], name: String? = nil, environment: [String: String]? = nil,
                input: Input = .none, logDirectory: String? = nil) throws {
        self.executable = executable
        self.arguments = arguments
        self.name = name ?? (executable as NSString).lastPathComponent
        let directory: String
        if let logDirectory {
            directory = logDirectory
            ownDirectory = nil
        } else {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-proc-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            ownDirectory = directory
        }
        let unique = "\(self.name)-\(UUID().uuidString.prefix(6))"
        stdoutPath = "\(directory)/\(unique).out"
        stderrPath = "\(directory)/\(unique).err"
        for path in [stdoutPath, stderrPath] where !FileManager.default.createFile(atPath: path, contents: nil) {
            throw TestProcessError("cannot create \(path)")
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardOutput = out
        process.standardError = err
        var inputFile: FileHandle?
        switch input {
        case .none:
            inputPipe = nil
            process.standardInput = FileHandle.nullDevice
        case let .text(text):
            inputPipe = nil
            let inputPath = "\(directory)/\(unique).in"
            try text.write(toFile: inputPath, atomically: true, encoding: .utf8)
            inputFile = try FileHandle(forReadingFrom: URL(fileURLWithPath: inputPath))
            process.standardInput = inputFile
        case .pipe:
            let pipe = Pipe()
            inputPipe = pipe
            process.standardInput = pipe
        }
        defer {
            try? out.close()
            try? err.close()
            try? inputFile?.close()
        }
        try Self.runWithSignalsUnblocked(process)
    }

    deinit {
        kill()
        if let ownDirectory { try? FileManager.default.removeItem(atPath: ownDirectory) }
    }

    /// Spawns with an empty signal mask on this thread, so that the child starts with nothing blocked.
    private static func runWithSignalsUnblocked(_ process: Process) throws {
        var none = sigset_t(), saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try process.run()
    }

    // MARK: State and output

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    /// The exit status (or the signal number when `terminationReason` is uncaught signal); valid once exited.
    public var terminationStatus: Int32 { process.terminationStatus }
    public var standardOutput: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var standardError: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Every complete line printed on stdout so far (once the child has exited, a last line without newline too).
    public var outputLines: [String] {
        let exited = !process.isRunning
        var text = standardOutput
        if !exited {
            guard let newline = text.lastIndex(of: "\n") else { return [] }
            text = String(text[..<newline])
        } else if text.hasSuffix("\n") {
            text.removeLast()
        }
        return text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The next stdout line not returned before (polling, off the pool's threads' time); nil once the child
    /// exited without printing another; throws after `timeout` seconds.
    public func readLine(timeout: Double = 30) async throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let exited = !process.isRunning
            let data = (try? Data(contentsOf: URL(fileURLWithPath: stdoutPath))) ?? Data()
            let line: String? = lock.withLock {
                guard data.count > readOffset else { return nil }
                let rest = data[(data.startIndex + readOffset)...]
                if let newline = rest.firstIndex(of: 0x0A) {
                    readOffset = newline - data.startIndex + 1
                    return String(decoding: rest[..<newline], as: UTF8.self)
                }
                guard exited else { return nil }
                readOffset = data.count
                return String(decoding: rest, as: UTF8.self)
            }
            if let line { return line }
            if exited { return nil }
            guard Date() < deadline else {
                throw TestProcessError("\(name) (pid \(pid)) printed no line within \(timeout) s\n--- stderr\n\(standardError)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Writes to the child's stdin (`input: .pipe` only).
    public func write(_ text: String) { inputPipe?.fileHandleForWriting.write(Data(text.utf8)) }
    public func writeLine(_ line: String) { write(line + "\n") }
    /// Ends the child's stdin.
    public func closeInput() { try? inputPipe?.fileHandleForWriting.close() }

    // MARK: Waiting

    /// Waits for the exit status without holding a pool thread; on timeout kills the child and throws with its output.
    @discardableResult
    public func wait(timeout: Double = 120) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() >= deadline {
                stop(grace: 1)
                throw TestProcessError("\(name) (pid \(pid)) did not finish within \(timeout) s and was killed\n"
                    + "--- stdout\n\(standardOutput)\n--- stderr\n\(standardError)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Blocks this thread until the child exits (for synchronous callers; from async code use `wait`).
    @discardableResult
    public func waitBlocking(timeout: Double = 120) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() >= deadline {
                stop(grace: 1)
                throw TestProcessError("\(name) (pid \(pid)) did not finish within \(timeout) s and was killed\n"
                    + "--- stdout\n\(standardOutput)\n--- stderr\n\(standardError)")
            }
            usleep(10_000)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Polls `condition` until it holds; throws with `what` and the child's stderr after `timeout` seconds.
    public func waitUntil(_ what: String, timeout: Double, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else {
                throw TestProcessError("\(name): timed out after \(timeout) s waiting for \(what)\n--- stderr\n\(standardError)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: Stopping

    /// Sends `signal` (SIGHUP, SIGTERM, ...) without waiting.
    public func signal(_ signal: Int32) {
        guard process.isRunning else { return }
        _ = sendSignal(pid, signal)
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; returns once the child is gone.
    public func stop(grace: Double = 5) {
        guard process.isRunning else { return }
        _ = sendSignal(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { _ = sendSignal(pid, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGKILL at once, as a crash would; returns once the child is gone.
    public func kill() {
        guard process.isRunning else { return }
        _ = sendSignal(pid, SIGKILL)
        process.waitUntilExit()
    }

    // MARK: Run to completion

    /// Runs a program to completion without holding a pool thread (killed after `timeout` seconds).
    public static func run(_ executable: String, _ arguments: [String], stdin: String? = nil,
                           environment: [String: String]? = nil, timeout: Double = 120) async throws -> Result {
        let child = try TestProcess(executable, arguments, environment: environment, input: stdin.map { .text($0) } ?? .none)
        try await child.wait(timeout: timeout)
        return child.result
    }

    /// `run` for synchronous callers: blocks this thread (never call it on the concurrency pool while an
    /// in-process server needs the pool; wrap it in `offPool` there).
    public static func runBlocking(_ executable: String, _ arguments: [String], stdin: String? = nil,
                                   environment: [String: String]? = nil, timeout: Double = 120) throws -> Result {
        let child = try TestProcess(executable, arguments, environment: environment, input: stdin.map { .text($0) } ?? .none)
        try child.waitBlocking(timeout: timeout)
        return child.result
    }

    /// Status and output of an exited child.
    public var result: Result {
        Result(executable: executable, arguments: arguments, status: process.terminationStatus, stdout: standardOutput,
               stderr: standardError)
    }
}

/// `kill(2)` (the class's own `kill()` hides the C function inside it).
private func sendSignal(_ pid: Int32, _ signal: Int32) -> Int32 { kill(pid, signal) }

/// A child process did not do what the test needed; the message carries its output.
public struct TestProcessError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
