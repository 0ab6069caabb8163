import Foundation
import NIOConcurrencyHelpers
public import Logging

/// Runs `/bin/sh -c COMMAND` as a child process with a timeout, without blocking any thread while it runs.
public enum ShellCommand {
    /// How a command ended.
    public enum Outcome: Hashable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)
        case timedOut(Double)
        case failedToStart(String)

        public var description: String {
            switch self {
            case let .exited(code): return "exit \(code)"
            case let .signaled(signal): return "killed by signal \(signal)"
            case let .timedOut(seconds): return "timeout after \(CheckText.seconds(seconds))"
            case let .failedToStart(reason): return "could not start: \(reason)"
            }
        }
    }

    /// Runs `command`; after `timeout` seconds the shell is killed (SIGKILL) and the outcome is `.timedOut`.
    /// Standard input, output and error are /dev/null.
    public static func run(_ command: String, timeout: Double) async -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let run = RunningCommand(process)
        return await withCheckedContinuation { continuation in
            run.setContinuation(continuation)
            process.terminationHandler = { finished in
                let outcome: Outcome = finished.terminationReason == .exit
                    ? .exited(finished.terminationStatus) : .signaled(finished.terminationStatus)
                run.resume(outcome)
            }
            do {
                try process.run()
            } catch {
                run.resume(.failedToStart("\(error)"))
                return
            }
            // A Dispatch timer, not a sleeping task: the timeout fires on time even while the Swift concurrency
            // pool is busy (its threads are as many as the cores).
            let timer = DispatchWorkItem {
                // The verdict first: once killed, the exit handler would race it with "killed by signal 9".
                run.resume(.timedOut(timeout))
                run.kill()
            }
            run.setTimer(timer)
            DispatchQueue.global().asyncAfter(deadline: .now() + max(0, timeout), execute: timer)
        }
    }

    /// Runs a quorum_up / quorum_down (or other notify) command off the event loops and logs how it ended.
    @discardableResult
    public static func notify(_ command: String, timeout: Double = 30, logger: Logger) async -> Outcome {
        let outcome = await run(command, timeout: timeout)
        if outcome == .exited(0) {
            logger.info("notify command finished", metadata: ["command": "\(command)", "outcome": "\(outcome)"])
        } else {
            logger.warning("notify command failed", metadata: ["command": "\(command)", "outcome": "\(outcome)"])
        }
        return outcome
    }
}

/// A started command: resumes its waiter exactly once, from the exit or from the timer.
private final class RunningCommand: @unchecked Sendable {
    /// What the exit and the timer race for, behind one lock.
    private struct State {
        var continuation: CheckedContinuation<ShellCommand.Outcome, Never>?
        var timer: DispatchWorkItem?
        var finished = false
    }

    private let state = NIOLockedValueBox(State())
    private let process: Process

    init(_ process: Process) { self.process = process }

    func setContinuation(_ continuation: CheckedContinuation<ShellCommand.Outcome, Never>) {
        state.withLockedValue { $0.continuation = continuation }
    }

    func setTimer(_ task: DispatchWorkItem) {
        let cancel = state.withLockedValue { state -> Bool in
            if state.finished { return true }
            state.timer = task
            return false
        }
        if cancel { task.cancel() }
    }

    func resume(_ outcome: ShellCommand.Outcome) {
        let (waiter, timer) = state.withLockedValue { state -> (CheckedContinuation<ShellCommand.Outcome, Never>?, DispatchWorkItem?) in
            guard !state.finished else { return (nil, nil) }
            state.finished = true
            defer { state.continuation = nil; state.timer = nil }
            return (state.continuation, state.timer)
        }
        timer?.cancel()
        waiter?.resume(returning: outcome)
    }

    func kill() {
        let pid = process.processIdentifier
        if pid > 0 && process.isRunning { _ = Foundation.kill(pid, SIGKILL) }
    }
}
