import ICP
public import Logging
public import NIOCore
import NIOConcurrencyHelpers
public import NIOPosix
public import ServiceLifecycle
public import ShoalCore
public import ShoalHTTP
public import ShoalServer
import WebServer

/// A cache node: the caching proxy on ShoalHTTP, its disk store, its ICP socket and `/metrics`, as one service.
public final class CacheNode: Service, Sendable {
    public let configuration: CacheNodeConfiguration
    public let store: CacheStore
    public let responder: CacheResponder
    public let icp: ICPEndpoint?
    public let metrics: CacheMetrics
    public let servers: [any BindableServer]
    let group: any EventLoopGroup
    let pool: NIOThreadPool
    let accessLog: AccessLog?
    let logger: Logger

    /// Opens the store (loading what is on disk) and builds the servers; nothing is bound yet.
    public init(_ configuration: CacheNodeConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "shoal.cache-node")) throws {
        let pool = NIOThreadPool(numberOfThreads: configuration.threads)
        pool.start()
        let policy = CachePolicy(targetedField: configuration.targetedField, maximumObjectBytes: configuration.maximumObjectBytes)
        let store: CacheStore
        let accessLog: AccessLog?
        do {
            store = try CacheStore(directory: configuration.storeDirectory, capacityBytes: configuration.capacityBytes,
                                   memoryBytes: configuration.memoryBytes, memoryObjectLimit: configuration.memoryObjectLimit, policy: policy, pool: pool)
            accessLog = try configuration.accessLogPath.map { path throws(AccessLogError) in try AccessLog(path: path, pool: pool) }
        } catch {
            try? pool.syncShutdownGracefully()
            throw error
        }
        let metrics = CacheMetrics()
        var settings = CacheSettings(name: configuration.name, siteAuthority: configuration.siteAuthority, forwardProxy: configuration.forwardProxy,
                                     policy: policy, purgeAllowed: configuration.purgeAllowed,
                                     maximumFills: configuration.maximumFills)
        settings.connectPorts = configuration.connectPorts
        settings.tunnelIdleTimeout = configuration.tunnelIdleTimeout
        settings.carp = configuration.carp.map { CARPRouter(members: $0.members, selfName: $0.selfName, downSeconds: $0.downSeconds,
                                                                       keepsOthers: $0.keepsOthers) }
        let client = OriginClient(group: group, responseTimeout: .milliseconds(Int64(configuration.originTimeout * 1000)),
                                  maximumBodyBytes: max(configuration.maximumObjectBytes, 64 << 20))
        let origins = configuration.origins.isEmpty ? nil : OriginPool(servers: configuration.origins, retryAfter: configuration.originRetryAfter)
        let box = ResponderBox()
        let icp = configuration.icpListen.map { _ in
            ICPEndpoint(peers: configuration.peers, allowed: configuration.icpAllow, downAfter: configuration.icpDownAfter,
                        timeoutPolicy: ICPTimeoutPolicy(floor: Int64(configuration.icpTimeoutFloorMilliseconds) * 1_000_000,
                                                       ceiling: Int64(configuration.icpTimeoutMilliseconds) * 1_000_000),
                        pollMicroseconds: configuration.icpPollMicroseconds, multicast: configuration.icpMulticast,
                        groups: configuration.icpGroups, logger: logger,
                        overloaded: { box.responder?.isOverloaded ?? true }) { url in
                box.responder?.icpState(url: url) ?? .miss
            }
        }
        let responder = CacheResponder(settings: settings, store: store, client: client, origins: origins, icp: icp, metrics: metrics,
                                       accessLog: accessLog)
        box.responder = responder
        var servers: [any BindableServer] = [
            HTTPServerChild.server(listen: configuration.http, configuration: configuration.server, socketPerEventLoop: true,
                                   responder: responder, group: group, logger: logger),
        ]
        if let admin = configuration.admin {
            servers.append(HTTPServerChild.server(listen: admin, configuration: HTTPServerConfiguration(maxConnections: 64),
                                                  responder: CacheAdminResponder(metrics: metrics, store: store, icp: icp), group: group,
                                                  logger: logger))
        }
        self.configuration = configuration
        self.store = store
        self.responder = responder
        self.icp = icp
        self.metrics = metrics
        self.servers = servers
        self.group = group
        self.pool = pool
        self.accessLog = accessLog
        self.logger = logger
    }

    /// Binds the ICP socket and every listener; returns the bound addresses (http, admin when configured, icp when configured).
    @discardableResult
    public func start() async throws -> [Endpoint] {
        var bound = try await servers.startAll()
        if let icp, let listen = configuration.icpListen {
            bound.append(try await icp.start(listen: listen, group: group))
        }
        return bound
    }

    /// Serves until graceful shutdown.
    public func run() async throws {
        let accessLog = self.accessLog
        try await withThrowingDiscardingTaskGroup { group in
            if let accessLog {
                group.addTask { await accessLog.flushEverySecond() }
            }
            try await ServerGroup(servers).run()
            group.cancelAll()
        }
        await icp?.close()
        accessLog?.flush()
        try? await pool.shutdownGracefully()
    }

    /// Drains the listeners, closes the ICP socket and stops the disk pool (for owners that do not call ``run()``).
    public func stop() async {
        for server in servers { await server.shutdownGracefully() }
        await icp?.close()
        accessLog?.flush()
        try? await pool.shutdownGracefully()
    }

    /// Writes the buffered access log lines now.
    public func flushAccessLog() { accessLog?.flush() }

    /// SIGHUP: reopens the access log.
    public func reload() async {
        do {
            try accessLog?.reopen()
            logger.notice("reloaded: access log reopened")
        } catch {
            logger.error("reload failed; keeping what runs", metadata: ["error": "\(error)"])
        }
    }
}

/// The responder, set once after the ICP endpoint that needs it is built.
final class ResponderBox: @unchecked Sendable {
    private let lock = NIOLock()
    private var value: CacheResponder?
    var responder: CacheResponder? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// The cache node's admin address: `GET /metrics`.
public struct CacheAdminResponder: HTTPResponder {
    public let metrics: CacheMetrics
    public let store: CacheStore
    public let icp: ICPEndpoint?

    public func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        guard request.head.uri == "/metrics" else { return .text(.notFound, "not found (try /metrics)\n") }
        var response = HTTPServerResponse.text(.ok, metrics.text(store: store.usage, icp: icp?.counters))
        response.headers.replaceOrAdd(name: "Content-Type", value: "text/plain; version=0.0.4")
        return response
    }
}
