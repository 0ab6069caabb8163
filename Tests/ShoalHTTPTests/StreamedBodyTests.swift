import NIOCore
import NIOEmbedded
import ShoalHTTP
import Testing

/// Answers every request with the same streamed body (a cache fill shared by its waiters).
struct StreamResponder: HTTPResponder {
    let body: HTTPStreamedBody

    func immediateResponse(to request: HTTPServerRequest) -> HTTPServerResponse? {
        HTTPServerResponse(status: .ok, stream: body)
    }

    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        HTTPServerResponse(status: .ok, stream: body)
    }
}

/// Streamed bodies: every subscriber sees every chunk once, in order, then one end; bodies that break their
/// announced length fail; a connection writes each chunk as it arrives and cuts a failed body short.
@Suite struct StreamedBodyTests {
    /// Records the events one subscriber got, as text.
    final class Recorder: @unchecked Sendable {
        var events: [String] = []
        func record(_ event: HTTPStreamedBody.Event) {
            switch event {
            case let .chunk(buffer): events.append(String(buffer: buffer))
            case .end: events.append("END")
            case .failed: events.append("FAILED")
            }
        }
    }

    @Test func earlyAndLateSubscribersSeeEveryChunkInOrder() async throws {
        let loop = EmbeddedEventLoop()
        let body = HTTPStreamedBody(length: 6)
        let early = Recorder(), middle = Recorder(), late = Recorder()
        body.subscribe(on: loop) { early.record($0) }
        body.append(ByteBuffer(string: "ab"))
        body.subscribe(on: loop) { middle.record($0) }
        body.append(ByteBuffer(string: "cd"))
        loop.run()
        #expect(early.events == ["ab", "cd"])
        #expect(middle.events == ["ab", "cd"])
        body.append(ByteBuffer(string: "ef"))
        body.finish()
        body.subscribe(on: loop) { late.record($0) }
        loop.run()
        #expect(early.events == ["ab", "cd", "ef", "END"])
        #expect(middle.events == ["ab", "cd", "ef", "END"])
        #expect(late.events == ["ab", "cd", "ef", "END"])
        #expect(String(buffer: try await body.collected()) == "abcdef")
    }

    @Test func bodiesBreakingTheirLengthFail() async throws {
        let loop = EmbeddedEventLoop()
        let long = HTTPStreamedBody(length: 2)
        let sawLong = Recorder()
        long.subscribe(on: loop) { sawLong.record($0) }
        long.append(ByteBuffer(string: "abc"))
        long.finish()  // too late: it failed already
        loop.run()
        #expect(sawLong.events == ["FAILED"])
        await #expect(throws: HTTPStreamedBodyError.self) { _ = try await long.collected() }

        let short = HTTPStreamedBody(length: 4)
        let sawShort = Recorder()
        short.subscribe(on: loop) { sawShort.record($0) }
        short.append(ByteBuffer(string: "ab"))
        short.finish()
        loop.run()
        #expect(sawShort.events == ["ab", "FAILED"])
        await #expect(throws: HTTPStreamedBodyError.self) { _ = try await short.collected() }
    }

    @Test func connectionWritesChunksAsTheyArrive() async throws {
        let body = HTTPStreamedBody(length: 10)
        let c = try await TestConnection(StreamResponder(body: body))
        try await c.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        body.append(ByteBuffer(string: "01234"))
        await c.settle()
        let partial = try await c.unreadOutput()
        #expect(partial.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(partial.lowercased().contains("content-length: 10\r\n"))
        #expect(partial.hasSuffix("\r\n\r\n01234"))
        body.append(ByteBuffer(string: "56789"))
        body.finish()
        await c.settle()
        let response = try await c.response()
        #expect(response.status == 200 && response.body == "0123456789")
        // The connection stays usable: the next request replays the whole body.
        try await c.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
        await c.settle()
        #expect(try await c.response().body == "0123456789")
        #expect(await c.isOpen)
    }

    @Test func aFailedBodyClosesTheConnectionPartWay() async throws {
        let body = HTTPStreamedBody(length: 10)
        let c = try await TestConnection(StreamResponder(body: body))
        try await c.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        body.append(ByteBuffer(string: "012"))
        await c.settle()
        body.fail(TestFailure("origin went away"))
        await c.settle()
        #expect(try await c.unreadOutput().hasSuffix("012"))
        #expect(await c.isOpen == false)
    }
}
