import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import ShoalHTTP
import Testing

/// One server connection on a `NIOAsyncTestingChannel` (its clock moves only when told), with a raw-bytes
/// client side: write request text, read parsed responses.
final class TestConnection: @unchecked Sendable {
    let channel: NIOAsyncTestingChannel
    private var pending = ""

    init<Responder: HTTPResponder>(_ responder: Responder, _ configuration: HTTPServerConfiguration = HTTPServerConfiguration()) async throws {
        channel = try await NIOAsyncTestingChannel { channel in
            try HTTPServerPipeline.configure(channel, responder: responder, configuration: configuration, logger: Logger(label: "test"))
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).get()
    }

    /// Sends raw request bytes.
    func send(_ text: String) async throws {
        try await channel.writeInbound(ByteBuffer(string: text))
    }

    /// The next whole response the server wrote (an interim `100 Continue` counts as one).
    func response(bodiless: Bool = false) async throws -> RawResponse {
        while true {
            if let (response, rest) = RawResponse.parse(pending, bodiless: bodiless) {
                pending = rest
                return response
            }
            let data = try await channel.waitForOutboundWrite(as: IOData.self)
            guard case let .byteBuffer(buffer) = data else { throw TestFailure("file region written") }
            pending += String(buffer: buffer)
        }
    }

    /// Bytes written so far and not yet read as a response.
    func unreadOutput() async throws -> String {
        while let data = try await channel.readOutbound(as: IOData.self) {
            if case let .byteBuffer(buffer) = data { pending += String(buffer: buffer) }
        }
        return pending
    }

    /// Moves the connection's clock (firing due timers) and lets queued work run.
    func advance(_ amount: TimeAmount) async {
        await channel.testingEventLoop.advanceTime(by: amount)
        await channel.testingEventLoop.run()
    }

    var isOpen: Bool { get async { await settle(); return channel.isActive } }

    /// Lets work the responder handed back to the loop run.
    func settle() async {
        await channel.testingEventLoop.run()
    }

    func fire(_ event: any Sendable) async throws {
        try await channel.testingEventLoop.executeInContext { self.channel.pipeline.fireUserInboundEventTriggered(event) }
        await settle()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A response as a client reads it off the wire.
struct RawResponse {
    var status: Int
    /// Names lower-cased.
    var headers: [String: String]
    var body: String

    /// Parses one response off the front of `text`; nil while incomplete.
    static func parse(_ text: String, bodiless: Bool = false) -> (RawResponse, String)? {
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let afterHead = text[end.upperBound...]
        let length = status < 200 || bodiless ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        let bytes = Array(afterHead.utf8)
        guard bytes.count >= length else { return nil }
        let body = String(decoding: bytes[..<length], as: UTF8.self)
        let rest = String(decoding: bytes[length...], as: UTF8.self)
        return (RawResponse(status: status, headers: headers, body: body), rest)
    }
}
