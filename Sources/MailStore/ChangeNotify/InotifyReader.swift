#if os(Linux)
import CLinuxFS
import Glibc
import NIOConcurrencyHelpers

/// One inotify descriptor and the thread of its own that reads it (never an event loop or the concurrency pool).
/// ``stop()`` wakes the thread through an eventfd; the thread then closes both descriptors and ends.
final class InotifyReader: Sendable {
    private let descriptor: Int32
    private let stopDescriptor: Int32
    private let finished = NIOLockedValueBox(false)

    /// True once the thread has closed the descriptors and ended.
    var isFinished: Bool { finished.withLockedValue { $0 } }

    private init(descriptor: Int32, stopDescriptor: Int32) {
        self.descriptor = descriptor
        self.stopDescriptor = stopDescriptor
    }

    /// Opens the descriptor and starts the thread, which calls `onEvents` with each batch it reads; the errno on failure.
    static func start(onEvents: @escaping @Sendable ([InotifyEvent]) -> Void) -> Result<InotifyReader, InotifyError> {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return .failure(InotifyError(operation: "inotify_init1", errno: errno)) }
        let stopFD = shoal_eventfd()
        guard stopFD >= 0 else {
            let code = errno
            close(fd)
            return .failure(InotifyError(operation: "eventfd", errno: code))
        }
        let reader = InotifyReader(descriptor: fd, stopDescriptor: stopFD)
        let finished = reader.finished
        let body = ThreadBody {
            Self.readLoop(fd: fd, stopFD: stopFD, onEvents: onEvents)
            finished.withLockedValue { $0 = true }
        }
        let context = Unmanaged.passRetained(body).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { raw in
            Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            close(fd)
            close(stopFD)
            return .failure(InotifyError(operation: "pthread_create", errno: created))
        }
        pthread_detach(thread)
        return .success(reader)
    }

    /// Adds (or updates) a watch on the directory `path`; its watch descriptor, or the errno.
    func addWatch(_ path: String, mask: UInt32) -> Result<Int32, InotifyError> {
        let watch = inotify_add_watch(descriptor, path, mask)
        guard watch >= 0 else { return .failure(InotifyError(operation: "inotify_add_watch \(path)", errno: errno)) }
        return .success(watch)
    }

    func removeWatch(_ watch: Int32) {
        _ = inotify_rm_watch(descriptor, watch)
    }

    /// Ends the thread; it closes the descriptors. Call once, and nothing else afterwards.
    func stop() {
        _ = shoal_eventfd_signal(stopDescriptor)
    }

    private static func readLoop(fd: Int32, stopFD: Int32, onEvents: @Sendable ([InotifyEvent]) -> Void) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
        defer {
            buffer.deallocate()
            close(fd)
            close(stopFD)
        }
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
        // Only stop() ends the loop: the hub owns the watch descriptors until then, so the inotify descriptor must
        // stay open (and its number not reused) however reading goes.
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            if poll(&fds, 2, -1) < 0 {
                if errno != EINTR { usleep(100_000) }
                continue
            }
            if fds[1].revents != 0 { return }
            guard fds[0].revents & Int16(POLLIN) != 0 else {
                if fds[0].revents != 0 { usleep(100_000) }  // POLLERR: not expected from inotify; do not spin
                continue
            }
            while true {
                let count = read(fd, buffer.baseAddress, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }  // EAGAIN: drained
                onEvents(InotifyEvent.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<count])))
            }
        }
    }
}

/// The closure a new thread runs (passed through pthread_create's context pointer).
private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
#endif

/// An inotify call that failed, with its errno.
struct InotifyError: Error, Sendable, CustomStringConvertible {
    var operation: String
    var errno: Int32
    var description: String { "\(operation): errno \(errno)" }
}

extension ChangeNotification {
    /// Whether inotify works here (a seccomp profile or an exhausted `max_user_instances` can refuse it).
    public static var inotifyAvailable: Bool {
        #if os(Linux)
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return false }
        close(fd)
        return true
        #else
        return false
        #endif
    }
}
