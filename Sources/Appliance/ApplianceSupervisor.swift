import Foundation
#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) private var terminateRequested: sig_atomic_t = 0
nonisolated(unsafe) private var reloadRequested: sig_atomic_t = 0

/// An appliance's supervisor (`shoal up` starts it detached): runs every node of `plan.json` as a child (on the
/// netns host inside the node's namespace by `ip netns exec`, on the podman host as `podman run` of a container
/// joined to it),
/// restarts crashed ones with backoff, follows `scale` (SIGHUP: re-read the plan), writes `state.json`, and on
/// SIGTERM stops the director, then the pools, then the shared tier.
public final class ApplianceSupervisor {
    let layout: ApplianceLayout
    let launcher: NodeLauncher
    var plan: AppliancePlan
    var nodes: [String: SupervisedNode] = [:]
    /// Nodes scaled away, still stopping.
    var leaving: [String: SupervisedNode] = [:]
    let clock = Date()

    public init(layout: ApplianceLayout, launcher: NodeLauncher) throws {
        self.layout = layout
        self.launcher = launcher
        plan = try AppliancePlan.read(layout)
        for node in plan.nodes { nodes[node.name] = SupervisedNode(name: node.name) }
    }

    var now: Double { Date().timeIntervalSince(clock) }

    func log(_ message: String) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        FileHandle.standardOutput.write(Data("\(stamp) supervisor: \(message)\n".utf8))
    }

    /// Runs until SIGTERM/SIGINT; returns the exit status.
    public func run() -> Int32 {
        signal(SIGTERM) { _ in terminateRequested = 1 }
        signal(SIGINT) { _ in terminateRequested = 1 }
        signal(SIGHUP) { _ in reloadRequested = 1 }
        signal(SIGPIPE, SIG_IGN)
        try? "\(getpid())\n".write(toFile: layout.supervisorPidFile, atomically: true, encoding: .utf8)
        log("supervising \(plan.nodes.count) nodes of \(plan.name)")
        var lastWrite = -1.0
        while terminateRequested == 0 {
            var changed = false
            if reloadRequested != 0 {
                reloadRequested = 0
                reload()
                changed = true
            }
            changed = reap() || changed
            changed = startDue() || changed
            if changed || now - lastWrite >= 1 {
                writeState()
                lastWrite = now
            }
            usleep(50_000)
        }
        shutdown()
        return 0
    }

    /// Reaps exited children; schedules restarts.
    func reap() -> Bool {
        var changed = false
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { break }
            changed = true
            let description = ChildProcess.describe(status: status)
            if let name = nodes.first(where: { $0.value.pid == pid })?.key {
                if let delay = nodes[name]?.exited(description, at: now) {
                    log("\(name) (pid \(pid)) exited: \(description); starting it again in \(String(format: "%.1f", delay)) s")
                }
            } else if let name = leaving.first(where: { $0.value.pid == pid })?.key {
                leaving[name] = nil
                log("\(name) (pid \(pid)) stopped: \(description)")
            }
        }
        return changed
    }

    /// Starts every node that is due.
    func startDue() -> Bool {
        var changed = false
        for node in plan.nodes where nodes[node.name]?.isDue(at: now) == true {
            changed = true
            var arguments = launcher.arguments(node, layout: layout)
            if let containers = PodmanContainers(plan: plan) {
                arguments = containers.run(node.name, kind: node.kind, arguments, podman: launcher.podman, shoalOnHost: launcher.shoal)
            } else if let topology = NetnsTopology(plan: plan) {
                arguments = topology.wrap(node.name, arguments, ip: launcher.ip)
            }
            do {
                let pid = try ChildProcess.spawn(arguments, logFile: layout.logFile(node.name))
                nodes[node.name]?.started(pid: pid, at: now)
                log("started \(node.name) (pid \(pid)): \(arguments.joined(separator: " "))")
            } catch {
                nodes[node.name]?.failedToStart("\(error)", at: now)
                log("\(node.name): \(error)")
            }
        }
        return changed
    }

    /// `scale` rewrote the plan and the director's configuration: start new nodes, reload the director, stop
    /// nodes no longer planned (the director drained them first).
    func reload() {
        guard let next = try? AppliancePlan.read(layout) else {
            log("reload: cannot read \(layout.planFile); nothing changed")
            return
        }
        let names = Set(next.nodes.map(\.name))
        for node in next.nodes where nodes[node.name] == nil {
            nodes[node.name] = SupervisedNode(name: node.name)
            log("scale: adding \(node.name) at \(node.address)")
        }
        plan = next
        _ = startDue()
        if let director = nodes["director"]?.pid {
            kill(director, SIGHUP)
            log("director (pid \(director)) told to reload its configuration")
        }
        for name in nodes.keys where !names.contains(name) {
            var node = nodes.removeValue(forKey: name)!
            if let pid = node.stop() {
                kill(pid, SIGTERM)
                leaving[name] = node
                log("scale: stopping \(name) (pid \(pid))")
            }
        }
    }

    func writeState() {
        let entries = plan.nodes.map { planned -> ApplianceState.Node in
            let node = nodes[planned.name]
            return ApplianceState.Node(name: planned.name, pid: node?.pid, running: node?.pid != nil, restarts: node?.restarts ?? 0,
                                       lastExit: node?.lastExit)
        } + leaving.values.map { ApplianceState.Node(name: $0.name, pid: $0.pid, running: true, restarts: $0.restarts, lastExit: "stopping") }
        let state = ApplianceState(supervisorPid: getpid(), updated: Date().timeIntervalSince1970, nodes: entries)
        do {
            try state.write(layout)
        } catch {
            log("cannot write \(layout.stateFile): \(error)")
        }
    }

    /// Stops every node in rank order (director, pools, shared tier), each rank SIGTERM then SIGKILL after 15 s.
    func shutdown() {
        log("stopping \(plan.name)")
        let ranks = Dictionary(grouping: plan.nodes, by: { NodeLauncher.stopRank($0.kind) })
        for rank in ranks.keys.sorted() {
            var pids: [Int32] = []
            for node in ranks[rank] ?? [] {
                if let pid = nodes[node.name]?.stop() { pids.append(pid) }
            }
            ChildProcess.terminate(pids, grace: 15)
        }
        ChildProcess.terminate(leaving.values.compactMap(\.pid), grace: 5)
        for name in nodes.keys { _ = nodes[name]?.stop() }
        writeStoppedState()
        try? FileManager.default.removeItem(atPath: layout.supervisorPidFile)
        log("stopped")
    }

    func writeStoppedState() {
        let state = ApplianceState(supervisorPid: getpid(), updated: Date().timeIntervalSince1970,
                                   nodes: plan.nodes.map { ApplianceState.Node(name: $0.name, pid: nil, running: false, restarts: nodes[$0.name]?.restarts ?? 0, lastExit: "stopped") })
        try? state.write(layout)
    }
}
