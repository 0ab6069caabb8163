import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import ShoalHTTP
import Testing
import ShoalTestFixtures

/// The `http-server` fuzz target's check over seeded inputs (FUZZING.md): mutated requests through the whole server
/// pipeline on an embedded channel, cut into reads of every size from 1 to 64, answer only with statuses the layer
/// or the responder can give, and never trap.
@Suite(.offCooperativePool) struct PipelinePropertyTests {
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

    static let statuses: Set<Int> = [100, 200, 400, 405, 408, 413, 414, 431, 501]
    static let seeds = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
        "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n",
        "DELETE /x HTTP/1.1\r\nHost: a\r\n\r\nPROPFIND /y HTTP/1.1\r\n\r\n",
        "GET /" + String(repeating: "a", count: 300) + " HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ]

    /// A small deterministic generator (the runs repeat).
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func mutatedStreamsGetOnlyKnownStatuses() throws {
        var random = Generator(state: 14)
        var seen: Set<Int> = []
        let alphabet = Array(" \r\n:/%?#\u{0}\u{7f}GETPOSTHEADBREW0123456789abcdefContent-Length: Transfer-Encoding: chunked\r\n".utf8)
        for round in 0..<3000 {
            var bytes = Array(Self.seeds[round % Self.seeds.count].utf8)
            for _ in 0..<Int.random(in: 0...6, using: &random) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[at] = alphabet.randomElement(using: &random)!
                case 1: bytes.insert(contentsOf: (0..<Int.random(in: 1...40, using: &random)).map { _ in alphabet.randomElement(using: &random)! }, at: at)
                default: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &random)))
                }
            }
            let small = round % 2 == 0
            let output = try Self.run(bytes, readSize: 1 + round % 64, headerCap: small ? 256 : 16 * 1024)
            for status in Self.statusCodes(output) {
                seen.insert(status)
                #expect(Self.statuses.contains(status), "round \(round): \(status) for \(String(decoding: bytes.prefix(60), as: UTF8.self))")
            }
        }
        // The mutations reach the answers that matter: served, refused by method (405 and 501), malformed, too long.
        #expect(seen.isSuperset(of: [200, 400, 405, 414, 501]), "\(seen.sorted())")
    }

    static func run(_ stream: [UInt8], readSize: Int, headerCap: Int) throws -> [UInt8] {
        let configuration = HTTPServerConfiguration(maxHeaderBytes: headerCap, maxBodyBytes: 1024, maxDrainBytes: 4096)
        let channel = EmbeddedChannel()
        try HTTPServerPipeline.configure(channel, responder: Responder(), configuration: configuration,
                                         logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 40000)).wait()
        var output: [UInt8] = []
        var offset = 0
        func drain() {
            while let data = try? channel.readOutbound(as: IOData.self) {
                if case let .byteBuffer(buffer) = data { output += buffer.readableBytesView }
            }
        }
        while offset < stream.count, channel.isActive {
            let end = min(stream.count, offset + readSize)
            _ = try? channel.writeInbound(ByteBuffer(bytes: stream[offset..<end]))
            offset = end
            channel.embeddedEventLoop.run()
            drain()
        }
        if channel.isActive { channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        drain()
        _ = try? channel.finish()
        return output
    }

    /// The code of every status line (any `HTTP/1.` in the output: the responder's bodies hold digits and short words).
    static func statusCodes(_ output: [UInt8]) -> [Int] {
        let marker = Array("HTTP/1.".utf8)
        var codes: [Int] = []
        var index = 0
        while index + marker.count <= output.count {
            if output[index..<index + marker.count].elementsEqual(marker) {
                let line = String(decoding: output[index...].prefix { $0 != 13 }.prefix(40), as: UTF8.self)
                codes.append(line.utf8.count >= 12 ? Int(line.dropFirst(9).prefix(3)) ?? -1 : -1)
                index += marker.count
            } else {
                index += 1
            }
        }
        return codes
    }
}
