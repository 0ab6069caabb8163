import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
public import ShoalHTTP

/// Request counters of a web node, shown as Prometheus text on the admin address.
public final class WebMetrics: Sendable {
    struct Counts {
        var requestsByClass = [Int](repeating: 0, count: 6)
        var bodyBytes: Int64 = 0
    }

    private let counts = NIOLockedValueBox(Counts())

    public init() {}

    /// Counts one answered request.
    public func record(status: UInt, bodyBytes: Int64) {
        counts.withLockedValue { counts in
            counts.requestsByClass[min(5, Int(status / 100))] += 1
            counts.bodyBytes += bodyBytes
        }
    }

    /// The Prometheus text exposition; `cache` adds the file cache's size.
    public func text(cache: (entries: Int, memoryBytes: Int64)) -> String {
        let snapshot = counts.withLockedValue { $0 }
        var text = "# HELP shoal_web_requests_total Requests answered, by status class.\n# TYPE shoal_web_requests_total counter\n"
        for statusClass in 1...5 {
            text += "shoal_web_requests_total{code=\"\(statusClass)xx\"} \(snapshot.requestsByClass[statusClass])\n"
        }
        text += "# HELP shoal_web_body_bytes_total Response body bytes announced.\n# TYPE shoal_web_body_bytes_total counter\n"
        text += "shoal_web_body_bytes_total \(snapshot.bodyBytes)\n"
        text += "# HELP shoal_web_cache_entries Paths in the file cache.\n# TYPE shoal_web_cache_entries gauge\n"
        text += "shoal_web_cache_entries \(cache.entries)\n"
        text += "# HELP shoal_web_cache_memory_bytes File bytes held in memory.\n# TYPE shoal_web_cache_memory_bytes gauge\n"
        text += "shoal_web_cache_memory_bytes \(cache.memoryBytes)\n"
        return text
    }
}

/// The web node's admin address: `GET /metrics`.
public struct WebAdminResponder: HTTPResponder {
    public let metrics: WebMetrics
    public let cache: FileCache

    public init(metrics: WebMetrics, cache: FileCache) {
        self.metrics = metrics
        self.cache = cache
    }

    public func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        guard request.head.method == .GET || request.head.method == .HEAD else {
            var response = HTTPServerResponse.text(.methodNotAllowed, "GET only\n")
            response.headers.add(name: "Allow", value: "GET, HEAD")
            return response
        }
        guard request.head.uri == "/metrics" else { return .text(.notFound, "not found (try /metrics)\n") }
        return HTTPServerResponse(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4"],
                                  body: ByteBuffer(string: metrics.text(cache: cache.usage)))
    }
}
