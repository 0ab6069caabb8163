import Director
import HealthCheck

/// `GET /` and `/status`: an HTML page in the spirit of HAProxy's stats page, one table per service.
///
/// Rendered in full on the server (works without JavaScript); an embedded script then fetches
/// `api/services` every `refreshSeconds` and re-renders the tables with the same markup. To use it with a
/// token, open `/status?token=TOKEN` — the script reads the token from the page's URL and sends it as a
/// bearer token. Stable hooks: `table.service[data-service-id]`, `tr.server[data-server][data-state]`,
/// `td.state`, `td.weight`, `td.history span.check.ok|.fail[title]`, `body[data-refreshed]` (count of
/// successful script refreshes) and `#updated`.
public enum StatusPage {
    public static func render(_ snapshot: DirectorSnapshot, now: Double, refreshSeconds: Double) -> String {
        let services = snapshot.table.services.map { ServiceDTO($0, health: snapshot.health) }
        let refresh = refreshSeconds > 0 ? refreshSeconds : 2
        let refreshText = refresh.rounded() == refresh ? String(Int(refresh)) : String(refresh)
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Shoal director status</title>
            <style>\(style)</style>
            </head>
            <body data-refresh="\(refreshText)" data-refreshed="0">
            <h1>Shoal director</h1>
            <p id="summary">Started <span id="started">\(HTMLText.escape(HTMLText.time(snapshot.startedAt)))</span>,
            up <span id="uptime">\(HTMLText.escape(HTMLText.duration(now - snapshot.startedAt)))</span>;
            <span id="connection-entries">\(snapshot.table.connectionCount)</span> connection entries.
            <span id="updated">rendered \(HTMLText.escape(HTMLText.time(now)))</span></p>
            <div id="services">
            """
        html += services.map(table).joined()
        if services.isEmpty { html += emptyNote }
        html += "</div>\n<script>\n\(StatusPageScript.source)\n</script>\n</body>\n</html>\n"
        return html
    }

    static let emptyNote = "<p class=\"empty\">No virtual services.</p>"

    static let columns = ["Server", "State", "Weight", "Active", "Inactive", "Conn/s", "In B/s", "Out B/s", "Last check", "History"]

    static let style = """
        body{font-family:sans-serif;font-size:13px;margin:1em}
        table.service{border-collapse:collapse;margin:0 0 1.2em 0;min-width:60em}
        th,td{border:1px solid #999;padding:2px 6px;text-align:left}
        tr.service-header th{background:#20507a;color:#fff}
        tr.server.state-UP{background:#c0f0c0}
        tr.server.state-DOWN{background:#f4a0a0}
        tr.server.state-DRAIN{background:#a0c0f4}
        tr.server.state-NOCHECK{background:#e8e8e8}
        span.check{display:inline-block;width:8px;height:12px;margin-right:1px}
        span.check.ok{background:#2a2}
        span.check.fail{background:#c22}
        """

    /// One service's table; the script's `renderService` produces the same markup.
    static func table(_ s: ServiceDTO) -> String {
        let e = HTMLText.escape
        var header = "\(e(s.key)) &middot; scheduler \(e(s.scheduler))"
        if let p = s.persistence { header += " &middot; persistent \(p.timeout)s" + (p.netmask.map { " mask \(e($0))" } ?? "") }
        header += " &middot; <span class=\"svc-conns\">\(s.stats.connections)</span> conns"
        header += " &middot; active \(s.activeConnections) inactive \(s.inactiveConnections)"
        header += " &middot; in \(s.stats.inBytes) B / out \(s.stats.outBytes) B"
        header += " &middot; \(s.rates.connectionsPerSecond) conn/s, \(s.rates.inBytesPerSecond)/\(s.rates.outBytesPerSecond) B/s"
        var out = "<table class=\"service\" id=\"service-\(e(s.id))\" data-service-id=\"\(e(s.id))\" data-service=\"\(e(s.key))\">"
        out += "<thead><tr class=\"service-header\"><th colspan=\"\(columns.count)\">\(header)</th></tr>"
        out += "<tr>" + columns.map { "<th>\($0)</th>" }.joined() + "</tr></thead><tbody>"
        out += s.servers.map(row).joined()
        if s.servers.isEmpty { out += "<tr class=\"no-servers\"><td colspan=\"\(columns.count)\">no real servers</td></tr>" }
        out += "</tbody></table>\n"
        return out
    }

    static func row(_ r: ServerDTO) -> String {
        let e = HTMLText.escape
        let state = r.state.rawValue
        var last = "<td class=\"last-check\">"
        if let result = r.health.lastResult {
            last = "<td class=\"last-check\" title=\"\(e(HTMLText.time(result.time)))\">"
            last += "\(result.succeeded ? "OK" : "FAIL") \(e(result.message)) at \(e(HTMLText.time(result.time)))"
        } else {
            last += r.health.checked ? "pending" : "no check"
        }
        last += "</td>"
        let history = r.health.history.map { h in
            "<span class=\"check \(h.succeeded ? "ok" : "fail")\" title=\"\(e(HTMLText.time(h.time) + " " + h.message))\"></span>"
        }.joined()
        return "<tr class=\"server state-\(state)\" id=\"server-\(e(r.id))\" data-server=\"\(e(r.endpoint))\" data-state=\"\(state)\" data-weight=\"\(r.weight)\">"
            + "<td class=\"endpoint\">\(e(r.endpoint))</td>"
            + "<td class=\"state\">\(state)</td>"
            + "<td class=\"weight\">\(r.weight)</td>"
            + "<td class=\"active\">\(r.activeConnections)</td>"
            + "<td class=\"inactive\">\(r.inactiveConnections)</td>"
            + "<td class=\"cps\">\(r.rates.connectionsPerSecond)</td>"
            + "<td class=\"in-bps\">\(r.rates.inBytesPerSecond)</td>"
            + "<td class=\"out-bps\">\(r.rates.outBytesPerSecond)</td>"
            + last
            + "<td class=\"history\">\(history)</td></tr>"
    }
}
