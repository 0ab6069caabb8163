// A ShoalHTTP server that answers every request with the same 4 KiB of text, for scripts/bench-http.sh.
// Usage: ShoalHTTPBench PORT
import Logging
import NIOCore
import NIOHTTP1
import ShoalCore
import ShoalHTTP

/// Answers every request with a fixed 4 KiB body.
struct FixedBody: HTTPResponder {
    let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: 4096)

    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        HTTPServerResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: body)
    }
}

let port = CommandLine.arguments.count > 1 ? UInt16(CommandLine.arguments[1]) ?? 8091 : 8091
var logger = Logger(label: "bench.shoalhttp")
logger.logLevel = .warning
let server = HTTPServer(name: "bench", listen: Endpoint(.v4(0x7f00_0001), port),
                        configuration: HTTPServerConfiguration(maxConnections: 100_000), responder: FixedBody(), logger: logger)
try await server.run()
