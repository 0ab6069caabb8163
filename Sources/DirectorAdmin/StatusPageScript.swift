/// The status page's script: fetches `api/services` every `data-refresh` seconds and re-renders the
/// tables with the markup `StatusPage.table` produces (escaping every text).
enum StatusPageScript {
    static let source = #"""
        (function () {
          "use strict";
          var body = document.body;
          var refresh = Number(body.getAttribute("data-refresh")) || 2;
          var token = new URLSearchParams(window.location.search).get("token");
          var columns = ["Server", "State", "Weight", "Active", "Inactive", "Conn/s", "In B/s", "Out B/s", "Last check", "History"];
          function esc(s) {
            return String(s).replace(/[&<>"']/g, function (c) {
              return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
            });
          }
          function time(t) { return new Date(Math.floor(t) * 1000).toISOString().replace(/\.\d+Z$/, "Z"); }
          function row(r) {
            var last;
            if (r.health.last_result) {
              var lr = r.health.last_result;
              last = "<td class=\"last-check\" title=\"" + esc(time(lr.time)) + "\">" + (lr.succeeded ? "OK" : "FAIL") + " " +
                esc(lr.message) + " at " + esc(time(lr.time)) + "</td>";
            } else {
              last = "<td class=\"last-check\">" + (r.health.checked ? "pending" : "no check") + "</td>";
            }
            var history = r.health.history.map(function (h) {
              return "<span class=\"check " + (h.succeeded ? "ok" : "fail") + "\" title=\"" + esc(time(h.time) + " " + h.message) + "\"></span>";
            }).join("");
            var state = esc(r.state);
            return "<tr class=\"server state-" + state + "\" id=\"server-" + esc(r.id) + "\" data-server=\"" + esc(r.endpoint) +
              "\" data-state=\"" + state + "\" data-weight=\"" + esc(r.weight) + "\">" +
              "<td class=\"endpoint\">" + esc(r.endpoint) + "</td>" +
              "<td class=\"state\">" + state + "</td>" +
              "<td class=\"weight\">" + esc(r.weight) + "</td>" +
              "<td class=\"active\">" + esc(r.active_connections) + "</td>" +
              "<td class=\"inactive\">" + esc(r.inactive_connections) + "</td>" +
              "<td class=\"cps\">" + esc(r.rates.connections_per_second) + "</td>" +
              "<td class=\"in-bps\">" + esc(r.rates.in_bytes_per_second) + "</td>" +
              "<td class=\"out-bps\">" + esc(r.rates.out_bytes_per_second) + "</td>" +
              last + "<td class=\"history\">" + history + "</td></tr>";
          }
          function renderService(s) {
            var header = esc(s.key) + " &middot; scheduler " + esc(s.scheduler);
            if (s.persistence) {
              header += " &middot; persistent " + esc(s.persistence.timeout) + "s" +
                (s.persistence.netmask != null ? " mask " + esc(s.persistence.netmask) : "");
            }
            header += " &middot; <span class=\"svc-conns\">" + esc(s.stats.connections) + "</span> conns";
            header += " &middot; active " + esc(s.active_connections) + " inactive " + esc(s.inactive_connections);
            header += " &middot; in " + esc(s.stats.in_bytes) + " B / out " + esc(s.stats.out_bytes) + " B";
            header += " &middot; " + esc(s.rates.connections_per_second) + " conn/s, " + esc(s.rates.in_bytes_per_second) + "/" +
              esc(s.rates.out_bytes_per_second) + " B/s";
            var out = "<table class=\"service\" id=\"service-" + esc(s.id) + "\" data-service-id=\"" + esc(s.id) +
              "\" data-service=\"" + esc(s.key) + "\">";
            out += "<thead><tr class=\"service-header\"><th colspan=\"" + columns.length + "\">" + header + "</th></tr>";
            out += "<tr>" + columns.map(function (c) { return "<th>" + c + "</th>"; }).join("") + "</tr></thead><tbody>";
            out += s.servers.map(row).join("");
            if (s.servers.length === 0) { out += "<tr class=\"no-servers\"><td colspan=\"" + columns.length + "\">no real servers</td></tr>"; }
            return out + "</tbody></table>\n";
          }
          function tick() {
            var headers = token ? { "Authorization": "Bearer " + token } : {};
            fetch("api/services", { headers: headers, cache: "no-store" }).then(function (response) {
              if (!response.ok) { throw new Error("HTTP " + response.status); }
              return response.json();
            }).then(function (data) {
              var html = data.services.map(renderService).join("");
              document.getElementById("services").innerHTML = html || "<p class=\"empty\">No virtual services.</p>";
              body.setAttribute("data-refreshed", String(Number(body.getAttribute("data-refreshed")) + 1));
              body.removeAttribute("data-refresh-error");
              document.getElementById("updated").textContent = "updated " + time(Date.now() / 1000);
            }).catch(function (error) {
              body.setAttribute("data-refresh-error", String(error.message || error));
              document.getElementById("updated").textContent = "refresh failed: " + (error.message || error);
            });
          }
          tick();
          window.setInterval(tick, refresh * 1000);
        })();
        """#
}
