import Foundation
import ShoalTestFixtures
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private Postfix instance (its own config, queue and log in a temp dir) whose smtpd listens on
/// 127.0.0.1:`smtpPort` and relays `relayDomain` over LMTP to 127.0.0.1:`lmtpPort`. Stopped at shutdown.
final class PostfixInstance: @unchecked Sendable {
    let directory: String
    let configDirectory: String
    let smtpPort: Int
    let postfix: String

    var maillog: String { (try? String(contentsOfFile: directory + "/maillog", encoding: .utf8)) ?? "" }

    private init(directory: String, smtpPort: Int, postfix: String) {
        self.directory = directory
        configDirectory = directory + "/etc"
        self.smtpPort = smtpPort
        self.postfix = postfix
    }

    /// Writes main.cf/master.cf, creates the queue (`postfix check`) and starts it; every failure says why.
    static func start(in bed: MailTestbed, lmtpPort: Int, relayDomain: String = "shoal.test") async throws -> PostfixInstance {
        let postfix = try requiredTool("postfix", package: "postfix")
        guard getpwnam("postfix") != nil, getgrnam("postdrop") != nil else {
            throw HarnessError("the postfix user or postdrop group is missing: reinstall the Debian package postfix")
        }
        let directory = try bed.dir.makeDirectory("postfix")
        let instance = PostfixInstance(directory: directory, smtpPort: try TestPorts.free(), postfix: postfix)
        let etc = try bed.dir.makeDirectory("postfix/etc")
        let data = try bed.dir.makeDirectory("postfix/data")
        _ = try bed.dir.makeDirectory("postfix/queue")
        let owner = getpwnam("postfix")!.pointee
        guard chown(data, owner.pw_uid, owner.pw_gid) == 0 else { throw HarnessError("chown \(data) failed: errno \(errno)") }
        let transport = "lmtp:inet:127.0.0.1:\(lmtpPort)"
        try """
            compatibility_level = 3.6
            config_directory = \(etc)
            queue_directory = \(directory)/queue
            data_directory = \(data)
            mail_owner = postfix
            setgid_group = postdrop
            maillog_file = \(directory)/maillog
            maillog_file_prefixes = \(directory)
            import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            myhostname = postfix.client.test
            mydomain = client.test
            myorigin = $myhostname
            mydestination =
            local_recipient_maps =
            alias_maps =
            alias_database =
            relay_domains = \(relayDomain)
            relay_recipient_maps =
            mynetworks = 127.0.0.0/8
            transport_maps =
            default_transport = \(transport)
            relay_transport = \(transport)
            smtputf8_enable = no
            smtpd_peername_lookup = no
            biff = no
            queue_run_delay = 1s
            minimal_backoff_time = 1s
            maximal_backoff_time = 2s

            """.write(toFile: etc + "/main.cf", atomically: true, encoding: .utf8)
        try """
            127.0.0.1:\(instance.smtpPort) inet n - n - - smtpd
            pickup    unix  n - n 60 1 pickup
            cleanup   unix  n - n - 0 cleanup
            qmgr      unix  n - n 300 1 qmgr
            tlsmgr    unix  - - n 1000? 1 tlsmgr
            rewrite   unix  - - n - - trivial-rewrite
            bounce    unix  - - n - 0 bounce
            defer     unix  - - n - 0 bounce
            trace     unix  - - n - 0 bounce
            verify    unix  - - n - 1 verify
            flush     unix  n - n 1000? 0 flush
            proxymap  unix  - - n - - proxymap
            smtp      unix  - - n - - smtp
            relay     unix  - - n - - smtp
            showq     unix  n - n - - showq
            error     unix  - - n - - error
            retry     unix  - - n - - error
            discard   unix  - - n - - discard
            lmtp      unix  - - n - - lmtp
            anvil     unix  - - n - 1 anvil
            scache    unix  - - n - 1 scache
            postlog   unix-dgram n - n - 1 postlogd

            """.write(toFile: etc + "/master.cf", atomically: true, encoding: .utf8)
        // From here on, make sure it is stopped whatever happens.
        bed.atShutdown { instance.stop() }
        for command in ["check", "start"] {
            let result = try await TestProcess.run(postfix, ["-c", etc, command], timeout: 60)
            guard result.status == 0 else {
                throw HarnessError("postfix -c \(etc) \(command) failed: \(result)\n--- maillog\n\(instance.maillog)")
            }
        }
        do {
            try await TestPorts.waitForListener("127.0.0.1", instance.smtpPort, timeout: 20)
        } catch {
            throw HarnessError("postfix did not listen on 127.0.0.1:\(instance.smtpPort): \(error)\n--- maillog\n\(instance.maillog)")
        }
        return instance
    }

    /// The master's PID from its pid file.
    var masterPID: pid_t? {
        (try? String(contentsOfFile: directory + "/queue/pid/master.pid", encoding: .utf8))
            .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// `postfix stop`; if the master is still there after 10 s, SIGKILL to the PID in its pid file.
    func stop() {
        guard let pid = masterPID, Self.alive(pid) else { return }
        _ = try? TestProcess.runBlocking(postfix, ["-c", configDirectory, "stop"], timeout: 30)
        let deadline = Date().addingTimeInterval(10)
        while Self.alive(pid) && Date() < deadline { usleep(50_000) }
        if Self.alive(pid) { _ = kill(pid, SIGKILL) }
    }

    /// True while `pid` exists and is not a zombie (the master is not our child, so nobody here reaps it).
    static func alive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
