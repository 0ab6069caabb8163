import DirectorNFT
import Foundation
public import Logging
import NIOConcurrencyHelpers
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// One running VRRP instance: the pure `VRRPRouter` driven by a thread of its own (poll on the raw socket and a
/// wake-up pipe, timers from the router's deadlines), a second thread for tracked interfaces and scripts, and
/// the actions carried out: adverts, VIPs via `ip`, gratuitous ARP / unsolicited NA, notify commands.
public final class VRRPInstance: @unchecked Sendable {
    public let configuration: VRRPInstanceConfiguration
    private let logger: Logger
    private let origin = ContinuousClock.now

    /// What the threads share, behind one lock.
    private struct Shared {
        var status: VRRPInstanceStatus
        var stopping = false
        var fault = false
        var adjustment = 0
        var trackingChanged = false
        var finished: [CheckedContinuation<Void, Never>] = []
        var done = false
    }

    private let shared: NIOLockedValueBox<Shared>
    private var socket: VRRPSocket?
    private var announcer: Announcer?
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1
    private var source: IPAddress = .v4(0)
    /// Accept_Mode off: the nftables filter installed while master, and the context that applies it (made by
    /// `start()` once nothing else can fail, shut down by `stop()`: its thread pool must not outlive the instance).
    private let filter: VirtualAddressFilter?
    private var filterTables: NFTables?

    public init(configuration: VRRPInstanceConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "vrrp_instance"] = "\(configuration.name)"
        self.logger = logger
        shared = NIOLockedValueBox(Shared(status: VRRPInstanceStatus(
            name: configuration.name, interface: configuration.interface, virtualRouterID: configuration.virtualRouterID,
            state: .initialize, configuredPriority: configuration.priority, priority: configuration.priority,
            virtualAddresses: configuration.virtualAddresses.map(\.description))))
        if configuration.filtersVirtualAddresses {
            filter = VirtualAddressFilter(interface: configuration.interface, virtualRouterID: configuration.virtualRouterID,
                                          addresses: configuration.virtualAddresses.map(\.address))
        } else {
            filter = nil
        }
    }

    deinit {
        if wakeRead >= 0 { Glibc.close(wakeRead) }
        if wakeWrite >= 0 { Glibc.close(wakeWrite) }
    }

    /// The instance's state now.
    public var status: VRRPInstanceStatus { shared.withLockedValue { $0.status } }

    /// Opens the sockets and starts the threads; throws (naming the interface) when the interface or its source
    /// address is missing or raw sockets cannot be opened.
    public func start() throws(FailoverError) {
        let name = configuration.interface
        guard let interface = NetworkInterface.lookup(name) else { throw FailoverError("instance \(configuration.name): no interface '\(name)'") }
        let candidates = configuration.family == .inet ? interface.ipv4Addresses : interface.linkLocalIPv6
        let vips = Set(configuration.virtualAddresses.map(\.address))
        guard let source = configuration.sourceAddress ?? candidates.first(where: { !vips.contains($0) }) else {
            throw FailoverError("instance \(configuration.name): interface \(name) has no \(configuration.family == .inet ? "IPv4" : "link-local IPv6") address to send adverts from")
        }
        self.source = source
        socket = try VRRPSocket(interface: interface, source: source)
        announcer = Announcer(interface: interface)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw .system("pipe") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        if filter != nil { filterTables = NFTables() }
        let stale = configuration.virtualAddresses.filter { interface.ipv4Addresses.contains($0.address) || interface.ipv6Addresses.contains($0.address) }
        let main = Thread { [self] in
            // Addresses a killed predecessor left behind would answer for the VIP while we are backup.
            for address in stale { _ = VirtualAddressCommand.run(add: false, address, interface: name) }
            if let filter { applyFilter(filter.removeBatch) }
            run()
        }
        main.name = "vrrp-\(configuration.name)"
        main.start()
        if !configuration.trackInterfaces.isEmpty || !configuration.trackScripts.isEmpty {
            let tracker = Thread { [self] in track() }
            tracker.name = "vrrp-track-\(configuration.name)"
            tracker.start()
        }
    }

    /// Stops: a master sends priority 0 and removes its addresses; returns when the thread has finished.
    public func stop() async {
        let running = shared.withLockedValue { state -> Bool in
            state.stopping = true
            return !state.done
        }
        guard running, wakeWrite >= 0 else {
            await filterTables?.shutdown()
            return
        }
        wake()
        await withCheckedContinuation { continuation in
            let resumeNow = shared.withLockedValue { state -> Bool in
                if state.done { return true }
                state.finished.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
        await filterTables?.shutdown()
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func now() -> Duration { ContinuousClock.now - origin }

    // MARK: The instance thread

    private func run() {
        let settings = VRRPRouterSettings(virtualRouterID: configuration.virtualRouterID, priority: configuration.priority,
                                          advertisementInterval: configuration.advertisementInterval, preempt: configuration.preempt,
                                          preemptDelay: configuration.preemptDelay, primaryAddress: source)
        var router = VRRPRouter(settings: settings)
        var reannounceAt: Duration?
        perform(router.start(now: now()), router: router, reannounceAt: &reannounceAt)
        while true {
            let (stopping, tracking) = shared.withLockedValue { state -> (Bool, (fault: Bool, adjustment: Int)?) in
                defer { state.trackingChanged = false }
                return (state.stopping, state.trackingChanged ? (state.fault, state.adjustment) : nil)
            }
            if stopping {
                perform(router.shutdown(), router: router, reannounceAt: &reannounceAt)
                break
            }
            if let tracking {
                perform(router.setFault(tracking.fault, now: now()), router: router, reannounceAt: &reannounceAt)
                perform(router.setPriority(Int(configuration.priority) + tracking.adjustment, now: now()), router: router, reannounceAt: &reannounceAt)
            }
            let deadlines = [router.nextDeadline, reannounceAt].compactMap { $0 }
            var timeout: Int32 = 1000
            if let next = deadlines.min() {
                let wait = next - now()
                timeout = wait <= .zero ? 0 : Int32(min(1000, (wait / .milliseconds(1)).rounded(.up)))
            }
            var fds = [pollfd(fd: socket!.receiveDescriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, timeout)
            if fds[1].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &drain, drain.count) > 0 {}
            }
            var budget = 64  // bounded work per wake-up; the rest waits for the next poll
            while budget > 0, let packet = socket!.receive() {
                budget -= 1
                perform(handle(packet, router: &router), router: router, reannounceAt: &reannounceAt)
            }
            perform(router.tick(now: now()), router: router, reannounceAt: &reannounceAt)
            if let at = reannounceAt, at <= now() {
                reannounceAt = nil
                if router.state == .master { announce() }
            }
            publish(router)
        }
        publish(router)
        let waiters = shared.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.done = true
            defer { state.finished = [] }
            return state.finished
        }
        for waiter in waiters { waiter.resume() }
    }

    private func handle(_ packet: ReceivedVRRPPacket, router: inout VRRPRouter) -> [VRRPAction] {
        if packet.source == source { return [] }
        if !configuration.unicastPeers.isEmpty && !configuration.unicastPeers.contains(packet.source) {
            count(drop: "peer")
            return []
        }
        do {
            let advert = try VRRPAdvertisement(decoding: packet.payload, source: packet.source, destination: packet.destination, ttl: packet.ttl)
            guard advert.virtualRouterID == configuration.virtualRouterID else { return [] }
            shared.withLockedValue { $0.status.advertisementsReceived += 1 }
            return router.receive(advert, from: packet.source, now: now())
        } catch {
            count(drop: error.reason)
            logger.debug("advertisement dropped", metadata: ["source": "\(packet.source)", "reason": "\(error)"])
            return []
        }
    }

    private func count(drop reason: String) {
        shared.withLockedValue { $0.status.dropped[reason, default: 0] += 1 }
    }

    private func publish(_ router: VRRPRouter) {
        shared.withLockedValue { state in
            state.status.state = router.state
            state.status.priority = router.priority
            state.status.masterAddress = router.state == .master ? source : router.state == .backup ? router.masterAddress : nil
        }
    }

    private func perform(_ actions: [VRRPAction], router: VRRPRouter, reannounceAt: inout Duration?) {
        for action in actions {
            switch action {
            case let .sendAdvertisement(priority):
                sendAdvertisement(priority: priority)
            case .takeOver:
                // The filter goes in before the addresses, so no packet to them is accepted in between.
                if let filter { applyFilter(filter.installBatch) }
                for address in configuration.virtualAddresses {
                    if let failure = VirtualAddressCommand.run(add: true, address, interface: configuration.interface), !failure.contains("File exists") {
                        note(error: failure)
                    }
                }
                announce()
                reannounceAt = configuration.announceRefresh > 0 ? now() + .milliseconds(Int64(configuration.announceRefresh * 1000)) : nil
            case .release:
                reannounceAt = nil
                for address in configuration.virtualAddresses {
                    if let failure = VirtualAddressCommand.run(add: false, address, interface: configuration.interface), !failure.contains("Cannot assign") {
                        note(error: failure)
                    }
                }
                if let filter { applyFilter(filter.removeBatch) }
            case let .transition(from, to):
                logger.notice("VRRP transition", metadata: ["from": "\(from.rawValue)", "to": "\(to.rawValue)", "priority": "\(router.priority)"])
                shared.withLockedValue { $0.status.transitions[to, default: 0] += 1 }
                publish(router)
                notify(to, priority: router.priority)
            }
        }
    }

    private func note(error: String) {
        logger.error("failover action failed", metadata: ["error": "\(error)"])
        shared.withLockedValue { $0.status.lastError = error }
    }

    /// Runs an nftables batch and waits for it on this (the instance's) thread; libnftables runs on its own thread.
    private func applyFilter(_ batch: String) {
        guard let filterTables else { return }
        let done = DispatchSemaphore(value: 0)
        let failure = NIOLockedValueBox<String?>(nil)
        Task {
            do { try await filterTables.run(batch) } catch { failure.withLockedValue { $0 = "\(error)" } }
            done.signal()
        }
        done.wait()
        if let text = failure.withLockedValue({ $0 }) { note(error: "accept_mode filter: \(text)") }
    }

    private func sendAdvertisement(priority: UInt8) {
        guard let socket else { return }
        let advert = VRRPAdvertisement(virtualRouterID: configuration.virtualRouterID, priority: priority,
                                       maxAdvertisementInterval: configuration.advertisementInterval,
                                       addresses: configuration.virtualAddresses.map(\.address))
        let destinations = configuration.unicastPeers.isEmpty
            ? [configuration.family == .inet ? VRRPAdvertisement.multicastV4 : VRRPAdvertisement.multicastV6] : configuration.unicastPeers
        for destination in destinations {
            do {
                try socket.send(try advert.encoded(source: source, destination: destination), to: destination)
                shared.withLockedValue { $0.status.advertisementsSent += 1 }
            } catch {
                note(error: "advertisement to \(destination): \(error)")
            }
        }
    }

    private func announce() {
        guard let announcer else { return }
        let addresses = configuration.virtualAddresses.map(\.address)
        for _ in 0..<configuration.announceRepeat { announcer.announce(addresses) }
    }

    private func notify(_ state: VRRPState, priority: UInt8) {
        let specific: String?
        switch state {
        case .master: specific = configuration.notify.master
        case .backup: specific = configuration.notify.backup
        case .fault: specific = configuration.notify.fault
        case .initialize: specific = nil
        }
        if let specific { BlockingCommand.start(specific, arguments: []) }
        if let any = configuration.notify.any, state != .initialize {
            BlockingCommand.start(any, arguments: ["INSTANCE", configuration.name, state.rawValue.uppercased(), "\(priority)"])
        }
    }

    // MARK: The tracking thread

    private func track() {
        var counters = configuration.trackScripts.map { RiseFallCounter(rise: $0.rise, fall: $0.fall) }
        var nextRun = configuration.trackScripts.map { _ in ContinuousClock.now }
        var last: TrackedState?
        while !shared.withLockedValue({ $0.stopping }) {
            for (index, script) in configuration.trackScripts.enumerated() where ContinuousClock.now >= nextRun[index] {
                counters[index].record(success: BlockingCommand.succeeds(script.command, timeout: script.timeout))
                nextRun[index] = ContinuousClock.now + .milliseconds(Int64(script.interval * 1000))
            }
            var items = configuration.trackInterfaces.map { TrackedState.Item(weight: $0.weight, fine: NetworkInterface.lookup($0.name)?.isUp ?? false) }
            items += zip(configuration.trackScripts, counters).map { TrackedState.Item(weight: $0.weight, fine: $1.fine) }
            let state = TrackedState(items: items)
            if state != last {
                last = state
                shared.withLockedValue {
                    $0.fault = state.fault
                    $0.adjustment = state.adjustment
                    $0.trackingChanged = true
                }
                wake()
            }
            usleep(100_000)
        }
    }
}
