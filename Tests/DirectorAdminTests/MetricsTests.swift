import DirectorAdmin
import Foundation
import HealthCheck
import ShoalCore
import Testing

/// `/metrics` scraped with curl and parsed line by line.
@Suite struct MetricsTests {
    /// `name{labels} value` lines keyed by `name{labels}` exactly as written; comment lines checked for form.
    static func parse(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") { continue }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw CurlError(description: "not a sample line: \(line)")
            }
            let series = String(line[..<space])
            #expect(samples[series] == nil, "duplicate series \(series)")
            samples[series] = value
        }
        return samples
    }

    @Test func samplesComeFromTheSnapshotAtScrapeTime() async throws {
        let h = try await ServerHarness.start(host: "127.0.77.3")
        defer { Task { await h.stop() } }
        let r = try await Curl.request("GET", h.url("/metrics"))
        #expect(r.status == 200)
        #expect(r.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(r.body.contains("# TYPE shoal_server_up gauge\n"))
        #expect(r.body.contains("# TYPE shoal_server_connections_total counter\n"))
        let m = try Self.parse(r.body)
        let web = #"service="tcp 127.0.0.1:8080""#
        let up = #"{\#(web),server="127.0.0.2:80"}"#, down = #"{\#(web),server="127.0.0.3:80"}"#
        #expect(m["shoal_service_connections_total{\(web)}"] == 2)
        #expect(m["shoal_service_in_bytes_total{\(web)}"] == 2000)
        #expect(m["shoal_service_out_bytes_total{\(web)}"] == 100_000)
        #expect(m["shoal_service_in_packets_total{\(web)}"] == 20)
        #expect(m["shoal_service_out_packets_total{\(web)}"] == 24)
        #expect(m["shoal_service_active_connections{\(web)}"] == 2)
        #expect(m["shoal_service_servers{\(web)}"] == 2)
        #expect(m["shoal_server_weight\(up)"] == 3)
        #expect(m["shoal_server_up\(up)"] == 1)
        #expect(m["shoal_server_up\(down)"] == 0)
        #expect(m["shoal_server_last_check_success\(up)"] == 1)
        #expect(m["shoal_server_last_check_success\(down)"] == 0)
        #expect(m["shoal_server_last_check_time_seconds\(up)"] == 1_700_000_100)
        #expect(m[#"shoal_server_check_results_total{\#(web),server="127.0.0.2:80",result="success"}"#] == 3)
        #expect(m[#"shoal_server_check_results_total{\#(web),server="127.0.0.2:80",result="failure"}"#] == 1)
        #expect((m["shoal_server_connections_total\(up)"] ?? 0) + (m["shoal_server_connections_total\(down)"] ?? 0) == 2)
        #expect((m["shoal_server_active_connections\(up)"] ?? 0) + (m["shoal_server_active_connections\(down)"] ?? 0) == 2)
        #expect((m["shoal_server_out_bytes_total\(up)"] ?? 0) + (m["shoal_server_out_bytes_total\(down)"] ?? 0) == 100_000)
        // Unchecked servers count as up and have no check samples.
        let v6 = #"{service="udp [2001:db8::1]:53",server="[2001:db8::10]:53"}"#
        #expect(m["shoal_server_up\(v6)"] == 1)
        #expect(m["shoal_server_last_check_success\(v6)"] == nil)
        #expect(m[#"shoal_server_weight{service="fwm 5",server="127.0.0.4:0"}"#] == 0)
        #expect(m["shoal_director_start_time_seconds"] == 1_700_000_000)
        #expect((m["shoal_director_uptime_seconds"] ?? 0) > 0)
        #expect(m["shoal_director_connection_entries"] == 2)
        #expect(m["shoal_director_services"] == 3)

        // A change is visible at the next scrape; a removed server disappears.
        #expect(try await Curl.request("DELETE", h.url("/api/services/tcp-127.0.0.1-8080/servers/127.0.0.3-80")).status == 204)
        await h.director.setHealth(HealthKey(service: AdminFixture.web, server: AdminFixture.up),
                                   ServerHealthReport(isUp: false, checkKind: "http"))
        let after = try Self.parse(try await Curl.request("GET", h.url("/metrics")).body)
        #expect(after["shoal_server_weight\(down)"] == nil)
        #expect(after["shoal_server_up\(up)"] == 0)
        #expect(after["shoal_service_servers{\(web)}"] == 1)
    }
}
