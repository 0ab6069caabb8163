public import Director
import NIOConcurrencyHelpers
import NIOPosix
import ShoalCore

/// A client of the kernel's IPVS over generic netlink. Its blocking netlink calls run on a thread pool of
/// its own (one socket per thread at most, reused), never on an event loop or the concurrency pool.
public final class IPVSKernel: Sendable {
    let pool: NIOThreadPool
    private let idle = NIOLockedValueBox<[SocketBox]>([])

    /// A socket handed between pool threads, used by one at a time.
    private final class SocketBox: @unchecked Sendable {
        let socket: IPVSNetlinkSocket
        init(_ socket: IPVSNetlinkSocket) { self.socket = socket }
    }

    /// `threads`: how many netlink calls may run at once (each on its own socket).
    public init(threads: Int = 1) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    /// Stops the thread pool; later calls fail.
    public func shutdown() async {
        try? await pool.shutdownGracefully()
        idle.withLockedValue { $0.removeAll() }
    }

    /// Runs `body` on a pool thread with a socket (opened on first use, then reused).
    public func withSocket<T: Sendable>(_ body: @escaping @Sendable (IPVSKernelSession) throws(IPVSKernelError) -> T) async throws(IPVSKernelError) -> T {
        do {
            return try await pool.runIfActive { [idle] () throws -> T in
                let box = try idle.withLockedValue { $0.popLast() } ?? SocketBox(IPVSNetlinkSocket())
                defer { idle.withLockedValue { $0.append(box) } }
                return try body(IPVSKernelSession(socket: box.socket))
            }
        } catch let error as IPVSKernelError {
            throw error
        } catch {
            throw IPVSKernelError(.initialize, .socket("thread pool: \(error)"))
        }
    }

    /// Sends one request and returns the bodies of its answer.
    public func perform(_ request: IPVSRequest) async throws(IPVSKernelError) -> [GenericNetlinkBody] {
        try await withSocket { session throws(IPVSKernelError) in try session.perform(request) }
    }

    /// Applies table commands in order in one trip to the pool, stopping at the first failure; the error
    /// says which command (by index) failed.
    public func apply(_ commands: [IPVSCommand]) async throws(IPVSBatchError) {
        let requests: [IPVSRequest]
        do {
            requests = try commands.map { command throws(IPVSKernelError) in try IPVSRequest(command) }
        } catch {
            throw IPVSBatchError(index: 0, command: commands.first, error: error)
        }
        let failure: IPVSBatchError?
        do throws(IPVSKernelError) {
            failure = try await withSocket { session throws(IPVSKernelError) -> IPVSBatchError? in
                for (index, request) in requests.enumerated() {
                    do throws(IPVSKernelError) { _ = try session.perform(request) } catch {
                        return IPVSBatchError(index: index, command: commands[index], error: error)
                    }
                }
                return nil
            }
        } catch {
            throw IPVSBatchError(index: 0, command: commands.first, error: error)
        }
        if let failure { throw failure }
    }

    /// Everything `ipvsadm -L` shows: services with their real servers, timeouts and the IPVS info.
    public func snapshot() async throws(IPVSKernelError) -> IPVSSnapshot {
        try await withSocket { session throws(IPVSKernelError) in try session.snapshot() }
    }
}

/// A command of a batch failed: its index, the command, and the kernel's error.
public struct IPVSBatchError: Error, Sendable, CustomStringConvertible {
    public var index: Int
    public var command: IPVSCommand?
    public var error: IPVSKernelError
    public var description: String {
        "\(command.map { "\($0): " } ?? "")\(error)"
    }
}

/// The kernel's table at one moment, as dumps return it.
public struct IPVSSnapshot: Hashable, Sendable {
    /// One service and its real servers in the kernel's list order (the newest first).
    public struct Service: Hashable, Sendable {
        public var service: IPVSServiceEntry
        public var servers: [IPVSDestEntry]
        public init(service: IPVSServiceEntry, servers: [IPVSDestEntry]) {
            self.service = service
            self.servers = servers
        }
    }

    /// Services in the kernel's dump order.
    public var services: [Service]
    public var timeouts: Timeouts
    public var info: IPVSInfo

    public init(services: [Service], timeouts: Timeouts, info: IPVSInfo) {
        self.services = services
        self.timeouts = timeouts
        self.info = info
    }
}

/// The calls of one pool thread holding one socket: blocking, so only ever inside `IPVSKernel.withSocket`.
public struct IPVSKernelSession {
    let socket: IPVSNetlinkSocket

    /// Sends one request and returns the bodies of its answer.
    public func perform(_ request: IPVSRequest) throws(IPVSKernelError) -> [GenericNetlinkBody] {
        try socket.transact(request)
    }

    /// Every service (IPVS_CMD_GET_SERVICE dump).
    public func services() throws(IPVSKernelError) -> [IPVSServiceEntry] {
        try perform(.getServices).map { body throws(IPVSKernelError) in
            do throws(NetlinkParseError) { return try IPVSReplyDecoder.service(body) } catch { throw IPVSKernelError(.getServices, .malformed(error)) }
        }
    }

    /// The real servers of one service in the kernel's list order.
    public func dests(_ key: VirtualServiceKey) throws(IPVSKernelError) -> [IPVSDestEntry] {
        try perform(.getDests(key)).map { body throws(IPVSKernelError) in
            do throws(NetlinkParseError) { return try IPVSReplyDecoder.dest(body, serviceFamily: key.family) } catch { throw IPVSKernelError(.getDests, .malformed(error)) }
        }
    }

    /// The three timeouts.
    public func timeouts() throws(IPVSKernelError) -> Timeouts {
        guard let body = try perform(.getConfig).first else { throw IPVSKernelError(.getTimeout, .malformed(NetlinkParseError(context: "timeouts", "no reply"))) }
        do throws(NetlinkParseError) { return try IPVSReplyDecoder.timeouts(body) } catch { throw IPVSKernelError(.getTimeout, .malformed(error)) }
    }

    /// The IPVS version and connection table size.
    public func info() throws(IPVSKernelError) -> IPVSInfo {
        guard let body = try perform(.getInfo).first else { throw IPVSKernelError(.getInfo, .malformed(NetlinkParseError(context: "info", "no reply"))) }
        do throws(NetlinkParseError) { return try IPVSReplyDecoder.info(body) } catch { throw IPVSKernelError(.getInfo, .malformed(error)) }
    }

    /// The running sync daemons.
    public func daemons() throws(IPVSKernelError) -> [IPVSSyncDaemon] {
        try perform(.getDaemons).map { body throws(IPVSKernelError) in
            do throws(NetlinkParseError) { return try IPVSReplyDecoder.daemon(body) } catch { throw IPVSKernelError(.getDaemon, .malformed(error)) }
        }
    }

    /// Services, their servers, timeouts and info.
    public func snapshot() throws(IPVSKernelError) -> IPVSSnapshot {
        let services = try services()
        var entries: [IPVSSnapshot.Service] = []
        for service in services { entries.append(IPVSSnapshot.Service(service: service, servers: try dests(service.config.key))) }
        return IPVSSnapshot(services: entries, timeouts: try timeouts(), info: try info())
    }
}
