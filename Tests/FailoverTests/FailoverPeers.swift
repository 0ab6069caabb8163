import Foundation
import ShoalTestFixtures

/// The programs of the interop tests: `shoal director` with a `failover:` block, keepalived 2.2 with a private
/// configuration and pid files, and a web server per host answering with the host's letter.
extension NamespaceLab {
    /// One VRRP instance's settings, rendered for either router.
    struct Router {
        var priority: Int
        /// 1 s, not the benchmark's 0.3 s: a master-down interval of 3.x s rides out a router thread starved for a
        /// second in a fully loaded parallel test run, which would otherwise flap the roles the tests count.
        var interval: Double = 1
        /// Accept_Mode (shoal only; keepalived's default `accept` either way).
        var acceptMode = true
        var ipv6 = false
        var preempt = true
        var unicastPeer: String?
        var unicastSource: String?
        var trackScript: String?
        /// A file every transition appends keepalived's notify arguments to (`INSTANCE VI_1 MASTER 150`).
        var notifyLog: String?
        var vrid = 51
        var vip: String { ipv6 ? "\(NamespaceLab.vip6)/64" : "\(NamespaceLab.vip4)/24" }
    }

    /// A web server on the host answering `letter`: on 127.0.0.1:8081 and [::1]:8081 behind the director on host a,
    /// directly on port 80 (both families) on host b.
    func startWebServer(_ namespace: String, letter: String, behindDirector: Bool) throws {
        let python = try requiredTool("python3", package: "python3")
        let root = "\(directory)/www-\(letter)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "\(letter)\n".write(toFile: "\(root)/index.html", atomically: true, encoding: .utf8)
        let binds = behindDirector ? [("8081", "127.0.0.1"), ("8081", "::1")] : [("80", "::")]
        for (port, address) in binds {
            _ = try start(namespace, [python, "-m", "http.server", port, "--bind", address, "--directory", root], name: "web-\(letter)")
        }
    }

    /// `shoal director` on host a: a proxy service on port 80 (both families) to the local web server, the admin
    /// API on 127.0.0.1:9000 inside the namespace, and the VRRP instance.
    func startShoal(_ router: Router) throws -> TestProcess {
        var instance = """
                - name: VI_1
                  interface: eth0
                  virtual_router_id: \(router.vrid)
                  priority: \(router.priority)
                  advert_interval: \(router.interval)
                  preempt: \(router.preempt)
                  virtual_addresses: ["\(router.vip)"]
                  garp_refresh: 1
                  accept_mode: \(router.acceptMode)

            """
        if let peer = router.unicastPeer { instance += "      unicast_peers: [\"\(peer)\"]\n" }
        if let log = router.notifyLog { instance += "      notify: {any: \"echo $1 $2 $3 $4 >> \(log)\"}\n" }
        if let script = router.trackScript { instance += "      track_scripts: [{command: \"\(script)\", interval: 0.2, weight: -60}]\n" }
        let config = """
            director:
              admin: {listen: "127.0.0.1:9000"}
            services:
              - name: web
                listen: "\(router.ipv6 ? "[::]:80" : "0.0.0.0:80")"
                servers: [{address: "\(router.ipv6 ? "[::1]:8081" : "127.0.0.1:8081")"}]
            failover:
              instances:
            \(instance)
            """
        let path = try write(config, to: "shoal-\(UUID().uuidString.prefix(6)).yaml")
        return try start(a, [ShoalBinary.path, "director", "--config", path, "--log-level", "info"], name: "shoal")
    }

    /// keepalived (VRRP only, no fork, no respawn) on host b; its pid files are the test's own.
    func startKeepalived(_ router: Router) throws -> KeepalivedProcess {
        let keepalived = try requiredTool("keepalived", package: "keepalived")
        let id = UUID().uuidString.prefix(6)
        var instance = """
            global_defs {
              router_id shfo_\(tag)
              vrrp_version 3
              vrrp_garp_master_refresh 1
            }
            vrrp_instance VI_1 {
              state BACKUP
              interface eth0
              virtual_router_id \(router.vrid)
              priority \(router.priority)
              advert_int \(router.interval)
              virtual_ipaddress {
                \(router.vip) dev eth0
              }

            """
        if !router.preempt { instance += "  nopreempt\n" }
        if let peer = router.unicastPeer {
            instance += "  unicast_src_ip \(router.unicastSource ?? "10.220.0.2")\n  unicast_peer {\n    \(peer)\n  }\n"
        }
        instance += "}\n"
        let config = try write(instance, to: "keepalived-\(id).conf")
        let vrrpPid = "\(directory)/keepalived-\(id)-vrrp.pid"
        let process = try start(b, [keepalived, "-n", "-l", "-D", "-P", "--dont-respawn", "-f", config,
                                    "-p", "\(directory)/keepalived-\(id).pid", "-r", vrrpPid, "-c", "\(directory)/keepalived-\(id)-checkers.pid"],
                                name: "keepalived")
        childPidFiles.append(vrrpPid)
        return KeepalivedProcess(main: process, vrrpPidFile: vrrpPid)
    }

    /// `GET /api/failover` from inside a host (default a): the whole document.
    func failoverDocument(_ namespace: String? = nil) async -> [String: Any]? {
        guard let curl = try? requiredTool("curl", package: "curl"),
              let result = try? await TestProcess.run(ip, ["netns", "exec", namespace ?? a, curl, "-s", "-m", "2", "http://127.0.0.1:9000/api/failover"],
                                                      timeout: 10),
              result.status == 0 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    }

    /// The first instance's fields from `GET /api/failover`.
    func shoalStatus(_ namespace: String? = nil) async -> [String: Any]? {
        (await failoverDocument(namespace)?["instances"] as? [[String: Any]])?.first
    }

    /// Waits until shoal's status shows `state`.
    func waitForShoalState(_ state: String, in namespace: String? = nil, timeout: Double = 30) async throws {
        try await waitFor("shoal in \(namespace ?? a) in state \(state)", timeout: timeout) {
            let status = await shoalStatus(namespace)
            return (status?["state"] as? String == state, "\(status ?? [:])")
        }
    }
}

/// keepalived's parent and its VRRP child: a crash is SIGKILL of the child (the parent, not respawning, then exits).
struct KeepalivedProcess {
    let main: TestProcess
    let vrrpPidFile: String

    var vrrpPid: Int32? {
        (try? String(contentsOfFile: vrrpPidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// SIGKILL, as a crash: the VRRP child first (it sends nothing), then the parent.
    func crash() {
        if let pid = vrrpPid, pid > 0 { kill(pid, SIGKILL) }
        main.kill()
    }
}
