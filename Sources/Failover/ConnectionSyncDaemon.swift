import Foundation
public import Logging
import NIOConcurrencyHelpers
public import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// Where and how state sync runs: the `failover.sync` block.
public struct ConnectionSyncConfiguration: Hashable, Sendable {
    public var interface: String
    public var syncID: UInt8
    /// Unicast peers; empty: the kernel daemons' multicast group 224.0.0.81.
    public var peers: [IPAddress]
    public var port: UInt16
    /// Seconds between a master's full sends of its persistence templates.
    public var interval: Double

    public init(interface: String, syncID: UInt8, peers: [IPAddress] = [], port: UInt16 = IPVSSyncMessage.port, interval: Double = 1) {
        self.interface = interface
        self.syncID = syncID
        self.peers = peers
        self.port = port
        self.interval = interval
    }
}

/// The IPVS sync protocol (v1) over UDP on a thread of its own: while `isMaster()` holds it sends what `entries()`
/// gives every `interval` (split into messages under 1400 bytes); every message received with its sync id goes to
/// `install` (a backup puts the entries into its table). Counters for the admin API.
public final class ConnectionSyncDaemon: @unchecked Sendable {
    public struct Counters: Hashable, Sendable {
        public var messagesSent = 0
        public var messagesReceived = 0
        public var entriesReceived = 0
        public var dropped = 0
    }

    public let configuration: ConnectionSyncConfiguration
    private let logger: Logger
    private let isMaster: @Sendable () -> Bool
    private let entries: @Sendable () -> [IPVSSyncConnection]
    private let install: @Sendable ([IPVSSyncConnection]) -> Void
    private let state = NIOLockedValueBox((counters: Counters(), stopping: false, done: false))
    private var descriptor: Int32 = -1

    public init(configuration: ConnectionSyncConfiguration, logger: Logger, isMaster: @escaping @Sendable () -> Bool,
                entries: @escaping @Sendable () -> [IPVSSyncConnection], install: @escaping @Sendable ([IPVSSyncConnection]) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.isMaster = isMaster
        self.entries = entries
        self.install = install
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    public var counters: Counters { state.withLockedValue { $0.counters } }

    /// Binds UDP port 8848 (SO_REUSEADDR), joins 224.0.0.81 on the interface, starts the thread.
    public func start() throws(FailoverError) {
        guard let interface = NetworkInterface.lookup(configuration.interface) else { throw FailoverError("sync: no interface '\(configuration.interface)'") }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .system("sync: socket") }
        descriptor = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(4))
        var ttl: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_TTL, &ttl, socklen_t(4))
        var loop: Int32 = 0
        setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_LOOP, &loop, socklen_t(4))
        var request = ip_mreqn()
        request.imr_multiaddr.s_addr = UInt32(0xE000_0051).bigEndian
        request.imr_ifindex = Int32(bitPattern: interface.index)
        setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, &request, socklen_t(MemoryLayout<ip_mreqn>.size))
        var address = VRRPSocket.socketAddress(.v4(0), port: configuration.port, scope: 0)
        let bound = withUnsafeBytes(of: &address.storage) { bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), address.length) }
        guard bound == 0 else { throw .system("sync: bind port \(configuration.port)") }
        if configuration.peers.isEmpty {
            guard setsockopt(fd, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, &request, socklen_t(MemoryLayout<ip_mreqn>.size)) == 0 else {
                throw .system("sync: join 224.0.0.81 on \(configuration.interface)")
            }
        }
        let thread = Thread { [self] in run() }
        thread.name = "ipvs-sync"
        thread.start()
    }

    public func stop() {
        state.withLockedValue { $0.stopping = true }
    }

    private func run() {
        var nextSend = ContinuousClock.now
        while !state.withLockedValue({ $0.stopping }) {
            var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 1, 100)
            var budget = 64
            while budget > 0 {
                budget -= 1
                var buffer = [UInt8](repeating: 0, count: IPVSSyncMessage.maximumLength + 1)
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count < 0 { break }
                receive(Array(buffer[0..<count]))
            }
            if ContinuousClock.now >= nextSend {
                nextSend = ContinuousClock.now + .milliseconds(Int64(configuration.interval * 1000))
                if isMaster() { send(entries()) }
            }
        }
        state.withLockedValue { $0.done = true }
    }

    private func receive(_ bytes: [UInt8]) {
        guard let message = try? IPVSSyncMessage(decoding: bytes), message.syncID == configuration.syncID else {
            state.withLockedValue { $0.counters.dropped += 1 }
            return
        }
        state.withLockedValue {
            $0.counters.messagesReceived += 1
            $0.counters.entriesReceived += message.connections.count
        }
        if !isMaster() { install(message.connections) }
    }

    /// Sends the entries in messages of at most 1400 bytes (an Ethernet MTU with room for headers).
    func send(_ all: [IPVSSyncConnection]) {
        var batch: [IPVSSyncConnection] = []
        var size = IPVSSyncMessage.headerLength
        func flush() {
            guard !batch.isEmpty, let bytes = try? IPVSSyncMessage(syncID: configuration.syncID, connections: batch).encoded() else { return }
            let destinations = configuration.peers.isEmpty ? [IPVSSyncMessage.multicastGroup] : configuration.peers
            for destination in destinations {
                var address = VRRPSocket.socketAddress(destination, port: configuration.port, scope: 0)
                let sent = bytes.withUnsafeBytes { payload in
                    withUnsafeBytes(of: &address.storage) {
                        sendto(descriptor, payload.baseAddress, payload.count, 0, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), address.length)
                    }
                }
                if sent == bytes.count { state.withLockedValue { $0.counters.messagesSent += 1 } }
            }
            batch = []
            size = IPVSSyncMessage.headerLength
        }
        for entry in all {
            let entrySize = entry.client.family == .inet ? 36 : 72
            if size + entrySize > 1400 || batch.count == 255 { flush() }
            batch.append(entry)
            size += entrySize
        }
        flush()
    }
}
