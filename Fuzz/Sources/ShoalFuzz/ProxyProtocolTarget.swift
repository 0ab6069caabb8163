import DirectorProxy
import NIOCore
import NIOEmbedded

/// PROXY protocol v1/v2 headers: `ProxyProtocolHeader.parse` on the whole input, then the
/// `ProxyProtocolReceiver` handler on reads cut where the input says. A header that parses re-encodes as v2
/// and parses back to the same endpoints and transport.
///
/// Input: byte 0 picks the read size, the rest is what the client sends first.
enum ProxyProtocolTarget {
    static func run(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let stream = Array(data.dropFirst())
        var whole = ByteBuffer(bytes: stream)
        if let header = try? ProxyProtocolHeader.parse(&whole) {
            var encoded = header.encoded(.v2)
            let again = try? ProxyProtocolHeader.parse(&encoded)
            // An unknown header is written as LOCAL, which carries no transport.
            let same = again?.source == header.source && again?.destination == header.destination
                && (header.isUnknown || again?.transport == header.transport)
            invariant(same, "\(header) re-encoded as v2 parses as \(again.map { "\($0)" } ?? "an error")")
            invariant(encoded.readableBytes == 0, "v2 re-encoding of \(header) left \(encoded.readableBytes) bytes")
        }
        receive(stream, readSize: 1 + Int(first % 32))
    }

    /// The receiver handler in a pipeline, fed `stream` in reads of `readSize` bytes.
    static func receive(_ stream: [UInt8], readSize: Int) {
        let channel = EmbeddedChannel(handler: ProxyProtocolReceiver())
        var offset = 0
        while offset < stream.count, channel.isActive {
            let end = min(stream.count, offset + readSize)
            _ = try? channel.writeInbound(ByteBuffer(bytes: stream[offset..<end]))
            offset = end
        }
        while let _ = try? channel.readInbound(as: ByteBuffer.self) {}
        _ = try? channel.finish()
    }
}
