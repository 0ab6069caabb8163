import NIOCore
import NIOHTTP1
import ShoalHTTP
import Testing

/// Keep-alive, HEAD, request limits and quiescing on one connection, with no sockets.
@Suite struct ConnectionLifecycleTests {
    @Test func keepAliveServesRequestsInTurnUntilTheClientSaysClose() async throws {
        let responder = EchoResponder()
        let c = try await TestConnection(responder)
        try await c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = try await c.response()
        #expect(first.status == 200)
        #expect(first.body == "GET /a 0")
        #expect(first.headers["connection"] == "keep-alive")
        #expect(first.headers["content-length"] == "8")
        try await c.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        #expect(try await c.response().body == "POST /b 3")
        #expect(await c.isOpen)
        try await c.send("GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let last = try await c.response()
        #expect(last.headers["connection"] == "close")
        #expect(await !c.isOpen)
        #expect(responder.calls.count == 3)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let c = try await TestConnection(EchoResponder())
        try await c.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await c.response().body == "GET /1 0")
        #expect(try await c.response().body == "GET /2 0")
    }

    @Test func http10ClosesUnlessAskedToKeepAlive() async throws {
        let c = try await TestConnection(EchoResponder())
        try await c.send("GET / HTTP/1.0\r\n\r\n")
        let r = try await c.response()
        #expect(r.headers["connection"] == "close")
        #expect(await !c.isOpen)
    }

    @Test func headGetsTheLengthButNoBody() async throws {
        let c = try await TestConnection(EchoResponder())
        try await c.send("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try await c.response(bodiless: true)
        #expect(r.status == 200)
        #expect(r.headers["content-length"] == "9")
        try await c.send("GET /y HTTP/1.1\r\nHost: x\r\n\r\n")
        // Had HEAD's answer carried a body, it would be read here instead of the GET's answer.
        #expect(try await c.response().body == "GET /y 0")
    }

    @Test func theLastAllowedRequestIsAnsweredWithClose() async throws {
        let c = try await TestConnection(EchoResponder(), HTTPServerConfiguration(maxRequestsPerConnection: 2))
        try await c.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await c.response().headers["connection"] == "keep-alive")
        try await c.send("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await c.response().headers["connection"] == "close")
        #expect(await !c.isOpen)
    }

    @Test func quiescingClosesAnIdleConnectionAtOnce() async throws {
        let c = try await TestConnection(EchoResponder())
        try await c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try await c.response()
        #expect(await c.isOpen)
        try await c.fire(ChannelShouldQuiesceEvent())
        #expect(await !c.isOpen)
    }

    @Test func quiescingLetsARequestInFlightFinishWithClose() async throws {
        let responder = GatedResponder()
        let c = try await TestConnection(responder)
        try await c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        while await responder.gate.waiting == 0 { await Task.yield() }
        try await c.fire(ChannelShouldQuiesceEvent())
        #expect(await c.isOpen)
        await responder.gate.open()
        let r = try await c.response()
        #expect(r.status == 200)
        #expect(r.body == "late")
        #expect(r.headers["connection"] == "close")
        #expect(await !c.isOpen)
    }

    @Test func oversizedHeadsAre431AndClosed() async throws {
        let c = try await TestConnection(EchoResponder(), HTTPServerConfiguration(maxHeaderBytes: 1024))
        try await c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 2000))\r\n\r\n")
        #expect(try await c.response().status == 431)
        #expect(await !c.isOpen)
    }

    @Test func overlongRequestLinesAre414AndClosed() async throws {
        let c = try await TestConnection(EchoResponder(), HTTPServerConfiguration(maxHeaderBytes: 1024))
        try await c.send("GET /\(String(repeating: "a", count: 2000)) HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await c.response().status == 414)
        #expect(await !c.isOpen)
    }

    @Test func aLongLineAfterAGoodRequestIs414AndTheGoodOneIsAnswered() async throws {
        let c = try await TestConnection(EchoResponder(), HTTPServerConfiguration(maxHeaderBytes: 1024))
        try await c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /\(String(repeating: "a", count: 2000))")
        #expect(try await c.response().status == 200)
        #expect(try await c.response().status == 414)
        #expect(await !c.isOpen)
    }

    @Test func unknownMethodTokensAre501AndNonTokensAre400() async throws {
        for (request, status) in [("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 501), ("get / HTTP/1.1\r\nHost: x\r\n\r\n", 501),
                                  ("\u{1}\u{2} / HTTP/1.1\r\nHost: x\r\n\r\n", 400), ("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400)] {
            let c = try await TestConnection(EchoResponder())
            try await c.send(request)
            #expect(try await c.response().status == status, "\(request.prefix(8))")
            #expect(await !c.isOpen)
        }
    }

    @Test func malformedHeadsAre400AndClosed() async throws {
        let c = try await TestConnection(EchoResponder())
        try await c.send("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(try await c.response().status == 400)
        #expect(await !c.isOpen)
    }
}
