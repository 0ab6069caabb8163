import NIOConcurrencyHelpers

/// What woke an IDLE wait: the folder changed, IDLE ended (DONE, or the connection closed), or the poll interval passed.
enum IMAPIdleWake: Hashable, Sendable {
    case changed
    case ended
    case timedOut
}

/// A wake-up for one waiter at a time that may come before the wait does: a signal with nobody waiting is kept
/// (`.ended` before `.changed`) and answers the next wait at once.
final class IMAPIdleSignal: Sendable {
    private struct State {
        var changed = false
        var ended = false
        var waiter: (id: Int, continuation: CheckedContinuation<IMAPIdleWake, Never>, timer: Task<Void, Never>?)?
        var nextID = 0
    }

    private let state = NIOLockedValueBox(State())

    /// Wakes the waiter with `wake` (`.changed` or `.ended`), or keeps it for the next wait.
    func signal(_ wake: IMAPIdleWake) {
        let waiter = state.withLockedValue { state in
            guard let waiter = state.waiter.take() else {
                if wake == .ended { state.ended = true } else { state.changed = true }
                return nil as (id: Int, continuation: CheckedContinuation<IMAPIdleWake, Never>, timer: Task<Void, Never>?)?
            }
            return waiter
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume(returning: wake)
    }

    /// Forgets a change signalled meanwhile (the read that follows sees it anyway).
    func clearChanged() {
        state.withLockedValue { $0.changed = false }
    }

    /// Waits for a signal, at most `timeout`. One waiter at a time.
    func wait(timeout: Duration) async -> IMAPIdleWake {
        await withCheckedContinuation { continuation in
            let outcome: (kept: IMAPIdleWake?, id: Int) = state.withLockedValue { state in
                if state.ended {
                    state.ended = false
                    return (.ended, 0)
                }
                if state.changed {
                    state.changed = false
                    return (.changed, 0)
                }
                state.nextID += 1
                state.waiter = (state.nextID, continuation, nil)
                return (nil, state.nextID)
            }
            if let kept = outcome.kept {
                continuation.resume(returning: kept)
                return
            }
            let id = outcome.id
            let timer = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { self?.timeOut(id) }
            }
            // Already woken meanwhile: the timer is not needed.
            let kept = state.withLockedValue { state in
                guard state.waiter?.id == id else { return false }
                state.waiter?.timer = timer
                return true
            }
            if !kept { timer.cancel() }
        }
    }

    private func timeOut(_ id: Int) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<IMAPIdleWake, Never>? in
            guard state.waiter?.id == id else { return nil }
            return state.waiter.take()?.continuation
        }
        waiter?.resume(returning: .timedOut)
    }
}
