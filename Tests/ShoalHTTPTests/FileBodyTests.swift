import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import ShoalHTTP
import Testing

/// Answers every request with `header` bytes then bytes 2...4 of a file it opens; `immediate` answers on the loop.
struct FileResponder: HTTPResponder {
    let path: String
    let fileIO: NonBlockingFileIO
    let opened = HandleList()
    let asyncCalls = Counter()

    func immediateResponse(to request: HTTPServerRequest) -> HTTPServerResponse? {
        request.head.uri == "/immediate" ? response() : nil
    }

    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        asyncCalls.increment()
        return response()
    }

    func response() -> HTTPServerResponse {
        let handle = try! NIOFileHandle(_deprecatedPath: path)
        opened.append(handle)
        return HTTPServerResponse(status: .ok, file: HTTPFileBody(handle: handle, parts: [.bytes(ByteBuffer(string: "<")), .file(offset: 2, count: 3)],
                                                                  fileIO: fileIO))
    }
}

/// The file handles a responder opened, to check that the layer closed them.
final class HandleList: @unchecked Sendable {
    private let lock = NSLock()
    private var handles: [NIOFileHandle] = []
    func append(_ handle: NIOFileHandle) { lock.withLock { handles.append(handle) } }
    var allClosed: Bool { lock.withLock { !handles.isEmpty && handles.allSatisfy { !$0.isOpen } } }
    var count: Int { lock.withLock { handles.count } }
}

/// File bodies: written as file regions over plain TCP, read in chunks otherwise, closed in every case.
@Suite struct FileBodyTests {
    static func file() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-filebody-\(UUID().uuidString.prefix(8))").path
        try "0123456789".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func plainConnectionsWriteAFileRegionAndCloseTheHandle() async throws {
        let path = try Self.file()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let responder = FileResponder(path: path, fileIO: NonBlockingFileIO(threadPool: .singleton))
        let c = try await TestConnection(responder)
        try await c.send("GET /immediate HTTP/1.1\r\nHost: x\r\n\r\n")
        var sawRegion: (Int, Int)?
        var text = ""
        while sawRegion == nil || !text.contains("<") {
            switch try await c.channel.waitForOutboundWrite(as: IOData.self) {
            case let .byteBuffer(buffer): text += String(buffer: buffer)
            case let .fileRegion(region): sawRegion = (region.readerIndex, region.endIndex)
            }
        }
        #expect(text.contains("Content-Length: 4\r\n"))
        #expect(sawRegion.map { $0 == (2, 5) } == true)
        await c.settle()
        #expect(responder.opened.allClosed)
        #expect(responder.asyncCalls.count == 0)
    }

    @Test func withoutFileRegionsTheFileIsStreamedInChunks() async throws {
        let path = try Self.file()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let responder = FileResponder(path: path, fileIO: NonBlockingFileIO(threadPool: .singleton))
        let c = try await TestConnection(responder, HTTPServerConfiguration(sendsFileRegions: false))
        try await c.send("GET /async HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try await c.response()
        #expect(response.status == 200)
        #expect(response.body == "<234")
        #expect(responder.opened.allClosed)
        #expect(responder.asyncCalls.count == 1)
    }

    @Test func headClosesTheFileWithoutSendingIt() async throws {
        let path = try Self.file()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let responder = FileResponder(path: path, fileIO: NonBlockingFileIO(threadPool: .singleton))
        let c = try await TestConnection(responder)
        try await c.send("HEAD /immediate HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try await c.response(bodiless: true)
        #expect(response.headers["content-length"] == "4")
        #expect(responder.opened.allClosed)
    }
}
