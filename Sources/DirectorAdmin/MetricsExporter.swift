import Director
import HealthCheck
import Prometheus

/// `GET /metrics`: the snapshot at scrape time in Prometheus text exposition, through swift-prometheus.
///
/// A fresh registry per scrape, so removed services and servers disappear at once. Labels: `service`
/// (`tcp 127.0.0.1:8080`, `fwm 5`) and `server` (`127.0.0.2:80`).
public enum MetricsExporter {
    /// Renders every sample; `now` is wall-clock seconds for the uptime.
    public static func render(_ snapshot: DirectorSnapshot, now: Double) -> String {
        let registry = PrometheusCollectorRegistry()
        func counter(_ name: String, _ help: String, _ labels: [(String, String)], _ value: UInt64) {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "shoal", metricName: name, unitName: "total", helpText: help),
                                 labels: labels).increment(by: Int64(clamping: value))
        }
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Double) {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "shoal", metricName: name, unitName: "", helpText: help),
                               labels: labels).set(value)
        }

        gauge("director_start_time_seconds", "When the director started (seconds since 1970).", [], snapshot.startedAt)
        gauge("director_uptime_seconds", "Seconds since the director started.", [], max(0, now - snapshot.startedAt))
        gauge("director_connection_entries", "Entries in the connection table, persistence templates included.", [],
              Double(snapshot.table.connectionCount))
        gauge("director_services", "Virtual services configured.", [], Double(snapshot.table.services.count))

        for service in snapshot.table.services {
            let s = [("service", ServiceKeyText.text(service.key))]
            counter("service_connections", "Connections scheduled by the service.", s, service.stats.connections)
            counter("service_in_packets", "Packets from clients to the service.", s, service.stats.inPackets)
            counter("service_out_packets", "Packets from the service to clients.", s, service.stats.outPackets)
            counter("service_in_bytes", "Bytes from clients to the service.", s, service.stats.inBytes)
            counter("service_out_bytes", "Bytes from the service to clients.", s, service.stats.outBytes)
            gauge("service_active_connections", "Active (established) connections of the service's servers.", s,
                  Double(service.servers.reduce(0) { $0 + $1.activeConnections }))
            gauge("service_inactive_connections", "Inactive connections of the service's servers.", s,
                  Double(service.servers.reduce(0) { $0 + $1.inactiveConnections }))
            gauge("service_servers", "Real servers of the service.", s, Double(service.servers.count))

            for server in service.servers {
                let l = s + [("server", server.endpoint.description)]
                let report = snapshot.health[HealthKey(service: service.key, server: server.endpoint)]
                counter("server_connections", "Connections scheduled to the server.", l, server.stats.connections)
                counter("server_in_packets", "Packets from clients to the server.", l, server.stats.inPackets)
                counter("server_out_packets", "Packets from the server to clients.", l, server.stats.outPackets)
                counter("server_in_bytes", "Bytes from clients to the server.", l, server.stats.inBytes)
                counter("server_out_bytes", "Bytes from the server to clients.", l, server.stats.outBytes)
                gauge("server_active_connections", "Active (established) connections.", l, Double(server.activeConnections))
                gauge("server_inactive_connections", "Inactive connections.", l, Double(server.inactiveConnections))
                gauge("server_persistent_connections", "Persistence templates bound to the server.", l, Double(server.persistentConnections))
                gauge("server_weight", "Configured weight (0 = drained).", l, Double(server.weight))
                gauge("server_up", "1 when the health check says up or the server is unchecked, else 0.", l,
                      ServerState.isUp(report) ? 1 : 0)
                if let report, report.checkKind != nil {
                    let successes = report.history.filter(\.succeeded).count
                    counter("server_check_results", "Check results in the kept history, by outcome.", l + [("result", "success")], UInt64(successes))
                    counter("server_check_results", "Check results in the kept history, by outcome.", l + [("result", "failure")],
                            UInt64(report.history.count - successes))
                    if let last = report.lastResult {
                        gauge("server_last_check_success", "1 when the latest check succeeded, else 0.", l, last.succeeded ? 1 : 0)
                        gauge("server_last_check_time_seconds", "When the latest check finished (seconds since 1970).", l, last.time)
                    }
                }
            }
        }
        return registry.emitToString()
    }

    /// The mail proxies' samples (appended to `render`'s when the director runs mail proxies).
    public static func renderMail(_ counters: MailProxyCounters) -> String {
        let registry = PrometheusCollectorRegistry()
        func counter(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Int) {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "shoal", metricName: name, unitName: "total", helpText: help),
                                 labels: labels).increment(by: Int64(value))
        }
        counter("mail_logins_refused", "Logins the nodes refused.", [], counters.loginsRefused)
        counter("mail_logins_unavailable", "Logins no node could take.", [], counters.loginsUnavailable)
        for (node, count) in counters.loginsProxied.sorted(by: { $0.key.description < $1.key.description }) {
            counter("mail_logins_proxied", "Logins accepted by a node and spliced.", [("server", node.description)], count)
        }
        for (node, count) in counters.sessions.sorted(by: { $0.key.description < $1.key.description }) {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "shoal", metricName: "mail_sessions", unitName: "",
                                                                helpText: "Spliced mail sessions open."),
                               labels: [("server", node.description)]).set(Double(count))
        }
        return registry.emitToString()
    }
}
