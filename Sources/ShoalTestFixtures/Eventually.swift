import Foundation

/// Polls `condition` every `interval` until it holds or `seconds` have passed, and says whether it held.
///
/// The bound is a limit for a condition that should come true, not a timing measurement: generous by default,
/// because in a full parallel run on two shared cores a step of an in-process server can stall for tens of seconds.
public func eventually(within seconds: Double = 120, every interval: Duration = .milliseconds(50),
                       _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
