#if canImport(Glibc)
import Glibc
#endif
public import NIOPosix
public import ShoalCore

/// Hands authenticated users' mail for other domains to the configured relay host over plain SMTP.
///
/// A small blocking client run on the thread pool: greeting, EHLO, MAIL, one RCPT per recipient,
/// DATA with dot-stuffing, QUIT. Each recipient gets the outcome of its own RCPT and of the DATA reply.
public struct RelayClient: Sendable {
    public let host: Endpoint
    public let heloName: String
    public let timeoutSeconds: Int
    let threadPool: NIOThreadPool

    public init(host: Endpoint, heloName: String, timeoutSeconds: Int = 60, threadPool: NIOThreadPool = .singleton) {
        self.host = host
        self.heloName = heloName
        self.timeoutSeconds = timeoutSeconds
        self.threadPool = threadPool
    }

    /// Sends one message; one outcome per recipient, in order.
    public func send(from: String, to recipients: [String], message: [UInt8]) async -> [DeliveryOutcome] {
        let host = self.host, helo = heloName, timeout = timeoutSeconds
        do {
            return try await threadPool.runIfActive {
                var conversation = try RelayConversation(host: host, timeoutSeconds: timeout)
                defer { conversation.close() }
                return try conversation.send(helo: helo, from: from, to: recipients, message: message)
            }
        } catch {
            return recipients.map { _ in .temporaryFailure("relay \(host): \(error)") }
        }
    }
}

/// A relay failure with the reply or system error behind it.
struct RelayError: Error, CustomStringConvertible {
    var description: String
}

/// One blocking SMTP conversation with the relay host.
struct RelayConversation {
    let fd: Int32
    var pending: [UInt8] = []

    init(host: Endpoint, timeoutSeconds: Int) throws {
        let family = host.address.family == .inet ? AF_INET : AF_INET6
        fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RelayError(description: "socket: \(String(cString: strerror(errno)))") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc: Int32
        switch host.address {
        case let .v4(v):
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = host.port.bigEndian
            sa.sin_addr.s_addr = v.bigEndian
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        case let .v6(hi, lo):
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = host.port.bigEndian
            withUnsafeMutableBytes(of: &sa.sin6_addr) { raw in
                for i in 0..<8 { raw[i] = UInt8(truncatingIfNeeded: hi >> (56 - 8 * UInt64(i))) }
                for i in 0..<8 { raw[8 + i] = UInt8(truncatingIfNeeded: lo >> (56 - 8 * UInt64(i))) }
            }
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        guard rc == 0 else {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw RelayError(description: "connect: \(message)")
        }
    }

    func close() { _ = Glibc.close(fd) }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw RelayError(description: "send: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    /// Reads one (possibly multi-line) reply: its code and last line.
    mutating func reply() throws -> (code: Int, text: String) {
        while true {
            while let crlf = pending.firstIndex(of: 10) {
                var line = Array(pending[..<crlf])
                pending.removeFirst(crlf + 1)
                if line.last == 13 { line.removeLast() }
                let text = String(decoding: line, as: UTF8.self)
                guard text.count >= 3, let code = Int(text.prefix(3)) else { throw RelayError(description: "bad reply '\(text)'") }
                if text.count == 3 || text.dropFirst(3).first == " " { return (code, text) }
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw RelayError(description: n == 0 ? "connection closed" : "recv: \(String(cString: strerror(errno)))") }
            pending += chunk[..<n]
        }
    }

    mutating func command(_ text: String) throws -> (code: Int, text: String) {
        try write(Array((text + "\r\n").utf8))
        return try reply()
    }

    mutating func send(helo: String, from: String, to recipients: [String], message: [UInt8]) throws -> [DeliveryOutcome] {
        func outcome(_ r: (code: Int, text: String)) -> DeliveryOutcome {
            r.code < 400 ? .delivered : (r.code < 500 ? .temporaryFailure(r.text) : .permanentFailure(r.text))
        }
        let greeting = try reply()
        guard greeting.code == 220 else { return recipients.map { _ in outcome(greeting) } }
        var hello = try command("EHLO \(helo)")
        if hello.code != 250 { hello = try command("HELO \(helo)") }
        guard hello.code == 250 else { return recipients.map { _ in outcome(hello) } }
        let mail = try command("MAIL FROM:<\(from)>")
        guard mail.code == 250 else { return recipients.map { _ in outcome(mail) } }
        var results: [DeliveryOutcome] = []
        var accepted = 0
        for rcpt in recipients {
            let r = try command("RCPT TO:<\(rcpt)>")
            results.append(outcome(r))
            if r.code < 400 { accepted += 1 }
        }
        guard accepted > 0 else { _ = try? command("QUIT"); return results }
        let data = try command("DATA")
        guard data.code == 354 else { return results.map { $0 == .delivered ? outcome(data) : $0 } }
        try write(Self.dotStuffed(message))
        let end = try reply()
        _ = try? command("QUIT")
        return results.map { $0 == .delivered ? outcome(end) : $0 }
    }

    /// The message with CRLF line ends, leading dots doubled, and the terminating `.` line.
    static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + 64)
        var atLineStart = true
        var previous: UInt8 = 0
        for byte in message {
            if atLineStart && byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            if byte == 10 && previous != 13 { out.append(13) }
            out.append(byte)
            atLineStart = byte == 10
            previous = byte
        }
        if !atLineStart { out += [13, 10] }
        out += Array(".\r\n".utf8)
        return out
    }
}
