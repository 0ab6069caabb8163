@testable import DirectorProxy
import NIOCore
import NIOEmbedded
import Testing

/// The proxy's idle timer (issue 10: a closed connection's objects stayed alive until the idle timeout,
/// ~40 MB per 10,000 connections at the default 300 s).
@Suite struct IdleWatchTests {
    @Test func closingTheConnectionFreesItsTimerAndMeterAtOnce() throws {
        let channel = EmbeddedChannel()
        weak var weakMeter: TrafficMeter?
        weak var weakTimer: AnyObject?
        do {
            let meter = TrafficMeter(scheduler: L7TableScheduler())
            watchIdleness(channel, meter: meter, timeout: .seconds(300))
            weakMeter = meter
            weakTimer = meter.idleTimer
            #expect(meter.idleTimer?.isArmed == true)
        }
        try channel.close().wait()
        channel.embeddedEventLoop.run()
        #expect(weakTimer == nil, "the closed connection's idle timer is still scheduled")
        #expect(weakMeter == nil)
    }

    @Test func silenceClosesTheConnectionAndTrafficPostponesIt() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let meter = TrafficMeter(scheduler: L7TableScheduler())
        watchIdleness(channel, meter: meter, timeout: .seconds(10))
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        meter.touch()
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }
}
