import Foundation

/// `/bin/sh -c COMMAND` run from a failover thread of its own: waited for with a timeout (tracked scripts) or
/// started and left to finish (notify commands). Never called on an event loop or the concurrency pool.
enum BlockingCommand {
    /// Runs and waits at most `timeout` seconds (then SIGKILL): true when it exited 0.
    static func succeeds(_ command: String, timeout: Double) -> Bool {
        guard let process = start(command, arguments: []) else { return false }
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return false
            }
            usleep(5_000)
        }
        return process.terminationReason == .exit && process.terminationStatus == 0
    }

    /// Starts the command with extra positional arguments ($1...) and does not wait.
    @discardableResult
    static func start(_ command: String, arguments: [String]) -> Process? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command, "shoal-failover"] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        return process
    }
}
