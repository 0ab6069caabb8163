import Foundation
import Logging
@testable import MailStore
import NIOPosix
import Testing

/// Scratch directories, stores and file helpers shared by the MailStore tests.
enum TestSupport {
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 6)
        pool.start()
        return pool
    }()

    /// A fresh directory under /tmp, removed by `cleanUp`.
    static func makeDirectory(_ label: String = "mailstore") -> String {
        var template = Array("/tmp/\(label).XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(path != nil, "mkdtemp failed")
        return String(cString: path!)
    }

    static func cleanUp(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    static func store(
        root: String, hostname: String = "node-a", fsync: Bool = true, lockTimeout: Duration = .seconds(30),
        staleLockTimeout: Duration = .seconds(120), permissions: FilePermissions = FilePermissions()
    ) -> MailStore {
        MailStore(
            configuration: MailStoreConfiguration(
                root: root, hostname: hostname, fsync: fsync, lockTimeout: lockTimeout,
                staleLockTimeout: staleLockTimeout, permissions: permissions),
            threadPool: pool, logger: Logger(label: "test.mailstore"))
    }

    static func message(_ subject: String, body: String = "Hello\n") -> [UInt8] {
        Array("From: a@example.com\nTo: b@example.com\nSubject: \(subject)\n\n\(body)".utf8)
    }

    /// Entries of a directory, sorted; [] when missing.
    static func entries(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    static func text(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Sets a file's modification time `seconds` into the past.
    static func age(_ path: String, seconds: Int) {
        var times = [timespec](repeating: timespec(), count: 2)
        clock_gettime(CLOCK_REALTIME, &times[0])
        times[0].tv_sec -= seconds
        times[1] = times[0]
        _ = utimensat(AT_FDCWD, path, times, 0)
    }
}
