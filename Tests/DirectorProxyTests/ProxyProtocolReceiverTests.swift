import DirectorProxy
import NIOCore
import NIOEmbedded
import ShoalCore
import Testing

/// The receiver in a pipeline: the event, the bytes after the header, removal, and closing on garbage.
@Suite struct ProxyProtocolReceiverTests {
    /// Records what reaches the end of the pipeline.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var events: [ProxyProtocolHeader] = []
        var bytes = ByteBuffer()
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var b = unwrapInboundIn(data)
            bytes.writeBuffer(&b)
        }
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let received = event as? ProxyProtocolReceived { events.append(received.header) }
        }
    }

    func channel(box: ProxyProtocolHeaderBox? = nil, maximum: Int = 536) throws -> (EmbeddedChannel, Recorder) {
        let recorder = Recorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ProxyProtocolReceiver(maximumHeaderLength: maximum, box: box))
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, recorder)
    }

    @Test(arguments: [ProxyProtocolVersion.v1, .v2])
    func everyChunkingGivesOneEventAndTheSameBytes(version: ProxyProtocolVersion) throws {
        let header = ProxyProtocolHeader(source: l7Endpoint("203.0.113.9:41000"), destination: l7Endpoint("198.51.100.1:80"))
        let whole = Array(header.encoded(version).readableBytesView) + Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        for chunk in [1, 2, 3, 5, 7, 16, 29, whole.count] {
            let box = ProxyProtocolHeaderBox()
            let (channel, recorder) = try channel(box: box)
            var offset = 0
            while offset < whole.count {
                try channel.writeInbound(ByteBuffer(bytes: whole[offset..<min(whole.count, offset + chunk)]))
                offset += chunk
            }
            #expect(recorder.events == [header], "chunk \(chunk)")
            #expect(box.header == header)
            #expect(String(buffer: recorder.bytes) == "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "chunk \(chunk)")
            #expect(channel.isActive)
            // The receiver is gone from the pipeline.
            #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.handler(type: ProxyProtocolReceiver.self) }
            _ = try channel.finish()
        }
    }

    @Test(arguments: ["GET / HTTP/1.1\r\n", "PROXY TCP4 1.2.3.4\r\n", "\r\n\r\n\0\r\nQUIX\n"])
    func garbageClosesTheConnection(text: String) throws {
        let (channel, recorder) = try channel()
        try channel.writeInbound(ByteBuffer(string: text))
        #expect(!channel.isActive)
        #expect(recorder.events.isEmpty)
        #expect(recorder.bytes.readableBytes == 0)
    }

    @Test func noHeaderWithinTheLimitClosesTheConnection() throws {
        // A v2 header announcing 400 bytes of TLVs with a 100-byte limit: refused at once.
        let (channel, _) = try channel(maximum: 100)
        try channel.writeInbound(ByteBuffer(bytes: ProxyProtocolHeader.v2Signature + [0x21, 0x11, 0x01, 0x90]))
        #expect(!channel.isActive)
    }
}
