import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import ShoalHTTP

/// ShoalHTTP's server side: raw client bytes through the pipeline `HTTPServerPipeline.configure` builds (the
/// request-line scanner in front of NIOHTTP1's decoder, pipelining, the connection handler with its body caps,
/// early answers and parse-error answers), with a responder that refuses some methods on the head and answers the
/// rest at once. Check: every status written is one the layer or the responder can give.
///
/// Input: byte 0 picks the read size (1-128) and whether the header cap is small (bit 7), the rest is the stream.
enum HTTPServerTarget {
    struct Responder: HTTPResponder {
        func screen(_ head: HTTPRequestHead) -> HTTPServerResponse? {
            if head.method == .GET || head.method == .HEAD || head.method == .POST { return nil }
            return .text(head.method.isGeneralPurpose ? .methodNotAllowed : .notImplemented, "no\n")
        }

        func immediateResponse(to request: HTTPServerRequest) -> HTTPServerResponse? {
            .text(.ok, "\(request.head.uri.utf8.count) \(request.body.readableBytes)\n")
        }

        func respond(to request: HTTPServerRequest) async -> HTTPServerResponse { .text(.ok, "late\n") }
    }

    /// Every status the pipeline may write: the responder's, the layer's early and timeout answers, parse errors.
    static let statuses: Set<Int> = [100, 200, 400, 405, 408, 413, 414, 431, 501]
    static let quiet = Logger(label: "shoal.fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

    static func run(_ data: [UInt8]) {
        guard let options = data.first else { return }
        let readSize = 1 + Int(options % 128)
        let configuration = HTTPServerConfiguration(maxHeaderBytes: options & 128 != 0 ? 256 : 16 * 1024, maxBodyBytes: 1024,
                                                    maxDrainBytes: 4096)
        let channel = EmbeddedChannel()
        do {
            try HTTPServerPipeline.configure(channel, responder: Responder(), configuration: configuration, logger: quiet)
            try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 40000)).wait()
        } catch {
            fatalError("the fuzz target's pipeline does not build: \(error)")
        }
        let stream = Array(data.dropFirst())
        var output: [UInt8] = []
        var offset = 0
        while offset < stream.count, channel.isActive {
            let end = min(stream.count, offset + readSize)
            _ = try? channel.writeInbound(ByteBuffer(bytes: stream[offset..<end]))
            offset = end
            channel.embeddedEventLoop.run()
            drain(channel, into: &output)
        }
        if channel.isActive { channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        drain(channel, into: &output)
        _ = try? channel.finish()
        check(output)
    }

    static func drain(_ channel: EmbeddedChannel, into output: inout [UInt8]) {
        while let data = try? channel.readOutbound(as: IOData.self) {
            if case let .byteBuffer(buffer) = data { output += buffer.readableBytesView }
        }
    }

    /// Every status line written has a code the layer or the responder can give (the responder's bodies are digits
    /// and short words, so any `HTTP/1.` in the output starts a status line). Answers to HEAD keep their
    /// Content-Length without a body, so lengths are not walked.
    static func check(_ output: [UInt8]) {
        var index = 0
        let marker = Array("HTTP/1.".utf8)
        while let found = find(marker, in: output, from: index) {
            let line = output[found...].prefix { $0 != 13 }
            let text = String(decoding: line, as: UTF8.self)
            let status = text.utf8.count >= 12 ? Int(text.dropFirst(9).prefix(3)) : nil
            invariant(status.map { statuses.contains($0) } ?? false, "unexpected status line: \(text.prefix(80))")
            index = found + marker.count
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
