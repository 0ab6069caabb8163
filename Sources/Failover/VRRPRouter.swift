public import ShoalCore

/// A VRRP router's state (RFC 5798 §6.4, plus keepalived's FAULT for a failed tracked interface or script).
public enum VRRPState: String, Hashable, Sendable, CaseIterable {
    case initialize, backup, master, fault
}

/// What the router wants done; the I/O layer carries it out in order.
public enum VRRPAction: Hashable, Sendable {
    /// Send an advertisement with this priority (0 when giving up mastership).
    case sendAdvertisement(priority: UInt8)
    /// Add the virtual addresses and announce them (gratuitous ARP / unsolicited NA).
    case takeOver
    /// Remove the virtual addresses.
    case release
    /// The state changed: run the notify commands, count the transition.
    case transition(from: VRRPState, to: VRRPState)
}

/// One virtual router's settings as the state machine needs them (RFC 5798 §6.1).
public struct VRRPRouterSettings: Hashable, Sendable {
    public var virtualRouterID: UInt8
    /// Configured priority, 1...255 (255: the address owner).
    public var priority: UInt8
    /// Advertisement_Interval in centiseconds, 1...4095.
    public var advertisementInterval: UInt16
    /// Preempt_Mode: a higher-priority backup takes over from a lower-priority master.
    public var preempt: Bool
    /// Centiseconds a backup waits, after first seeing a lower-priority master, before preempting it (keepalived's preempt_delay).
    public var preemptDelay: UInt32
    /// The address adverts are sent from, compared on equal priority (RFC 5798 §6.4.3).
    public var primaryAddress: IPAddress

    public init(virtualRouterID: UInt8, priority: UInt8, advertisementInterval: UInt16, preempt: Bool = true,
                preemptDelay: UInt32 = 0, primaryAddress: IPAddress) {
        self.virtualRouterID = virtualRouterID
        self.priority = priority
        self.advertisementInterval = advertisementInterval
        self.preempt = preempt
        self.preemptDelay = preemptDelay
        self.primaryAddress = primaryAddress
    }
}

/// RFC 5798 §6.4's state machine as a value: events in (with the time, injected), actions out, the next timer
/// deadline readable by the driver. No I/O, no clock of its own. Times are `Duration`s since any fixed origin.
public struct VRRPRouter: Hashable, Sendable {
    public private(set) var settings: VRRPRouterSettings
    public private(set) var state: VRRPState = .initialize
    /// The priority in force: the configured one adjusted by tracking (1...254 unless the owner's 255).
    public private(set) var priority: UInt8
    /// Master_Adver_Interval (centiseconds): the master's, as learnt from its adverts in Backup.
    public private(set) var masterAdvertisementInterval: UInt16
    /// Master_Down_Timer's deadline (Backup only).
    public private(set) var masterDownDeadline: Duration?
    /// Adver_Timer's deadline (Master only).
    public private(set) var advertisementDeadline: Duration?
    /// While a backup waits out preempt_delay: when it may preempt.
    public private(set) var preemptAllowedAt: Duration?
    /// Whether a tracked failure holds the router in FAULT.
    public private(set) var faulted = false
    /// Whether the router has been started (and not shut down).
    public private(set) var running = false
    /// The source of the last advert accepted from the master (Backup), for the status page.
    public private(set) var masterAddress: IPAddress?

    public init(settings: VRRPRouterSettings) {
        self.settings = settings
        priority = settings.priority
        masterAdvertisementInterval = settings.advertisementInterval
    }

    /// Skew_Time in centiseconds: ((256 − Priority) × Master_Adver_Interval) / 256.
    public var skewTime: UInt32 { (256 - UInt32(priority)) * UInt32(masterAdvertisementInterval) / 256 }
    /// Master_Down_Interval in centiseconds: 3 × Master_Adver_Interval + Skew_Time.
    public var masterDownInterval: UInt32 { 3 * UInt32(masterAdvertisementInterval) + skewTime }
    /// The earliest pending timer.
    public var nextDeadline: Duration? {
        switch (masterDownDeadline, advertisementDeadline) {
        case let (a?, b?): return min(a, b)
        case let (a?, nil): return a
        case let (nil, b?): return b
        case (nil, nil): return nil
        }
    }

    static func centiseconds(_ value: UInt32) -> Duration { .milliseconds(Int64(value) * 10) }

    // MARK: Events

    /// Startup (RFC 5798 §6.4.1).
    public mutating func start(now: Duration) -> [VRRPAction] {
        guard !running else { return [] }
        running = true
        return faulted ? enterFault() : startFromInitialize(now: now)
    }

    /// Shutdown: a master sends priority 0 and releases the addresses (§6.4.3); any state returns to Initialize.
    public mutating func shutdown() -> [VRRPAction] {
        guard running else { return [] }
        running = false
        var actions: [VRRPAction] = []
        if state == .master { actions += [.sendAdvertisement(priority: 0), .release] }
        actions += moveTo(.initialize)
        clearTimers()
        return actions
    }

    /// Fires the timers due at `now` (the driver calls this at or after `nextDeadline`).
    public mutating func tick(now: Duration) -> [VRRPAction] {
        switch state {
        case .backup:
            guard let deadline = masterDownDeadline, deadline <= now else { return [] }
            return becomeMaster(now: now)
        case .master:
            guard let deadline = advertisementDeadline, deadline <= now else { return [] }
            advertisementDeadline = now + Self.centiseconds(UInt32(settings.advertisementInterval))
            return [.sendAdvertisement(priority: priority)]
        case .initialize, .fault:
            return []
        }
    }

    /// A received advertisement that passed the codec's checks, from `source` (§6.4.2, §6.4.3).
    public mutating func receive(_ advert: VRRPAdvertisement, from source: IPAddress, now: Duration) -> [VRRPAction] {
        guard advert.virtualRouterID == settings.virtualRouterID else { return [] }
        switch state {
        case .backup:
            if advert.priority == 0 {
                masterDownDeadline = now + Self.centiseconds(skewTime)
                return []
            }
            if !settings.preempt || advert.priority >= priority || holdingBackPreemption(now: now) {
                masterAdvertisementInterval = max(1, advert.maxAdvertisementInterval)
                masterDownDeadline = now + Self.centiseconds(masterDownInterval)
                masterAddress = source
            }
            return []
        case .master:
            if advert.priority == 0 {
                advertisementDeadline = now + Self.centiseconds(UInt32(settings.advertisementInterval))
                return [.sendAdvertisement(priority: priority)]
            }
            if advert.priority > priority || (advert.priority == priority && Self.greater(source, settings.primaryAddress)) {
                masterAdvertisementInterval = max(1, advert.maxAdvertisementInterval)
                masterAddress = source
                return becomeBackup(now: now)
            }
            return []
        case .initialize, .fault:
            return []
        }
    }

    /// Tracking changed the priority in force (clamped to 1...254; the owner's 255 is never adjusted).
    /// A master advertises the new priority at once, so a better backup can preempt without waiting.
    public mutating func setPriority(_ value: Int, now: Duration) -> [VRRPAction] {
        let clamped: UInt8 = settings.priority == 255 ? 255 : UInt8(max(1, min(254, value)))
        guard clamped != priority else { return [] }
        priority = clamped
        if state == .master {
            advertisementDeadline = now + Self.centiseconds(UInt32(settings.advertisementInterval))
            return [.sendAdvertisement(priority: priority)]
        }
        return []
    }

    /// A tracked interface or script without a weight failed (true) or recovered (false).
    public mutating func setFault(_ fault: Bool, now: Duration) -> [VRRPAction] {
        guard fault != faulted else { return [] }
        faulted = fault
        guard running else { return [] }
        if fault { return enterFault() }
        return startFromInitialize(now: now)
    }

    // MARK: Transitions

    private mutating func startFromInitialize(now: Duration) -> [VRRPAction] {
        if priority == 255 { return becomeMaster(now: now) }
        return becomeBackup(now: now)
    }

    private mutating func becomeMaster(now: Duration) -> [VRRPAction] {
        clearTimers()
        masterAddress = nil
        advertisementDeadline = now + Self.centiseconds(UInt32(settings.advertisementInterval))
        return [.sendAdvertisement(priority: priority), .takeOver] + moveTo(.master)
    }

    private mutating func becomeBackup(now: Duration) -> [VRRPAction] {
        let wasMaster = state == .master
        clearTimers()
        if !wasMaster { masterAdvertisementInterval = settings.advertisementInterval }
        masterDownDeadline = now + Self.centiseconds(masterDownInterval)
        return (wasMaster ? [.release] : []) + moveTo(.backup)
    }

    private mutating func enterFault() -> [VRRPAction] {
        var actions: [VRRPAction] = []
        if state == .master { actions += [.sendAdvertisement(priority: 0), .release] }
        clearTimers()
        return actions + moveTo(.fault)
    }

    private mutating func moveTo(_ next: VRRPState) -> [VRRPAction] {
        guard next != state else { return [] }
        let previous = state
        state = next
        return [.transition(from: previous, to: next)]
    }

    private mutating func clearTimers() {
        masterDownDeadline = nil
        advertisementDeadline = nil
        preemptAllowedAt = nil
    }

    /// preempt_delay: the first lower-priority advert starts the wait; until it ends the master is accepted.
    private mutating func holdingBackPreemption(now: Duration) -> Bool {
        guard settings.preemptDelay > 0 else { return false }
        if preemptAllowedAt == nil { preemptAllowedAt = now + Self.centiseconds(settings.preemptDelay) }
        return now < preemptAllowedAt!
    }

    /// Address order for the tie-break: numeric, IPv4 before IPv6.
    static func greater(_ a: IPAddress, _ b: IPAddress) -> Bool {
        switch (a, b) {
        case let (.v4(x), .v4(y)): return x > y
        case let (.v6(ah, al), .v6(bh, bl)): return (ah, al) > (bh, bl)
        case (.v6, .v4): return true
        case (.v4, .v6): return false
        }
    }
}
