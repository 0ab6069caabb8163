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
