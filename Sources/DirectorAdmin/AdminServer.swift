public import Logging
public import NIOCore
public import NIOPosix
public import ShoalCore
import ShoalHTTP
import ShoalServer

/// The director's HTTP admin server: JSON API, `/metrics` and the status page on the ShoalHTTP layer.
///
/// `start()` binds and serves in the background, returning the bound address; `run()` does the same and
/// waits until `shutdown()`. Shutdown is graceful: the listener closes, idle keep-alive connections close,
/// and requests in flight get their response (with `Connection: close`) before their connection closes.
/// The bearer token is checked on the request head, before any body byte is read.
public actor AdminServer {
    public nonisolated let configuration: AdminServerConfiguration
    nonisolated let server: Server<HTTPServerChild<AdminAPI>>

    public init(configuration: AdminServerConfiguration = AdminServerConfiguration(), control: any DirectorControl,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "shoal.admin")) {
        self.configuration = configuration
        let api = AdminAPI(control: control, token: configuration.token, statusRefreshSeconds: configuration.statusRefreshSeconds)
        self.server = HTTPServerChild.server(listen: configuration.listen, configuration: configuration.http, responder: api,
                                             group: group, logger: logger)
    }

    /// Binds and starts serving in the background; returns the bound address (useful with port 0).
    @discardableResult
    public func start() async throws -> Endpoint { try await server.start() }

    /// Starts (if needed) and serves until graceful shutdown (a swift-service-lifecycle service group's).
    public func run() async throws { try await server.run() }

    /// The bound address while running.
    public var boundAddress: Endpoint? { get async { await server.boundAddress } }

    /// Stops accepting, closes idle connections, lets requests in flight finish, then returns.
    public func shutdown() async { await server.shutdownGracefully() }
}
