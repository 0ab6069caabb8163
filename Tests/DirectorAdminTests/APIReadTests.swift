import Director
import DirectorAdmin
import Foundation
import ShoalCore
import Testing

/// The read routes over a real socket with curl.
@Suite struct APIReadTests {
    @Test func servicesListEveryServiceWithServersHealthAndStats() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let r = try await Curl.request("GET", h.url("/api/services"))
        #expect(r.status == 200)
        #expect(r.headers["content-type"] == "application/json; charset=utf-8")
        let services = try #require(try r.json()["services"] as? [[String: Any]])
        #expect(services.map { $0["key"] as? String } == ["tcp 127.0.0.1:8080", "udp [2001:db8::1]:53", "fwm 5"])
        #expect(services.map { $0["id"] as? String } == ["tcp-127.0.0.1-8080", "udp-%5B2001%3Adb8%3A%3A1%5D-53", "fwm-5"])

        let web = services[0]
        #expect(web["protocol"] as? String == "tcp")
        #expect(web["address"] as? String == "127.0.0.1")
        #expect(web["port"] as? Int == 8080)
        #expect(web["fwmark"] is NSNull)
        #expect(web["scheduler"] as? String == "wrr")
        #expect(web["active_connections"] as? Int == 2)
        let stats = try #require(web["stats"] as? [String: Any])
        #expect(stats["connections"] as? Int == 2)
        #expect(stats["in_bytes"] as? Int == 2000)
        #expect(stats["out_bytes"] as? Int == 100_000)
        #expect(stats["in_packets"] as? Int == 20)
        #expect(stats["out_packets"] as? Int == 24)
        let rates = try #require(web["rates"] as? [String: Any])
        #expect(rates["connections_per_second"] as? Int != nil)
        #expect((rates["out_bytes_per_second"] as? Int ?? 0) > 0)

        let servers = try #require(web["servers"] as? [[String: Any]])
        #expect(servers.map { $0["endpoint"] as? String } == ["127.0.0.2:80", "127.0.0.3:80"])
        let up = servers[0], down = servers[1]
        #expect(up["id"] as? String == "127.0.0.2-80")
        #expect(up["address"] as? String == "127.0.0.2")
        #expect(up["port"] as? Int == 80)
        #expect(up["weight"] as? Int == 3)
        #expect(up["forwarding"] as? String == "masquerade")
        #expect(up["upper_threshold"] as? Int == 50)
        #expect(up["lower_threshold"] as? Int == 20)
        #expect(up["state"] as? String == "UP")
        #expect(down["state"] as? String == "DOWN")
        #expect((up["active_connections"] as? Int ?? 0) + (down["active_connections"] as? Int ?? 0) == 2)
        let health = try #require(up["health"] as? [String: Any])
        #expect(health["checked"] as? Bool == true)
        #expect(health["up"] as? Bool == true)
        #expect(health["check_kind"] as? String == "http")
        #expect((health["history"] as? [[String: Any]])?.map { $0["succeeded"] as? Bool } == [true, false, true, true])
        #expect((health["last_result"] as? [String: Any])?["message"] as? String == "HTTP 200")
        #expect((down["health"] as? [String: Any])?["up"] as? Bool == false)

        let dns = services[1]
        #expect(dns["family"] as? String == "inet6")
        let v6 = try #require((dns["servers"] as? [[String: Any]])?.first)
        #expect(v6["state"] as? String == "NOCHECK")
        #expect((v6["health"] as? [String: Any])?["checked"] as? Bool == false)
        #expect((v6["health"] as? [String: Any])?["up"] as? Bool == true)

        let mark = services[2]
        #expect(mark["fwmark"] as? Int == 5)
        #expect(mark["protocol"] is NSNull)
        let persistence = try #require(mark["persistence"] as? [String: Any])
        #expect(persistence["timeout"] as? Int == 300)
        #expect(persistence["netmask"] as? String == "255.255.255.0")
        #expect((mark["servers"] as? [[String: Any]])?.first?["state"] as? String == "DRAIN")
    }

    @Test func oneServiceByItsIdIncludingIPv6AndFwmark() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        for (id, key) in [("tcp-127.0.0.1-8080", "tcp 127.0.0.1:8080"), ("udp-%5B2001%3Adb8%3A%3A1%5D-53", "udp [2001:db8::1]:53"),
                          ("fwm-5", "fwm 5")] {
            let r = try await Curl.request("GET", h.url("/api/services/\(id)"))
            #expect(r.status == 200, "\(id): \(r.body)")
            #expect(try r.json()["key"] as? String == key)
        }
        let servers = try await Curl.request("GET", h.url("/api/services/tcp-127.0.0.1-8080/servers"))
        #expect(try servers.jsonArray().map { $0["endpoint"] as? String } == ["127.0.0.2:80", "127.0.0.3:80"])
        let one = try await Curl.request("GET", h.url("/api/services/udp-%5B2001%3Adb8%3A%3A1%5D-53/servers/%5B2001%3Adb8%3A%3A10%5D-53"))
        #expect(one.status == 200)
        #expect(try one.json()["endpoint"] as? String == "[2001:db8::10]:53")
        for missing in ["/api/services/tcp-127.0.0.1-8081", "/api/services/fwm-6", "/api/services/bogus",
                        "/api/services/tcp-127.0.0.1-8080/servers/127.0.0.9-80", "/api/services/fwm-6/servers"] {
            let r = try await Curl.request("GET", h.url(missing))
            #expect(r.status == 404, "\(missing)")
            #expect(try r.json()["error"] is String)
        }
    }

    @Test func statsAndConnections() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let stats = try await Curl.request("GET", h.url("/api/stats")).json()
        #expect(stats["services"] as? Int == 3)
        #expect(stats["servers"] as? Int == 4)
        #expect(stats["connection_entries"] as? Int == 2)
        #expect(stats["active_connections"] as? Int == 2)
        #expect((stats["stats"] as? [String: Any])?["out_bytes"] as? Int == 100_000)
        #expect(stats["started_at"] as? Double == 1_700_000_000)
        #expect((stats["uptime_seconds"] as? Double ?? 0) > 0)
        #expect((stats["timeouts"] as? [String: Any])?["tcp_fin"] as? Int == 120)

        let list = try await Curl.request("GET", h.url("/api/connections")).json()
        #expect(list["count"] as? Int == 2)
        let entries = try #require(list["connections"] as? [[String: Any]])
        #expect(entries.map { $0["client"] as? String } == ["10.9.0.1:40000", "10.9.0.2:40000"])
        for e in entries {
            #expect(e["protocol"] as? String == "tcp")
            #expect(e["virtual"] as? String == "127.0.0.1:8080")
            #expect(["127.0.0.2:80", "127.0.0.3:80"].contains(e["destination"] as? String ?? ""))
            #expect(e["state"] as? String == "ESTABLISHED")
            #expect(e["expires_in"] as? Int == 900)
            #expect(e["template"] as? Bool == false)
        }
    }
}
