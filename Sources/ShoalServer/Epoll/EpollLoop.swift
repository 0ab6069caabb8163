#if canImport(Glibc)
import Glibc
#endif
import CEpoll
import Foundation
import NIOConcurrencyHelpers

/// What an `EpollLoop` calls on its thread: readiness of a registered descriptor (by the tag it was added
/// with) and the periodic sweep (timeouts without a timer per connection).
public protocol EpollLoopHandler: AnyObject {
    /// `events` (EPOLLIN, EPOLLOUT, ...) for the descriptor registered with `tag`.
    func epollEvent(tag: UInt64, events: UInt32, now: Int64)
    /// Runs every sweep interval.
    func sweep(now: Int64)
    /// The loop is ending: close everything still open.
    func loopEnded()
}

/// One dedicated thread running an epoll instance (not a NIO event loop, not the concurrency pool): waits for
/// events, hands them to its handler, runs work other threads enqueue (a locked queue and a wake-up pipe) and a
/// sweep every `sweepInterval` milliseconds (`SweepSchedule`). Everything the handler owns is touched only on
/// this thread.
public final class EpollLoop: @unchecked Sendable {
    /// The tag reserved for the wake-up pipe.
    public static let wakeTag = UInt64.max

    public let epoll: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let queue = NIOLockedValueBox<(work: [@Sendable () -> Void], exited: Bool)>(([], false))
    private var running = true

    public init(name: String) throws(EpollEngineError) {
        epoll = epoll_create1(O_CLOEXEC)
        guard epoll >= 0 else { throw EpollEngineError("epoll_create1", name) }
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else {
            close(epoll)
            throw EpollEngineError("pipe", name)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        _ = add(wakeRead, events: EPOLLIN.rawValue, tag: Self.wakeTag)
    }

    deinit {
        close(epoll)
        close(wakeRead)
        close(wakeWrite)
    }

    /// Registers `fd` for `events` under `tag`; false (errno set) when epoll refuses.
    public func add(_ fd: Int32, events: UInt32, tag: UInt64) -> Bool {
        var event = epoll_event(events: events, data: epoll_data_t(u64: tag))
        return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0
    }

    /// Changes the events or tag of a registered `fd`.
    public func modify(_ fd: Int32, events: UInt32, tag: UInt64) -> Bool {
        var event = epoll_event(events: events, data: epoll_data_t(u64: tag))
        return epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event) == 0
    }

    /// Takes `fd` out of the epoll set (closing it does so too).
    public func remove(_ fd: Int32) {
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
    }

    /// Runs `work` on the loop's thread soon; false when the loop has ended (the work is not run).
    @discardableResult
    public func enqueue(_ work: @escaping @Sendable () -> Void) -> Bool {
        let queued = queue.withLockedValue { state -> Bool in
            guard !state.exited else { return false }
            state.work.append(work)
            return true
        }
        guard queued else { return false }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        return true
    }

    /// Ends the loop after the events at hand (call on the loop's thread, e.g. from enqueued work).
    public func stop() { running = false }

    /// Runs the loop on the calling thread until ``stop()``.
    public func run(_ handler: some EpollLoopHandler, sweepInterval: Int64) {
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        var now = Self.clock()
        var sweep = SweepSchedule(interval: sweepInterval, now: now)
        while running {
            let count = epoll_wait(epoll, events, Int32(capacity), Int32(sweep.wait(now: now)))
            now = Self.clock()
            for i in 0..<max(0, Int(count)) {
                let tag = events[i].data.u64
                if tag == Self.wakeTag { runQueued() } else { handler.epollEvent(tag: tag, events: events[i].events, now: now) }
            }
            if sweep.due(now: now) { handler.sweep(now: now) }
        }
        handler.loopEnded()
        let left = queue.withLockedValue { state -> [@Sendable () -> Void] in
            state.exited = true
            defer { state.work = [] }
            return state.work
        }
        for work in left { work() }
    }

    private func runQueued() {
        var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &bytes, { read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
        let work = queue.withLockedValue { state -> [@Sendable () -> Void] in
            defer { state.work = [] }
            return state.work
        }
        for item in work { item() }
    }

    /// Monotonic milliseconds (the coarse clock: one vDSO read per wake-up).
    public static func clock() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }

    /// Starts a named thread running `body`.
    public static func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { body() }
        thread.name = name
        thread.start()
    }
}
