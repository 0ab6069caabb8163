import Logging
import NIOCore
import NIOHTTP1

/// Serves HTTP/1.1 requests on one admin connection: reads a whole request (body capped), asks the API,
/// writes the response; keeps the connection open while the client wants keep-alive.
struct AdminConnection: Sendable {
    let api: AdminAPI
    let tracker: ConnectionTracker
    let configuration: AdminServerConfiguration
    let logger: Logger

    func serve(_ child: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        let channel = child.channel
        guard await tracker.opened(channel) else {
            try? await child.channel.close()
            return
        }
        do {
            try await child.executeThenClose { inbound, outbound in
                var parts = inbound.makeAsyncIterator()
                while let part = try await parts.next() {
                    guard case let .head(head) = part else { continue }
                    let accepted = await tracker.beginRequest(channel)
                    let (request, tooLarge) = try await readBody(head, &parts, outbound)
                    var response: AdminResponse
                    if tooLarge {
                        response = .error(APIError(.payloadTooLarge, "request body larger than \(configuration.maxBodyBytes) bytes"))
                    } else {
                        response = await api.handle(request)
                    }
                    let keepAlive = head.isKeepAlive && accepted && !tooLarge
                    try await write(response, for: head, keepAlive: keepAlive, outbound)
                    let open = await tracker.endRequest(channel)
                    if !keepAlive || !open { break }
                }
            }
        } catch {
            logger.debug("admin connection ended: \(error)")
        }
        await tracker.closed(channel)
    }

    /// Reads the body up to `.end`; past the cap it discards (up to `maxDrainBytes`) and reports tooLarge.
    func readBody(_ head: HTTPRequestHead, _ parts: inout NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator,
                  _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws -> (AdminRequest, Bool) {
        let request = AdminRequest(method: head.method, uri: head.uri, headers: head.headers)
        let declared = head.headers.first(name: "Content-Length").flatMap { Int($0) }
        let expectsContinue = head.headers.first(name: "Expect")?.lowercased() == "100-continue"
        if let declared, declared > configuration.maxBodyBytes, expectsContinue || declared > configuration.maxDrainBytes {
            // Refuse before the client sends the body.
            return (request, true)
        }
        if expectsContinue {
            try await outbound.write(.head(HTTPResponseHead(version: head.version, status: .continue)))
        }
        var body: [UInt8] = []
        var discarded = 0
        var tooLarge = false
        while let part = try await parts.next() {
            switch part {
            case .head:
                throw HTTPParserError.invalidInternalState
            case var .body(buffer):
                if tooLarge || body.count + buffer.readableBytes > configuration.maxBodyBytes {
                    tooLarge = true
                    discarded += buffer.readableBytes
                    if discarded > configuration.maxDrainBytes { return (request, true) }
                } else {
                    body += buffer.readBytes(length: buffer.readableBytes) ?? []
                }
            case .end:
                var complete = request
                complete.body = tooLarge ? [] : body
                return (complete, tooLarge)
            }
        }
        throw ChannelError.eof
    }

    func write(_ response: AdminResponse, for head: HTTPRequestHead, keepAlive: Bool,
               _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var headers = response.headers
        if head.method != .HEAD || headers["Content-Length"].isEmpty {
            headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.count)")
        }
        if response.status == .noContent { headers.remove(name: "Content-Length") }
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        try await outbound.write(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers)))
        if !response.body.isEmpty {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
        }
        try await outbound.write(.end(nil))
    }
}
