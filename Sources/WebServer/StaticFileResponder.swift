#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import NIOCore
public import NIOHTTP1
public import NIOPosix
public import ShoalHTTP

/// Serves a document root over ShoalHTTP: GET and HEAD, conditional requests, ranges, directories, precompressed
/// siblings. Cache hits are answered on the event loop (``immediateResponse(to:)``); misses and stale entries
/// are looked up on the file thread pool first.
public struct StaticFileResponder: HTTPResponder {
    public let site: StaticSite
    public let cache: FileCache
    public let fileIO: NonBlockingFileIO
    public let accessLog: AccessLog?
    public let metrics: WebMetrics?
    let clock: HTTPDateClock

    public init(site: StaticSite, cache: FileCache, fileIO: NonBlockingFileIO, accessLog: AccessLog? = nil, metrics: WebMetrics? = nil) {
        self.site = site
        self.cache = cache
        self.fileIO = fileIO
        self.accessLog = accessLog
        self.metrics = metrics
        self.clock = HTTPDateClock()
    }

    // MARK: HTTPResponder

    public func screen(_ head: HTTPRequestHead) -> HTTPServerResponse? {
        if head.method != .GET, head.method != .HEAD {
            guard head.method.isGeneralPurpose else {
                return logged(error(.notImplemented, "method \(head.method.rawValue) is not implemented"), head, remote: nil)
            }
            var response = error(.methodNotAllowed, "method \(head.method.rawValue) is not allowed here")
            response.headers.add(name: "Allow", value: "GET, HEAD")
            return logged(response, head, remote: nil)
        }
        if let expect = head.headers.first(name: "Expect"), expect.lowercased() != "100-continue" {
            return logged(error(.expectationFailed, "unsupported expectation"), head, remote: nil)
        }
        return nil
    }

    public func immediateResponse(to request: HTTPServerRequest) -> HTTPServerResponse? {
        let now = NIODeadline.now()
        guard case let .answer(response) = answer(request.head, lookup: { cache.fresh($0, now: now) }) else { return nil }
        return logged(response, request.head, remote: request.remoteAddress)
    }

    public func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        var loaded: [String: FileLookup] = [:]
        // Each round learns one more path (the file, its index, its siblings); a request needs a handful.
        for _ in 0..<16 {
            let now = NIODeadline.now()
            switch answer(request.head, lookup: { loaded[$0] ?? cache.fresh($0, now: now) }) {
            case let .answer(response):
                return logged(response, request.head, remote: request.remoteAddress)
            case let .needs(path):
                do {
                    loaded[path] = try await cache.load(path)
                } catch {
                    return logged(self.error(.serviceUnavailable, "the file pool is shut down"), request.head, remote: request.remoteAddress)
                }
            case let .needsListing(path):
                let resolver = cache.resolver, limit = site.autoindexLimit
                let entries = try? await cache.pool.runIfActive { resolver.listDirectory(path, limit: limit) }
                guard let entries = entries ?? nil else {
                    return logged(self.error(.forbidden, "the directory cannot be listed"), request.head, remote: request.remoteAddress)
                }
                return logged(listing(request.head, path: path, entries: entries), request.head, remote: request.remoteAddress)
            }
        }
        return logged(self.error(.internalServerError, "lookup did not settle"), request.head, remote: request.remoteAddress)
    }

    // MARK: Answering

    /// An answer, or the path whose lookup it is waiting for.
    enum Step {
        case answer(HTTPServerResponse)
        case needs(String)
        case needsListing(String)
    }

    /// Answers from lookups alone; `lookup` returns nil for a path not known fresh enough.
    func answer(_ head: HTTPRequestHead, lookup: (String) -> FileLookup?) -> Step {
        let path: RequestPath
        do {
            path = try RequestPath(target: head.uri, dotfiles: site.dotfiles)
        } catch {
            return .answer(self.error(error.statusCode == 400 ? .badRequest : .forbidden, "\(error)"))
        }
        let relative = path.relative
        guard let found = lookup(relative) else { return .needs(relative) }
        switch found {
        case .missing: return .answer(error(.notFound, "not found"))
        case .forbidden: return .answer(error(.forbidden, "forbidden"))
        case let .file(file):
            if path.hasTrailingSlash { return .answer(error(.notFound, "not found")) }
            return serve(file, name: path.segments.last ?? "", relative: relative, head: head, lookup: lookup)
        case .directory:
            guard path.hasTrailingSlash || path.segments.isEmpty else {
                var response = error(.movedPermanently, "moved")
                var location = path.encoded + "/"
                if let query = path.query { location += "?" + query }
                response.headers.add(name: "Location", value: location)
                return .answer(response)
            }
            for index in site.indexFiles {
                let candidate = relative.isEmpty ? index : relative + "/" + index
                guard let indexLookup = lookup(candidate) else { return .needs(candidate) }
                if case let .file(file) = indexLookup {
                    return serve(file, name: index, relative: candidate, head: head, lookup: lookup)
                }
            }
            return site.autoindex ? .needsListing(relative) : .answer(error(.forbidden, "directory listing is off"))
        }
    }

    /// A file (or its precompressed sibling) with its validators, after the preconditions and the range.
    func serve(_ file: ServedFile, name: String, relative: String, head: HTTPRequestHead, lookup: (String) -> FileLookup?) -> Step {
        var chosen = file
        var encoding: String?
        var hasSiblings = false
        if site.precompressed {
            let accepted = AcceptEncoding(header: head.headers.first(name: "Accept-Encoding"))
            for (suffix, coding) in [(".br", "br"), (".gz", "gzip")] {
                guard let sibling = lookup(relative + suffix) else { return .needs(relative + suffix) }
                guard case let .file(siblingFile) = sibling else { continue }
                hasSiblings = true
                if encoding == nil, accepted.accepts(coding) {
                    chosen = siblingFile
                    encoding = coding
                }
            }
        }
        var headers = baseHeaders()
        headers.add(name: "Last-Modified", value: chosen.lastModifiedText)
        headers.add(name: "ETag", value: chosen.etagText)
        if hasSiblings { headers.add(name: "Vary", value: "Accept-Encoding") }
        let preconditions = Preconditions { name in
            let values = head.headers[name]
            return values.isEmpty ? nil : values.joined(separator: ", ")
        }
        let isGetOrHead = head.method == .GET || head.method == .HEAD
        let honorRange: Bool
        switch preconditions.evaluate(tag: chosen.etag, lastModified: chosen.modifiedSeconds, isGetOrHead: isGetOrHead) {
        case .notModified:
            return .answer(HTTPServerResponse(status: .notModified, headers: headers))
        case .preconditionFailed:
            var response = error(.preconditionFailed, "precondition failed")
            response.headers.add(name: "ETag", value: chosen.etagText)
            return .answer(response)
        case let .proceed(honor):
            honorRange = honor
        }
        headers.add(name: "Content-Type", value: site.mediaTypes.contentType(forName: name))
        if let encoding { headers.add(name: "Content-Encoding", value: encoding) }
        var ranges: [ClosedRange<Int64>]?
        if honorRange, head.method == .GET, let rangeHeader = head.headers.first(name: "Range"),
           let request = ByteRangeRequest(header: rangeHeader) {
            switch request.resolve(length: chosen.size, maximumRanges: site.maximumRanges) {
            case .whole: break
            case let .partial(resolved): ranges = resolved
            case .unsatisfiable:
                var response = error(.rangeNotSatisfiable, "range not satisfiable")
                response.headers.add(name: "Content-Range", value: "bytes */\(chosen.size)")
                return .answer(response)
            }
        }
        guard let ranges else {
            // As nginx: Accept-Ranges on whole answers only (a 206 shows it already).
            headers.add(name: "Accept-Ranges", value: "bytes")
            return .answer(body(chosen, parts: [.file(offset: 0, count: chosen.size)], status: .ok, headers: headers))
        }
        if ranges.count == 1, let range = ranges.first {
            headers.add(name: "Content-Range", value: "bytes \(range.lowerBound)-\(range.upperBound)/\(chosen.size)")
            return .answer(body(chosen, parts: [.file(offset: range.lowerBound, count: range.count64)], status: .partialContent, headers: headers))
        }
        let contentType = headers.first(name: "Content-Type") ?? site.mediaTypes.fallback
        let boundary = MultipartByteRanges.boundary()
        headers.replaceOrAdd(name: "Content-Type", value: "multipart/byteranges; boundary=\(boundary)")
        let parts = MultipartByteRanges.parts(ranges: ranges, length: chosen.size, contentType: contentType, boundary: boundary)
        return .answer(body(chosen, parts: parts, status: .partialContent, headers: headers))
    }

    /// A response whose body is `parts` of the file: slices of the bytes in memory, or a duplicate descriptor.
    func body(_ file: ServedFile, parts: [HTTPFileBody.Part], status: HTTPResponseStatus, headers: HTTPHeaders) -> HTTPServerResponse {
        if let contents = file.contents {
            var out = parts.count == 1 ? ByteBuffer() : ByteBufferAllocator().buffer(capacity: Int(file.size))
            for part in parts {
                switch part {
                case var .bytes(buffer):
                    out.writeBuffer(&buffer)
                case let .file(offset, count):
                    guard let slice = contents.getSlice(at: contents.readerIndex + Int(offset), length: Int(count)) else { continue }
                    if parts.count == 1 { out = slice } else { out.writeImmutableBuffer(slice) }
                }
            }
            return HTTPServerResponse(status: status, headers: headers, body: out)
        }
        guard let descriptor = file.duplicateDescriptor() else {
            return error(.internalServerError, "cannot open the file again (too many open files?)")
        }
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        return HTTPServerResponse(status: status, headers: headers, file: HTTPFileBody(handle: handle, parts: parts, fileIO: fileIO))
    }

    func listing(_ head: HTTPRequestHead, path: String, entries: [DirectoryEntry]) -> HTTPServerResponse {
        var headers = baseHeaders()
        headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
        let display = "/" + path + (path.isEmpty ? "" : "/")
        return HTTPServerResponse(status: .ok, headers: headers, body: ByteBuffer(string: DirectoryListing.html(title: display, entries: entries)))
    }

    func baseHeaders() -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(10)  // a file's answer: these two, five of its own and the layer's two, in one allocation
        if let serverName = site.serverName { headers.add(name: "Server", value: serverName) }
        headers.add(name: "Date", value: clock.now())
        return headers
    }

    func error(_ status: HTTPResponseStatus, _ message: String) -> HTTPServerResponse {
        var response = HTTPServerResponse.text(status, "\(status.code) \(status.reasonPhrase): \(message)\n")
        for (name, value) in baseHeaders() { response.headers.add(name: name, value: value) }
        return response
    }

    public func errorResponse(_ status: HTTPResponseStatus, message: String) -> HTTPServerResponse {
        error(status, message)
    }

    func logged(_ response: HTTPServerResponse, _ head: HTTPRequestHead, remote: SocketAddress?) -> HTTPServerResponse {
        let bytes = head.method == .HEAD || !response.status.mayHaveBody ? 0 : response.bodyLength
        accessLog?.record(head, status: response.status.code, bytes: bytes, remote: remote)
        metrics?.record(status: response.status.code, bodyBytes: bytes)
        return response
    }
}

extension HTTPResponseStatus {
    /// False for 1xx, 204 and 304.
    var mayHaveBody: Bool { code >= 200 && code != 204 && code != 304 }
}

extension ClosedRange where Bound == Int64 {
    /// The number of values in the range.
    var count64: Int64 { upperBound - lowerBound + 1 }
}

/// The `Date` header text, formatted once per second.
final class HTTPDateClock: Sendable {
    private let cached = NIOLockedValueBox<(Int64, String)>((0, ""))

    func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        let seconds = Int64(spec.tv_sec)
        return cached.withLockedValue { cache in
            if cache.0 != seconds { cache = (seconds, HTTPDate.format(seconds)) }
            return cache.1
        }
    }
}
