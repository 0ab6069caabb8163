import NIOCore
import NIOEmbedded
@testable import ShoalHTTP
import Testing

/// The connection registry counts, caps, and waits for the last connection on quiesce.
@Suite struct RegistryTests {
    @Test func admitsUpToTheCapAndAgainAfterAClose() async throws {
        let registry = HTTPConnectionRegistry(maxConnections: 2)
        let a = NIOAsyncTestingChannel(), b = NIOAsyncTestingChannel(), c = NIOAsyncTestingChannel()
        #expect(registry.admit(a))
        #expect(registry.admit(b))
        #expect(!registry.admit(c))
        try await a.close()
        #expect(registry.count == 1)
        #expect(registry.admit(c))
    }

    @Test func quiesceAdmitsNothingAndReturnsWhenAllHaveClosed() async throws {
        let registry = HTTPConnectionRegistry(maxConnections: 10)
        let a = NIOAsyncTestingChannel()
        #expect(registry.admit(a))
        let done = Task { await registry.quiesce() }
        // The testing channel has no HTTP handlers: it ignores the quiesce event, so close it by hand.
        while !registry.isQuiescing { await Task.yield() }
        #expect(!registry.admit(NIOAsyncTestingChannel()))
        try await a.close()
        await done.value
        #expect(registry.count == 0)
    }
}
