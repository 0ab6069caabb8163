import ShoalCore

/// A command check (keepalived MISC_CHECK): `/bin/sh -c COMMAND`, exit 0 is up.
///
/// With dynamic_weight (keepalived misc_dynamic): exit 0 is up keeping the weight, 1 is down, and
/// 2...255 is up with weight `code - 2`. Without it any non-zero exit is down.
struct CommandChecker: Checker {
    let check: CommandCheck
    let defaultTimeout: Double

    func check(_ server: Endpoint) async -> CheckResult {
        let outcome = await ShellCommand.run(check.command, timeout: check.timeout ?? defaultTimeout)
        let time = CheckText.now
        return Self.result(outcome, dynamicWeight: check.dynamicWeight, time: time)
    }

    /// The check result of a command outcome.
    static func result(_ outcome: ShellCommand.Outcome, dynamicWeight: Bool, time: Double) -> CheckResult {
        guard case let .exited(code) = outcome else {
            return CheckResult(time: time, succeeded: false, message: "\(outcome)")
        }
        switch code {
        case 0:
            return CheckResult(time: time, succeeded: true, message: "exit 0")
        case 2...255 where dynamicWeight:
            return CheckResult(time: time, succeeded: true, message: "exit \(code) (weight \(code - 2))", dynamicWeight: Int(code) - 2)
        default:
            return CheckResult(time: time, succeeded: false, message: "exit \(code)")
        }
    }
}
