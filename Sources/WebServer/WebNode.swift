public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
public import ShoalCore
import ShoalHTTP
public import ShoalServer

/// A web node: the document root served over HTTP and/or HTTPS, plus `/metrics` on an admin address, as one
/// service. Graceful shutdown stops accepting and lets answers under way finish.
public final class WebNode: Service, Sendable {
    public let configuration: WebNodeConfiguration
    public let servers: [any BindableServer]
    public let cache: FileCache
    public let accessLog: AccessLog?
    public let metrics: WebMetrics
    public let tls: TLSContextSource?
    let pool: NIOThreadPool
    let logger: Logger

    /// Starts the file thread pool, opens the access log and builds the servers (nothing is bound yet).
    public init(_ configuration: WebNodeConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "shoal.web-node")) throws {
        let pool = NIOThreadPool(numberOfThreads: configuration.fileThreads)
        pool.start()
        let resolver = FileResolver(root: configuration.root, symlinks: configuration.symlinks, memoryLimit: configuration.memoryFileLimit)
        let cache = FileCache(resolver: resolver, pool: pool, revalidateAfter: .milliseconds(Int64(configuration.revalidateMilliseconds)),
                              maximumEntries: configuration.cacheEntries, maximumMemoryBytes: configuration.cacheMemoryBytes)
        let accessLog: AccessLog?
        let tls: TLSContextSource?
        do {
            accessLog = try configuration.accessLogPath.map { path throws(AccessLogError) in try AccessLog(path: path, pool: pool) }
            tls = try configuration.tlsSource()
        } catch {
            try? pool.syncShutdownGracefully()
            throw error
        }
        let metrics = WebMetrics()
        let responder = StaticFileResponder(site: configuration.site, cache: cache, fileIO: NonBlockingFileIO(threadPool: pool),
                                            accessLog: accessLog, metrics: metrics)
        var servers: [any BindableServer] = []
        func named(_ name: String) -> Logger {
            var named = logger
            named[metadataKey: "listener"] = "\(name)"
            return named
        }
        if let http = configuration.http, configuration.engine == .epoll {
            servers.append(EpollWebServer(listen: http, configuration: configuration.server, responder: responder,
                                          threads: configuration.eventLoops ?? System.coreCount, needsRemoteAddress: accessLog != nil,
                                          logger: named("http")))
        } else if let http = configuration.http {
            servers.append(HTTPServerChild.server(listen: http, configuration: configuration.server, socketPerEventLoop: true,
                                                  responder: responder, group: group, logger: named("http")))
        }
        if let https = configuration.https, let tls {
            servers.append(HTTPServerChild.server(listen: https, configuration: configuration.server, tls: tls, socketPerEventLoop: true,
                                                  responder: responder, group: group, logger: named("https")))
        }
        if let admin = configuration.admin {
            servers.append(HTTPServerChild.server(listen: admin, configuration: HTTPServerConfiguration(maxConnections: 64),
                                                  responder: WebAdminResponder(metrics: metrics, cache: cache), group: group,
                                                  logger: named("admin")))
        }
        self.configuration = configuration
        self.servers = servers
        self.cache = cache
        self.accessLog = accessLog
        self.metrics = metrics
        self.tls = tls
        self.pool = pool
        self.logger = logger
    }

    /// Binds every listener (all or none); returns the bound addresses in order (http, https, admin: those configured).
    @discardableResult
    public func start() async throws -> [Endpoint] {
        try await servers.startAll()
    }

    /// Serves until graceful shutdown; flushes the access log every second and at the end.
    public func run() async throws {
        let accessLog = self.accessLog
        try await withThrowingDiscardingTaskGroup { group in
            if let accessLog {
                group.addTask { await accessLog.flushEverySecond() }
            }
            try await ServerGroup(servers).run()
            group.cancelAll()
        }
        accessLog?.flush()
        try? await pool.shutdownGracefully()
    }

    /// Flushes the access log and stops the file thread pool (what ``run()`` does at its end), for owners that
    /// drain the servers themselves.
    public func stopFilePool() async {
        accessLog?.flush()
        try? await pool.shutdownGracefully()
    }

    /// SIGHUP: re-reads the TLS certificate, reopens the access log, forgets the file cache.
    public func reload() async {
        cache.removeAll()
        do {
            try tls?.reload()
            try accessLog?.reopen()
            logger.notice("reloaded: certificate re-read, access log reopened, file cache emptied")
        } catch {
            logger.error("reload failed; keeping what runs", metadata: ["error": "\(error)"])
        }
    }
}
