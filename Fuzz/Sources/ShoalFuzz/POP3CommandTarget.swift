import NIOCore
import POP3Server

/// POP3 command lines through the parser and a session in the transaction state: never a trap, and every
/// reply is one `+OK`/`-ERR` status line or a multi-line answer that ends with its terminating dot.
enum POP3CommandTarget {
    static func run(_ data: [UInt8]) {
        let configuration = POP3SessionConfiguration(hostname: "fuzz.test", implicitTLS: true, maximumErrors: 1_000_000)
        var session = POP3Session(configuration: configuration)
        _ = session.start()
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false).prefix(200) {
            var text = Array(line)
            if text.last == 0x0D { text.removeLast() }
            _ = POP3Command.parse(String(decoding: text, as: UTF8.self))
            for action in session.receive(.line(ByteBuffer(bytes: text))) {
                guard case let .reply(reply) = action else { continue }
                invariant(reply.hasPrefix("+") || reply.hasPrefix("-ERR"), "a POP3 reply that is not a status: \(reply)")
            }
            if session.isWaiting { _ = session.receive(.authenticated(.failure)) }
        }
        _ = POP3Transfer.encode(data, bodyLines: Int(data.first ?? 0) % 5)
    }
}
