import Foundation
import NIOCore
public import ShoalCore
public import ShoalHTTP
public import ShoalServer

/// A web node's configuration file (YAML): listeners, the document root, how it is served, cache and limits.
///
/// ```yaml
/// root: /srv/www                                   # the shared document root
/// http: { listen: 127.0.0.1:8080 }
/// https: { listen: 127.0.0.1:8443 }                # needs tls
/// tls: { certificate: cert.pem, key: key.pem }     # re-read on SIGHUP
/// admin: { listen: 127.0.0.1:9180 }                # /metrics (Prometheus text)
/// index: [index.html]
/// autoindex: false
/// dotfiles: deny                                   # or allow
/// symlinks: inside_root                            # or always, never
/// precompressed: true                              # serve name.br / name.gz with Content-Encoding
/// mime_types: /etc/mime.types                      # added to the built-in table (default: that file when present)
/// access_log: /var/log/shoal/web-access.log        # combined log format; reopened on SIGHUP
/// cache: { revalidate_ms: 1000, entries: 4096, memory_bytes: 67108864, memory_file_limit: 262144 }
/// limits: { header_bytes: 16384, connections: 10000, requests_per_connection: 1000, header_timeout: 10,
///           idle_timeout: 60, send_timeout: 60, ranges: 16 }
/// file_threads: 4                                  # the thread pool for stat/open/read
/// event_loops: 2                                   # network threads (default: one per core)
/// engine: epoll                                    # plain http on raw epoll threads (https stays on NIO); or nio
/// ```
public struct WebNodeConfiguration: Sendable {
    public var root: String
    public var http: Endpoint?
    public var https: Endpoint?
    public var admin: Endpoint?
    public var certificateFile: String?
    public var keyFile: String?
    public var site: StaticSite
    public var symlinks: SymlinkPolicy
    public var accessLogPath: String?
    public var revalidateMilliseconds: Int
    public var cacheEntries: Int
    public var cacheMemoryBytes: Int64
    public var memoryFileLimit: Int64
    public var server: HTTPServerConfiguration
    public var fileThreads: Int
    /// Network threads; nil: one per core (NIO's shared group).
    public var eventLoops: Int?
    /// What serves the plain `http` listener: the epoll engine's threads (`EpollWebServer`, the default: every web
    /// node suite passes on both), or NIO channels.
    public var engine: WebEngine = .epoll

    static let topLevel: Set<String> = ["root", "http", "https", "tls", "admin", "index", "autoindex", "dotfiles", "symlinks", "precompressed",
                                        "mime_types", "access_log", "cache", "limits", "file_threads", "server_name", "event_loops",
                                        "engine"]

    /// Reads a configuration file; every error names the file, line and field.
    public static func load(path: String) throws(ConfigError) -> WebNodeConfiguration {
        try parse(ConfigDocument.load(path: path))
    }

    public static func parse(_ doc: ConfigNode) throws(ConfigError) -> WebNodeConfiguration {
        try doc.allowOnly(topLevel)
        let rootNode = try doc.required("root")
        let rootText = try rootNode.string()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: rootText, isDirectory: &isDirectory), isDirectory.boolValue,
              let root = FileResolver.canonicalRoot(rootText) else {
            throw rootNode.error("'\(rootText)' is not a directory")
        }
        func listener(_ name: String) throws(ConfigError) -> Endpoint? {
            guard let node = try doc.optional(name) else { return nil }
            try node.allowOnly(["listen"])
            return try node.required("listen").endpoint()
        }
        let http = try listener("http"), https = try listener("https"), admin = try listener("admin")
        if http == nil, https == nil { throw doc.error("configure at least one of http and https") }
        var certificate: String?, key: String?
        if let tls = try doc.optional("tls") {
            try tls.allowOnly(["certificate", "key"])
            certificate = try tls.required("certificate").string()
            key = try tls.required("key").string()
        } else if https != nil {
            throw try doc.required("https").error("https needs a tls block with certificate and key")
        }
        var site = StaticSite()
        if let index = try doc.optional("index") {
            site.indexFiles = try index.list().map { (node: ConfigNode) throws(ConfigError) -> String in
                let name = try node.string()
                if name.isEmpty || name.contains("/") { throw node.error("an index file is a plain file name") }
                return name
            }
        }
        site.autoindex = try doc.optional("autoindex")?.bool() ?? false
        site.dotfiles = try doc.optional("dotfiles")?.choice(["deny", "allow"]) == "allow" ? .allow : .deny
        site.precompressed = try doc.optional("precompressed")?.bool() ?? true
        if let node = try doc.optional("server_name") {
            let name = try node.string()
            // Response headers are not re-checked on the way out (see `validatesResponseHeaders` below).
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else {
                throw node.error("the server name must be printable ASCII (it is sent as the Server header)")
            }
            site.serverName = name
        }
        let symlinks = SymlinkPolicy(rawValue: try doc.optional("symlinks")?.choice(["inside_root", "always", "never"]) ?? "inside_root")
            ?? .insideRoot
        if let node = try doc.optional("mime_types") {
            let path = try node.string()
            guard let data = FileManager.default.contents(atPath: path) else { throw node.error("cannot read '\(path)'") }
            site.mediaTypes.add(mimeTypes: String(decoding: data, as: UTF8.self))
        } else if let data = FileManager.default.contents(atPath: "/etc/mime.types") {
            site.mediaTypes.add(mimeTypes: String(decoding: data, as: UTF8.self))
        }
        let cache = try doc.optional("cache")
        try cache?.allowOnly(["revalidate_ms", "entries", "memory_bytes", "memory_file_limit"])
        let limits = try doc.optional("limits")
        try limits?.allowOnly(["header_bytes", "connections", "requests_per_connection", "header_timeout", "idle_timeout", "send_timeout", "ranges"])
        site.maximumRanges = try limits?.optional("ranges")?.int(in: 1...1000) ?? 16
        func seconds(_ name: String, default value: Double) throws(ConfigError) -> TimeAmount {
            .milliseconds(Int64((try limits?.optional(name)?.seconds(in: 0.1...86_400) ?? value) * 1000))
        }
        let server = HTTPServerConfiguration(
            maxHeaderBytes: try limits?.optional("header_bytes")?.int(in: 1024...1 << 20) ?? 16 * 1024,
            maxBodyBytes: 64 * 1024, maxDrainBytes: 64 * 1024,
            headerReadTimeout: try seconds("header_timeout", default: 10), bodyReadTimeout: try seconds("header_timeout", default: 10),
            idleTimeout: try seconds("idle_timeout", default: 60),
            maxRequestsPerConnection: try limits?.optional("requests_per_connection")?.int(in: 1...1_000_000) ?? 1000,
            maxConnections: try limits?.optional("connections")?.int(in: 1...1_000_000) ?? 10_000,
            sendTimeout: try seconds("send_timeout", default: 60),
            // Every header value the node sends is its own: dates, validators, lengths, media types (checked when
            // read), the server name (checked above), a Location made of the percent-encoded path and the query
            // NIO's parser accepted (no CR, LF or NUL can be in it).
            validatesResponseHeaders: false)
        var configuration = WebNodeConfiguration(
            root: root, http: http, https: https, admin: admin, certificateFile: certificate, keyFile: key, site: site, symlinks: symlinks,
            accessLogPath: try doc.optional("access_log")?.string(),
            revalidateMilliseconds: try cache?.optional("revalidate_ms")?.int(in: 0...60_000) ?? 1000,
            cacheEntries: try cache?.optional("entries")?.int(in: 1...10_000_000) ?? 4096,
            cacheMemoryBytes: Int64(try cache?.optional("memory_bytes")?.int(in: 0...(1 << 40)) ?? 64 << 20),
            memoryFileLimit: Int64(try cache?.optional("memory_file_limit")?.int(in: 0...(64 << 20)) ?? 256 << 10),
            server: server, fileThreads: try doc.optional("file_threads")?.int(in: 1...256) ?? 4,
            eventLoops: try doc.optional("event_loops")?.int(in: 1...1024))
        if let node = try doc.optional("engine") {
            configuration.engine = WebEngine(rawValue: try node.choice(["nio", "epoll"])) ?? .epoll
            if configuration.engine == .epoll, http == nil { throw node.error("engine: epoll serves the http listener; configure http") }
        }
        return configuration
    }

    /// The HTTPS certificate, when one is configured (reloaded on SIGHUP).
    public func tlsSource() throws(ConfigError) -> TLSContextSource? {
        guard let certificateFile, let keyFile else { return nil }
        return try TLSContextSource(certificatePath: certificateFile, keyPath: keyFile)
    }
}

/// What serves a web node's plain HTTP listener.
public enum WebEngine: String, Sendable, CaseIterable {
    /// NIO channels on the shared HTTP layer (`HTTPServerChild`).
    case nio
    /// Raw epoll threads (`EpollWebServer`) calling the same responder.
    case epoll
}
