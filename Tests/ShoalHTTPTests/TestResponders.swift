import NIOCore
import NIOHTTP1
import ShoalHTTP
import Synchronization

/// Answers `METHOD URI BODYLENGTH`; refuses heads without `Authorization: Bearer <token>` when a token is set;
/// counts the requests that reached `respond`.
struct EchoResponder: HTTPResponder {
    var token: String?
    let calls = Counter()

    func screen(_ head: HTTPRequestHead) -> HTTPServerResponse? {
        guard let token, head.headers.first(name: "Authorization") != "Bearer \(token)" else { return nil }
        return .text(.unauthorized, "no\n")
    }

    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        calls.increment()
        return .text(.ok, "\(request.head.method.rawValue) \(request.head.uri) \(request.body.readableBytes)")
    }
}

/// Holds every request until `open()`: a request "in flight" for the quiescing tests.
struct GatedResponder: HTTPResponder {
    let gate = Gate()

    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        await gate.wait()
        return .text(.ok, "late")
    }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

/// A one-shot gate: `wait()` returns once `open()` has been called.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private(set) var waiting = 0

    func wait() async {
        if isOpen { return }
        waiting += 1
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}
