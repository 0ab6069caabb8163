import HealthCheck
import NIOCore
import ShoalCore
import Testing

/// The protocol state machines alone, fed byte by byte and in odd chunks.
@Suite struct ConversationTests {
    /// Feeds `input` in pieces of `size` and collects what the conversation sent and decided.
    static func run<C: StreamConversation>(_ conversation: C, _ input: String, chunk size: Int, eof: Bool = false) -> (sent: String, verdict: Verdict?) {
        var c = conversation
        var sent = String(decoding: c.opened().send, as: UTF8.self)
        var buffer = ByteBuffer()
        let bytes = Array(input.utf8)
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + size)
            buffer.writeBytes(bytes[index..<end])
            index = end
            while true {
                let step = c.received(&buffer)
                sent += String(decoding: step.send, as: UTF8.self)
                if let verdict = step.verdict { return (sent, verdict) }
                guard !step.send.isEmpty, buffer.readableBytes > 0 else { break }
            }
        }
        return (sent, eof ? c.closed() : nil)
    }

    @Test func smtpMultiLineRepliesInAnyChunking() {
        for size in [1, 2, 7, 1000] {
            let r = Self.run(SMTPConversation(heloName: "dir.test"),
                             "220-mx ESMTP\r\n220 ready\r\n250-mx\r\n250-SIZE 10\r\n250 OK\r\n", chunk: size)
            #expect(r.verdict == .up("SMTP 220, EHLO 250"), "chunk \(size)")
            #expect(r.sent == "EHLO dir.test\r\nQUIT\r\n")
        }
        #expect(Self.run(SMTPConversation(heloName: "d"), "hello\r\n", chunk: 3).verdict == .down("banner 'hello'"))
        #expect(Self.run(SMTPConversation(heloName: "d"), "220 x\r\n", chunk: 3, eof: true).verdict
            == .down("closed before the EHLO reply"))
        #expect(Self.run(SMTPConversation(heloName: "d"), "220 \u{1}x\r\n421 bye\r\n", chunk: 50).verdict
            == .down("EHLO reply '421 bye'"))
    }

    @Test func httpResponsesInAnyChunking() {
        let target = Endpoint("127.0.61.5:8080")!
        let response = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nServer: t\r\n\r\nhello world"
        for size in [1, 5, 64] {
            let r = Self.run(HTTPConversation(check: HTTPCheck(body: "lo wo"), target: target), response, chunk: size)
            #expect(r.verdict == .up("HTTP 200"), "chunk \(size)")
            #expect(r.sent.hasPrefix("GET / HTTP/1.0\r\nHost: 127.0.61.5:8080\r\n"))
            #expect(r.sent.contains("Connection: close\r\n"))
        }
        // MD5("hello world") = 5eb63bbbe01eeed093cb22bb8f5acdc3
        let d = Self.run(HTTPConversation(check: HTTPCheck(digest: "5eb63bbbe01eeed093cb22bb8f5acdc3"), target: target), response, chunk: 4)
        #expect(d.verdict == .up("HTTP 200"))
        // Without Content-Length the body ends at EOF.
        let eof = Self.run(HTTPConversation(check: HTTPCheck(body: "zzz"), target: target), "HTTP/1.0 200 OK\r\n\r\nabc", chunk: 3, eof: true)
        #expect(eof.verdict == .down("body lacks 'zzz'"))
        let truncated = Self.run(HTTPConversation(check: HTTPCheck(body: "x"), target: target),
                                 "HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nabc", chunk: 3, eof: true)
        #expect(truncated.verdict == .down("body truncated (3 of 10 bytes)"))
        let garbage = Self.run(HTTPConversation(check: HTTPCheck(), target: target), "SSH-2.0-OpenSSH\r\n\r\n", chunk: 100)
        #expect(garbage.verdict == .down("malformed status line 'SSH-2.0-OpenSSH'"))
        let huge = Self.run(HTTPConversation(check: HTTPCheck(), target: target), String(repeating: "a", count: 20_000), chunk: 4096)
        #expect(huge.verdict == .down("response head over 16384 bytes"))
        let vhost = Self.run(HTTPConversation(check: HTTPCheck(path: "/h", virtualhost: "www.test"), target: target), "", chunk: 1)
        #expect(vhost.sent.hasPrefix("GET /h HTTP/1.0\r\nHost: www.test\r\n"))
    }

    @Test func icpProbeEncodingAndReplies() {
        let probe = ICPProbe(requestNumber: 0x0102_0304, url: "http://a/")
        let request = probe.request
        #expect(request.count == 20 + 10)
        #expect(Array(request[0..<8]) == [10, 2, 0, 30, 1, 2, 3, 4])
        #expect(request.last == 0)
        var reply = request
        reply[0] = 3  // MISS
        #expect(probe.judge(reply) == .up("ICP reply opcode 3"))
        #expect(probe.judge(request) == .up("ICP reply opcode 10"))  // an echo
        var other = reply
        other[7] = 5
        #expect(probe.judge(other) == nil)
        var v3 = reply
        v3[1] = 3
        #expect(probe.judge(v3) == .down("malformed ICP reply (version 3)"))
        var query = reply
        query[0] = 1
        #expect(probe.judge(query) == .down("malformed ICP reply (opcode 1 is not a reply)"))
        #expect(probe.judge(Array(reply.dropLast())) == .down("malformed ICP reply (length field 30, datagram 29 bytes)"))
    }
}
