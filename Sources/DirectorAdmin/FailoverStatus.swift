public import Failover
import Prometheus

/// A director that runs VRRP instances answers these too (`GET /api/failover`, the status page's failover
/// table, the `shoal_vrrp_*` metrics).
public protocol FailoverDirectorControl: DirectorControl {
    /// Every instance's state (empty when the director runs no failover).
    func failoverStatus() async -> [VRRPInstanceStatus]
    /// The state-sync daemon's counters, when `failover.sync` is configured.
    func connectionSyncCounters() async -> ConnectionSyncDaemon.Counters?
}

/// `GET /api/failover`.
struct FailoverDTO: Encodable {
    struct Instance: Encodable {
        var name: String
        var interface: String
        var virtualRouterID: Int
        var state: String
        var priority: Int
        var configuredPriority: Int
        var master: String?
        var virtualAddresses: [String]
        var transitions: [String: Int]
        var advertisementsSent: Int
        var advertisementsReceived: Int
        var dropped: [String: Int]
        var lastError: String?
    }

    struct Sync: Encodable {
        var messagesSent: Int
        var messagesReceived: Int
        var entriesReceived: Int
        var dropped: Int
    }

    var instances: [Instance]
    var sync: Sync?

    init(_ statuses: [VRRPInstanceStatus], sync counters: ConnectionSyncDaemon.Counters? = nil) {
        sync = counters.map { Sync(messagesSent: $0.messagesSent, messagesReceived: $0.messagesReceived, entriesReceived: $0.entriesReceived, dropped: $0.dropped) }
        instances = statuses.map { s in
            Instance(name: s.name, interface: s.interface, virtualRouterID: Int(s.virtualRouterID), state: s.state.rawValue,
                     priority: Int(s.priority), configuredPriority: Int(s.configuredPriority), master: s.masterAddress?.description,
                     virtualAddresses: s.virtualAddresses,
                     transitions: Dictionary(uniqueKeysWithValues: s.transitions.map { ($0.key.rawValue, $0.value) }),
                     advertisementsSent: s.advertisementsSent, advertisementsReceived: s.advertisementsReceived,
                     dropped: s.dropped, lastError: s.lastError)
        }
    }
}

enum FailoverRendering {
    /// The status page's failover table (`table.failover`, one `tr.vrrp[data-instance][data-state]` per instance).
    static func html(_ statuses: [VRRPInstanceStatus]) -> String {
        guard !statuses.isEmpty else { return "" }
        let e = HTMLText.escape
        var html = "<table class=\"failover\"><tr class=\"service-header\"><th colspan=\"6\">Failover (VRRPv3)</th></tr>\n"
        html += "<tr><th>Instance</th><th>State</th><th>Priority</th><th>Master</th><th>Virtual addresses</th><th>Transitions</th></tr>\n"
        for s in statuses {
            let transitions = s.transitions.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
            html += "<tr class=\"vrrp\" data-instance=\"\(e(s.name))\" data-state=\"\(s.state.rawValue.uppercased())\">"
            html += "<td>\(e(s.name)) (\(e(s.interface)), vrid \(s.virtualRouterID))</td><td class=\"state\">\(s.state.rawValue.uppercased())</td>"
            html += "<td>\(s.priority)/\(s.configuredPriority)</td><td>\(e(s.masterAddress?.description ?? "-"))</td>"
            html += "<td>\(e(s.virtualAddresses.joined(separator: " ")))</td><td>\(e(transitions))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    /// `shoal_vrrp_state` (0 initialize, 1 backup, 2 master, 3 fault), transitions, adverts and drops per instance.
    static func metrics(_ statuses: [VRRPInstanceStatus]) -> String {
        let registry = PrometheusCollectorRegistry()
        func counter(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Int) {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "shoal", metricName: name, unitName: "total", helpText: help),
                                 labels: labels).increment(by: Int64(value))
        }
        for s in statuses {
            let l = [("instance", s.name)]
            let code: Double = switch s.state {
            case .initialize: 0
            case .backup: 1
            case .master: 2
            case .fault: 3
            }
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "shoal", metricName: "vrrp_state", unitName: "",
                                                                helpText: "VRRP state: 0 initialize, 1 backup, 2 master, 3 fault."),
                               labels: l).set(code)
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "shoal", metricName: "vrrp_priority", unitName: "",
                                                                helpText: "VRRP priority in force (after tracking)."),
                               labels: l).set(Double(s.priority))
            for state in VRRPState.allCases where state != .initialize {
                counter("vrrp_transitions", "Entries into a VRRP state.", l + [("state", state.rawValue)], s.transitions[state] ?? 0)
            }
            counter("vrrp_adverts_sent", "VRRP advertisements sent.", l, s.advertisementsSent)
            counter("vrrp_adverts_received", "VRRP advertisements accepted.", l, s.advertisementsReceived)
            for (reason, count) in s.dropped.sorted(by: { $0.key < $1.key }) {
                counter("vrrp_dropped", "VRRP packets dropped, by reason.", l + [("reason", reason)], count)
            }
        }
        return registry.emitToString()
    }
}
