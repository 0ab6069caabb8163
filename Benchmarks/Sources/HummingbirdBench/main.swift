// A minimal Hummingbird 2 application that answers GET / with the same 4 KiB of text, for scripts/bench-http.sh.
// Usage: HummingbirdBench PORT
import Hummingbird
import Logging

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8092 : 8092
let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: 4096)
var logger = Logger(label: "bench.hummingbird")
logger.logLevel = .warning
let router = Router()
router.get("/") { _, _ -> Response in
    Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: body))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
try await app.runService()
