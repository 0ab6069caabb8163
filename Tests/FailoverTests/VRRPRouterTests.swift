import Failover
import ShoalCore
import Testing

/// RFC 5798 §6.4's state table, row by row, with the clock injected (times in centiseconds from 0).
@Suite struct VRRPRouterTests {
    static let me = IPAddress("10.0.0.2")!
    static let lower = IPAddress("10.0.0.1")!
    static let higher = IPAddress("10.0.0.3")!

    static func cs(_ n: Int64) -> Duration { .milliseconds(n * 10) }

    static func router(priority: UInt8 = 100, interval: UInt16 = 100, preempt: Bool = true, delay: UInt32 = 0) -> VRRPRouter {
        VRRPRouter(settings: VRRPRouterSettings(virtualRouterID: 51, priority: priority, advertisementInterval: interval,
                                                preempt: preempt, preemptDelay: delay, primaryAddress: me))
    }

    static func advert(_ priority: UInt8, interval: UInt16 = 100, vrid: UInt8 = 51) -> VRRPAdvertisement {
        VRRPAdvertisement(virtualRouterID: vrid, priority: priority, maxAdvertisementInterval: interval, addresses: [IPAddress("10.0.0.100")!])
    }

    static func master(priority: UInt8 = 100, interval: UInt16 = 100, preempt: Bool = true) -> VRRPRouter {
        var r = router(priority: priority, interval: interval, preempt: preempt)
        _ = r.start(now: cs(0))
        _ = r.tick(now: r.nextDeadline!)
        return r
    }

    // MARK: Timers

    @Test func skewAndMasterDownIntervalFollowTheRFC() {
        let r = Self.router(priority: 100, interval: 100)
        #expect(r.skewTime == 60)  // (256-100)*100/256 = 60.9, integer arithmetic
        #expect(r.masterDownInterval == 360)
        let fast = Self.router(priority: 254, interval: 10)
        #expect(fast.skewTime == 0)
        #expect(fast.masterDownInterval == 30)
        let low = Self.router(priority: 1, interval: 4095)
        #expect(low.skewTime == 255 * 4095 / 256)
    }

    // MARK: Initialize

    @Test func startupOfTheOwnerGoesStraightToMaster() {
        var r = Self.router(priority: 255)
        let actions = r.start(now: Self.cs(0))
        #expect(actions == [.sendAdvertisement(priority: 255), .takeOver, .transition(from: .initialize, to: .master)])
        #expect(r.state == .master)
        #expect(r.advertisementDeadline == Self.cs(100))
        #expect(r.masterDownDeadline == nil)
    }

    @Test func startupOfOthersGoesToBackupWithTheMasterDownTimer() {
        var r = Self.router(priority: 100)
        #expect(r.start(now: Self.cs(5)) == [.transition(from: .initialize, to: .backup)])
        #expect(r.state == .backup)
        #expect(r.masterDownDeadline == Self.cs(5 + 360))
        #expect(r.advertisementDeadline == nil)
        #expect(r.start(now: Self.cs(6)) == [])
    }

    // MARK: Backup

    @Test func backupBecomesMasterWhenTheMasterDownTimerFires() {
        var r = Self.router()
        _ = r.start(now: Self.cs(0))
        #expect(r.tick(now: Self.cs(359)) == [])
        #expect(r.tick(now: Self.cs(360)) == [.sendAdvertisement(priority: 100), .takeOver, .transition(from: .backup, to: .master)])
        #expect(r.advertisementDeadline == Self.cs(460))
    }

    @Test func backupResetsTheTimerOnAnAdvertFromAnEqualOrHigherMaster() {
        for priority: UInt8 in [100, 150, 255] {
            var r = Self.router()
            _ = r.start(now: Self.cs(0))
            #expect(r.receive(Self.advert(priority, interval: 50), from: Self.higher, now: Self.cs(300)) == [])
            #expect(r.masterAdvertisementInterval == 50)
            #expect(r.masterDownDeadline == Self.cs(300 + 150 + 30))  // 3*50 + (156*50/256 = 30)
            #expect(r.masterAddress == Self.higher)
        }
    }

    @Test func backupWithPreemptDiscardsALowerPriorityAdvert() {
        var r = Self.router(priority: 100)
        _ = r.start(now: Self.cs(0))
        #expect(r.receive(Self.advert(50), from: Self.lower, now: Self.cs(300)) == [])
        #expect(r.masterDownDeadline == Self.cs(360))
        #expect(r.tick(now: Self.cs(360)).contains(.takeOver))
    }

    @Test func backupWithoutPreemptAcceptsALowerPriorityMaster() {
        var r = Self.router(priority: 100, preempt: false)
        _ = r.start(now: Self.cs(0))
        _ = r.receive(Self.advert(50), from: Self.lower, now: Self.cs(300))
        #expect(r.masterDownDeadline == Self.cs(660))
        #expect(r.tick(now: Self.cs(400)) == [])
        #expect(r.state == .backup)
    }

    @Test func preemptDelayHoldsTheBackupUntilItEnds() {
        var r = Self.router(priority: 100, delay: 500)
        _ = r.start(now: Self.cs(0))
        // The first lower advert starts the 5 s wait: the master is accepted until cs 800.
        _ = r.receive(Self.advert(50), from: Self.lower, now: Self.cs(300))
        #expect(r.preemptAllowedAt == Self.cs(800))
        #expect(r.masterDownDeadline == Self.cs(660))
        _ = r.receive(Self.advert(50), from: Self.lower, now: Self.cs(600))
        #expect(r.masterDownDeadline == Self.cs(960))
        // After the wait, lower adverts are discarded and the timer runs out.
        _ = r.receive(Self.advert(50), from: Self.lower, now: Self.cs(900))
        #expect(r.masterDownDeadline == Self.cs(960))
        #expect(r.tick(now: Self.cs(960)).contains(.takeOver))
    }

    @Test func backupSeeingPriorityZeroWaitsOnlyTheSkewTime() {
        var r = Self.router(priority: 100)
        _ = r.start(now: Self.cs(0))
        _ = r.receive(Self.advert(200), from: Self.higher, now: Self.cs(100))
        #expect(r.receive(Self.advert(0), from: Self.higher, now: Self.cs(150)) == [])
        #expect(r.masterDownDeadline == Self.cs(150 + 60))
        #expect(r.tick(now: Self.cs(210)).contains(.takeOver))
    }

    @Test func advertsForAnotherRouterAreIgnored() {
        var r = Self.router()
        _ = r.start(now: Self.cs(0))
        _ = r.receive(Self.advert(200, vrid: 52), from: Self.higher, now: Self.cs(300))
        #expect(r.masterDownDeadline == Self.cs(360))
        var m = Self.master()
        #expect(m.receive(Self.advert(200, vrid: 52), from: Self.higher, now: Self.cs(400)) == [])
        #expect(m.state == .master)
    }

    // MARK: Master

    @Test func masterAdvertisesEveryInterval() {
        var r = Self.master(interval: 10)  // 0.1 s adverts
        let start = r.advertisementDeadline!
        #expect(r.tick(now: start - Self.cs(1)) == [])
        #expect(r.tick(now: start) == [.sendAdvertisement(priority: 100)])
        #expect(r.advertisementDeadline == start + Self.cs(10))
    }

    @Test func masterYieldsToAHigherPriority() {
        var r = Self.master()
        let actions = r.receive(Self.advert(150, interval: 30), from: Self.lower, now: Self.cs(1000))
        #expect(actions == [.release, .transition(from: .master, to: .backup)])
        #expect(r.advertisementDeadline == nil)
        #expect(r.masterAdvertisementInterval == 30)
        #expect(r.masterDownDeadline == Self.cs(1000 + 90 + 156 * 30 / 256))
    }

    @Test func equalPriorityIsBrokenByTheHigherPrimaryAddress() {
        var r = Self.master()
        #expect(r.receive(Self.advert(100), from: Self.lower, now: Self.cs(1000)) == [])
        #expect(r.state == .master)
        #expect(r.receive(Self.advert(100), from: Self.higher, now: Self.cs(1001)).contains(.release))
        #expect(r.state == .backup)
    }

    @Test func masterDiscardsALowerPriority() {
        var r = Self.master()
        #expect(r.receive(Self.advert(99), from: Self.higher, now: Self.cs(1000)) == [])
        #expect(r.state == .master)
    }

    @Test func masterAnswersPriorityZeroAtOnce() {
        var r = Self.master()
        #expect(r.receive(Self.advert(0), from: Self.higher, now: Self.cs(1000)) == [.sendAdvertisement(priority: 100)])
        #expect(r.advertisementDeadline == Self.cs(1100))
    }

    @Test func masterShutdownSendsPriorityZeroAndReleases() {
        var r = Self.master()
        #expect(r.shutdown() == [.sendAdvertisement(priority: 0), .release, .transition(from: .master, to: .initialize)])
        #expect(r.nextDeadline == nil)
        var b = Self.router()
        _ = b.start(now: Self.cs(0))
        #expect(b.shutdown() == [.transition(from: .backup, to: .initialize)])
        #expect(b.shutdown() == [])
    }

    // MARK: Tracking

    @Test func trackedPriorityIsClampedAndAdvertisedByAMaster() {
        var r = Self.master()
        #expect(r.setPriority(80, now: Self.cs(1000)) == [.sendAdvertisement(priority: 80)])
        #expect(r.priority == 80)
        #expect(r.setPriority(80, now: Self.cs(1001)) == [])
        _ = r.setPriority(-20, now: Self.cs(1002))
        #expect(r.priority == 1)
        _ = r.setPriority(400, now: Self.cs(1003))
        #expect(r.priority == 254)
        var owner = Self.router(priority: 255)
        _ = owner.start(now: Self.cs(0))
        #expect(owner.setPriority(100, now: Self.cs(1)) == [])
        #expect(owner.priority == 255)
    }

    @Test func lowerTrackedPriorityLetsAPreemptingBackupWin() {
        var r = Self.master(priority: 150)
        _ = r.setPriority(90, now: Self.cs(1000))
        #expect(r.receive(Self.advert(100), from: Self.lower, now: Self.cs(1010)).contains(.release))
    }

    @Test func faultReleasesAndRecoveryStartsOver() {
        var r = Self.master()
        #expect(r.setFault(true, now: Self.cs(1000)) == [.sendAdvertisement(priority: 0), .release, .transition(from: .master, to: .fault)])
        #expect(r.nextDeadline == nil)
        #expect(r.receive(Self.advert(50), from: Self.lower, now: Self.cs(1001)) == [])
        #expect(r.tick(now: Self.cs(5000)) == [])
        #expect(r.setFault(false, now: Self.cs(2000)) == [.transition(from: .fault, to: .backup)])
        #expect(r.masterDownDeadline == Self.cs(2360))
    }

    @Test func faultBeforeStartIsEnteredAtStart() {
        var r = Self.router()
        #expect(r.setFault(true, now: Self.cs(0)) == [])
        #expect(r.start(now: Self.cs(1)) == [.transition(from: .initialize, to: .fault)])
    }

    /// Every (state, event) pair keeps the invariants: a master has only the advert timer, a backup only the
    /// master-down timer, initialize and fault none.
    @Test func everyStateAndEventKeepsTheTimerInvariants() {
        let events: [(inout VRRPRouter) -> Void] = [
            { _ = $0.start(now: Self.cs(10)) }, { _ = $0.shutdown() }, { _ = $0.tick(now: Self.cs(100_000)) },
            { _ = $0.receive(Self.advert(0), from: Self.higher, now: Self.cs(20)) },
            { _ = $0.receive(Self.advert(50), from: Self.lower, now: Self.cs(20)) },
            { _ = $0.receive(Self.advert(100), from: Self.higher, now: Self.cs(20)) },
            { _ = $0.receive(Self.advert(200), from: Self.lower, now: Self.cs(20)) },
            { _ = $0.setPriority(30, now: Self.cs(30)) }, { _ = $0.setFault(true, now: Self.cs(40)) },
            { _ = $0.setFault(false, now: Self.cs(50)) },
        ]
        var starts: [VRRPRouter] = [Self.router(), Self.master(), Self.router(priority: 255)]
        var b = Self.router()
        _ = b.start(now: Self.cs(0))
        starts.append(b)
        for start in starts {
            for first in events.indices {
                for second in events.indices {
                    var r = start
                    events[first](&r)
                    events[second](&r)
                    switch r.state {
                    case .master: #expect(r.advertisementDeadline != nil && r.masterDownDeadline == nil)
                    case .backup: #expect(r.masterDownDeadline != nil && r.advertisementDeadline == nil)
                    case .initialize, .fault: #expect(r.nextDeadline == nil)
                    }
                }
            }
        }
    }
}
