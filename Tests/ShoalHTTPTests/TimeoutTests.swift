import NIOCore
import NIOHTTP1
import ShoalHTTP
import Testing

/// Slow heads, slow bodies and idle kept-alive connections are closed in time; the clock is the test's.
@Suite struct TimeoutTests {
    static let timeouts = HTTPServerConfiguration(headerReadTimeout: .seconds(10), bodyReadTimeout: .seconds(30), idleTimeout: .seconds(60))

    @Test func aConnectionThatSendsNothingClosesAfterTheHeaderTimeout() async throws {
        let c = try await TestConnection(EchoResponder(), Self.timeouts)
        await c.advance(.seconds(9))
        #expect(await c.isOpen)
        await c.advance(.seconds(2))
        #expect(await !c.isOpen)
    }

    @Test func aSlowHeadIsCutOff() async throws {
        let responder = EchoResponder()
        let c = try await TestConnection(responder, Self.timeouts)
        try await c.send("GET / HTTP/1.1\r\nHo")
        await c.advance(.seconds(5))
        try await c.send("st: x\r\n")
        await c.advance(.seconds(6))
        #expect(await !c.isOpen)
        // Nothing was answered but, as the channel closed, NIO's 400 for the unfinished head.
        let unread = try await c.unreadOutput()
        #expect(unread.isEmpty || unread.hasPrefix("HTTP/1.1 400"), "\(unread)")
        #expect(responder.calls.count == 0)
    }

    @Test func aBodyShorterThanItsLengthIsAnswered408() async throws {
        let responder = EchoResponder()
        let c = try await TestConnection(responder, Self.timeouts)
        try await c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        await c.advance(.seconds(29))
        #expect(await c.isOpen)
        await c.advance(.seconds(2))
        let r = try await c.response()
        #expect(r.status == 408)
        #expect(r.headers["connection"] == "close")
        #expect(await !c.isOpen)
        #expect(responder.calls.count == 0)
    }

    @Test func anIdleKeptAliveConnectionClosesAfterTheIdleTimeout() async throws {
        let c = try await TestConnection(EchoResponder(), Self.timeouts)
        try await c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try await c.response()
        await c.advance(.seconds(59))
        #expect(await c.isOpen)
        await c.advance(.seconds(2))
        #expect(await !c.isOpen)
    }

    @Test func theNextRequestsFirstByteStartsTheHeaderTimer() async throws {
        let c = try await TestConnection(EchoResponder(), Self.timeouts)
        try await c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try await c.response()
        await c.advance(.seconds(30))
        try await c.send("GET / HT")
        await c.advance(.seconds(11))
        #expect(await !c.isOpen, "the head had 10 s from its first byte, not the rest of the idle minute")
    }

    @Test func aRequestInTimeResetsNothingItShouldNot() async throws {
        let c = try await TestConnection(EchoResponder(), Self.timeouts)
        await c.advance(.seconds(9))
        try await c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n")
        await c.advance(.seconds(20))
        try await c.send("ok")
        #expect(try await c.response().body == "POST / 2")
        #expect(await c.isOpen)
    }
}
