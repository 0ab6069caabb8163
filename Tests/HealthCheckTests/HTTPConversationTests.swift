import HealthCheck
import NIOCore
import NIOEmbedded
import NIOHTTP1
import ShoalCore
import Testing
import ShoalTestFixtures

/// The HTTP check's conversation behind NIOHTTP1's response decoder, without sockets: bytes go through
/// the same decoder the checker installs, in any chunking, and the decoded parts drive the conversation.
@Suite(.offCooperativePool) struct HTTPConversationTests {
    static let target = Endpoint("127.0.61.5:8080")!

    /// The request bytes the conversation sends through NIOHTTP1's encoder, and a channel ready for the response.
    static func connect(_ conversation: HTTPConversation) throws -> (EmbeddedChannel, String) {
        let channel = EmbeddedChannel()
        try HTTPConversation.addCodec(to: channel.pipeline.syncOperations)
        try channel.writeOutbound(HTTPClientRequestPart.head(conversation.requestHead))
        try channel.writeOutbound(HTTPClientRequestPart.end(nil))
        var sent = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) { sent += buffer.readString(length: buffer.readableBytes) ?? "" }
        return (channel, sent)
    }

    /// Feeds `input` in pieces of `size` through the decoder and returns the verdict (EOF after the input when `eof`).
    static func run(_ check: HTTPCheck, _ input: [UInt8], chunk size: Int, eof: Bool = false) throws -> Verdict? {
        var conversation = HTTPConversation(check: check, target: target)
        let (channel, _) = try connect(conversation)
        func drain() throws -> Verdict? {
            while let part = try channel.readInbound(as: HTTPClientResponsePart.self) {
                if let verdict = conversation.received(part) { return verdict }
            }
            return nil
        }
        var index = 0
        while index < input.count {
            let end = min(input.count, index + size)
            do {
                try channel.writeInbound(channel.allocator.buffer(bytes: input[index..<end]))
            } catch {
                if let verdict = try drain() { return verdict }
                return conversation.failed(error)
            }
            index = end
            if let verdict = try drain() { return verdict }
        }
        guard eof else { return nil }
        do {
            _ = try channel.finish()
        } catch {
            if let verdict = try drain() { return verdict }
            return conversation.failed(error)
        }
        return try drain() ?? conversation.closed()
    }

    static func run(_ check: HTTPCheck, _ input: String, chunk size: Int, eof: Bool = false) throws -> Verdict? {
        try run(check, Array(input.utf8), chunk: size, eof: eof)
    }

    @Test func requestNamesTheTargetOrTheVirtualHost() throws {
        let (_, plain) = try Self.connect(HTTPConversation(check: HTTPCheck(), target: Self.target))
        #expect(plain.hasPrefix("GET / HTTP/1.0\r\n"))
        #expect(plain.contains("\r\nHost: 127.0.61.5:8080\r\n"))
        #expect(plain.contains("\r\nConnection: close\r\n"))
        #expect(!plain.lowercased().contains("transfer-encoding"))
        #expect(plain.hasSuffix("\r\n\r\n"))
        let (_, vhost) = try Self.connect(HTTPConversation(check: HTTPCheck(path: "/h", virtualhost: "www.test"), target: Self.target))
        #expect(vhost.hasPrefix("GET /h HTTP/1.0\r\n"))
        #expect(vhost.contains("\r\nHost: www.test\r\n"))
    }

    @Test func responsesSplitAcrossManyReads() throws {
        let response = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nServer: t\r\n\r\nhello world"
        for size in [1, 2, 3, 5, 7, 64, 4096] {
            #expect(try Self.run(HTTPCheck(body: "lo wo"), response, chunk: size) == .up("HTTP 200"), "chunk \(size)")
            // MD5("hello world") = 5eb63bbbe01eeed093cb22bb8f5acdc3
            #expect(try Self.run(HTTPCheck(digest: "5eb63bbbe01eeed093cb22bb8f5acdc3"), response, chunk: size) == .up("HTTP 200"))
            #expect(try Self.run(HTTPCheck(digest: "00000000000000000000000000000000"), response, chunk: size)
                == .down("digest mismatch (got 5eb63bbbe01eeed093cb22bb8f5acdc3, want 00000000000000000000000000000000)"))
        }
    }

    @Test func statusRanges() throws {
        let ok = "HTTP/1.1 204 No Content\r\n\r\n"
        #expect(try Self.run(HTTPCheck(), ok, chunk: 3) == .up("HTTP 204"))
        let failing = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
        #expect(try Self.run(HTTPCheck(), failing, chunk: 100) == .down("HTTP 503 (want 200-399)"))
        #expect(try Self.run(HTTPCheck(status: HTTPStatusSet("500-503")!), failing, chunk: 100) == .up("HTTP 503"))
        #expect(try Self.run(HTTPCheck(status: HTTPStatusSet("200")!), "HTTP/1.0 404 Not Found\r\n\r\n", chunk: 1) == .down("HTTP 404 (want 200)"))
        // A 100 Continue before the real response is skipped.
        #expect(try Self.run(HTTPCheck(), "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", chunk: 4) == .up("HTTP 200"))
    }

    @Test func chunkedBodies() throws {
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        for size in [1, 4, 1000] {
            #expect(try Self.run(HTTPCheck(body: "lo wo"), chunked, chunk: size) == .up("HTTP 200"), "chunk \(size)")
            #expect(try Self.run(HTTPCheck(digest: "5eb63bbbe01eeed093cb22bb8f5acdc3"), chunked, chunk: size) == .up("HTTP 200"))
        }
        // The chunk framing is not part of the body.
        #expect(try Self.run(HTTPCheck(body: "5\r\n"), chunked, chunk: 1000) == .down("body lacks '5??'"))
        let badChunk = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
        #expect(try Self.run(HTTPCheck(body: "hello"), badChunk, chunk: 1000)?.message.hasPrefix("malformed HTTP response") == true)
    }

    @Test func bodyEndsAtEOFOrIsTruncated() throws {
        #expect(try Self.run(HTTPCheck(body: "zzz"), "HTTP/1.0 200 OK\r\n\r\nabc", chunk: 3, eof: true) == .down("body lacks 'zzz'"))
        #expect(try Self.run(HTTPCheck(body: "abc"), "HTTP/1.0 200 OK\r\n\r\nabc", chunk: 3, eof: true) == .up("HTTP 200"))
        #expect(try Self.run(HTTPCheck(body: "x"), "HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nabc", chunk: 3, eof: true)
            == .down("body truncated (3 of 10 bytes)"))
        #expect(try Self.run(HTTPCheck(), "", chunk: 1, eof: true) == .down("connection closed without a response"))
        #expect(try Self.run(HTTPCheck(), "HTTP/1.1 200 O", chunk: 1, eof: true)?.succeeded == false)
    }

    @Test func malformedResponsesFailClearly() throws {
        #expect(try Self.run(HTTPCheck(), "SSH-2.0-OpenSSH\r\n\r\n", chunk: 100)?.message.hasPrefix("malformed HTTP response") == true)
        #expect(try Self.run(HTTPCheck(), "HTTP/1.1 2000 OK\r\n\r\n", chunk: 100)?.succeeded == false)
        #expect(try Self.run(HTTPCheck(), "HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n", chunk: 100)?.succeeded == false)
        #expect(try Self.run(HTTPCheck(), "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", chunk: 100)?.succeeded == false)
        #expect(try Self.run(HTTPCheck(), "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", chunk: 100)?.succeeded == false)
        #expect(try Self.run(HTTPCheck(), "HTTP/1.1 200 OK\nContent-Length: 0\n\n", chunk: 100) != .down("timeout"))
    }

    @Test func oversizedResponsesAreRefused() throws {
        let longHeader = "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "a", count: 20_000) + "\r\n\r\n"
        #expect(try Self.run(HTTPCheck(), longHeader, chunk: 4096) == .down("response head over 16384 bytes"))
        let manyHeaders = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-A: b\r\n", count: 3000) + "\r\n"
        #expect(try Self.run(HTTPCheck(), manyHeaders, chunk: 4096) == .down("response head over 16384 bytes"))
        let garbage = try Self.run(HTTPCheck(), String(repeating: "a", count: 20_000), chunk: 4096)
        #expect(garbage?.message.hasPrefix("malformed HTTP response") == true)
        let bigBody = "HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n" + String(repeating: "b", count: 1_100_000)
        #expect(try Self.run(HTTPCheck(body: "c"), bigBody, chunk: 65536) == .down("response body over 1048576 bytes"))
        // Without a body check the body is not read at all.
        #expect(try Self.run(HTTPCheck(), bigBody, chunk: 65536) == .up("HTTP 200"))
    }
}
