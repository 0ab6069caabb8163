import Director
import DirectorAdmin
import Foundation
import ShoalCore
import Testing

/// The changing routes over a real socket with curl, read back through the API and the table.
@Suite struct APIMutationTests {
    @Test func addEditAndDeleteAService() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let add = try await Curl.request("POST", h.url("/api/services"), json: """
            {"protocol": "tcp", "address": "127.0.0.5", "port": 443, "scheduler": "lc",
             "persistence": {"timeout": 600, "netmask": "255.255.0.0"},
             "servers": [{"address": "127.0.0.6", "port": 8443, "weight": 2, "forwarding": "masquerade"},
                         {"address": "127.0.0.7", "upper_threshold": 10, "lower_threshold": 5}]}
            """)
        #expect(add.status == 201, "\(add.body)")
        let created = try add.json()
        #expect(created["id"] as? String == "tcp-127.0.0.5-443")
        #expect((created["servers"] as? [[String: Any]])?.map { $0["endpoint"] as? String } == ["127.0.0.7:443", "127.0.0.6:8443"])
        let rules = await h.director.rules()
        #expect(rules.contains("-A -t 127.0.0.5:443 -s lc -p 600 -M 255.255.0.0\n"))
        #expect(rules.contains("-a -t 127.0.0.5:443 -r 127.0.0.6:8443 -m -w 2\n"))
        #expect(rules.contains("-a -t 127.0.0.5:443 -r 127.0.0.7:443 -g -w 1 -x 10 -y 5\n"))

        // PATCH changes only what it names: the persistence stays.
        let patch = try await Curl.request("PATCH", h.url("/api/services/tcp-127.0.0.5-443"), json: #"{"scheduler": "rr"}"#)
        #expect(patch.status == 200, "\(patch.body)")
        #expect(try patch.json()["scheduler"] as? String == "rr")
        #expect(await h.director.rules().contains("-A -t 127.0.0.5:443 -s rr -p 600 -M 255.255.0.0\n"))
        // null removes persistence.
        let unpersist = try await Curl.request("PATCH", h.url("/api/services/tcp-127.0.0.5-443"), json: #"{"persistence": null}"#)
        #expect(unpersist.status == 200)
        #expect(try unpersist.json()["persistence"] is NSNull)
        #expect(await h.director.rules().contains("-A -t 127.0.0.5:443 -s rr\n"))

        let delete = try await Curl.request("DELETE", h.url("/api/services/tcp-127.0.0.5-443"))
        #expect(delete.status == 204)
        #expect(delete.body.isEmpty)
        #expect(try await Curl.request("GET", h.url("/api/services/tcp-127.0.0.5-443")).status == 404)
        #expect(!(await h.director.rules().contains("127.0.0.5")))
    }

    @Test func fwmarkAndIPv6ServicesCanBeAddedAndAddressed() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let mark = try await Curl.request("POST", h.url("/api/services"), json: #"{"fwmark": 9, "family": "inet6", "scheduler": "mh", "scheduler_flags": ["mh-port"]}"#)
        #expect(mark.status == 201, "\(mark.body)")
        #expect(try mark.json()["id"] as? String == "fwm6-9")
        #expect(try mark.json()["flags"] as? [String: Any] != nil)
        let v6 = try await Curl.request("POST", h.url("/api/services"), json: #"{"protocol": "udp", "address": "2001:db8::77", "port": 5353}"#)
        #expect(v6.status == 201, "\(v6.body)")
        let id = try #require(try v6.json()["id"] as? String)
        #expect(id == "udp-%5B2001%3Adb8%3A%3A77%5D-5353")
        let server = try await Curl.request("POST", h.url("/api/services/\(id)/servers"), json: #"{"address": "2001:db8::78", "weight": 4}"#)
        #expect(server.status == 201, "\(server.body)")
        #expect(try server.json()["id"] as? String == "%5B2001%3Adb8%3A%3A78%5D-5353")
        let rules = await h.director.rules()
        #expect(rules.contains("-A -f 9 -6 -s mh -b mh-port\n") || rules.contains("-A -f 9 -s mh -b mh-port -6\n"), "\(rules)")
        #expect(rules.contains("-a -u [2001:db8::77]:5353 -r [2001:db8::78]:5353 -g -w 4\n"))
    }

    @Test func serverEditKeepsCurrentValuesAndDrainDeleteWork() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let base = "/api/services/tcp-127.0.0.1-8080/servers"
        // Only the weight changes: masquerade and the thresholds 50/20 stay (unlike ipvsadm -e).
        let patch = try await Curl.request("PATCH", h.url("\(base)/127.0.0.2-80"), json: #"{"weight": 9}"#)
        #expect(patch.status == 200, "\(patch.body)")
        let edited = try patch.json()
        #expect(edited["weight"] as? Int == 9)
        #expect(edited["forwarding"] as? String == "masquerade")
        #expect(edited["upper_threshold"] as? Int == 50)
        #expect(await h.director.rules().contains("-a -t 127.0.0.1:8080 -r 127.0.0.2:80 -m -w 9 -x 50 -y 20\n"))
        // The colon form of the server id works too (percent-encoded or not).
        let colon = try await Curl.request("PATCH", h.url("\(base)/127.0.0.2:80"), json: #"{"upper_threshold": 60, "forwarding": "route"}"#)
        #expect(colon.status == 200, "\(colon.body)")
        #expect(await h.director.rules().contains("-r 127.0.0.2:80 -g -w 9 -x 60 -y 20\n"))

        let drain = try await Curl.request("POST", h.url("\(base)/127.0.0.2-80/drain"))
        #expect(drain.status == 200, "\(drain.body)")
        #expect(try drain.json()["state"] as? String == "DRAIN")
        #expect(try drain.json()["weight"] as? Int == 0)
        #expect(await h.director.rules().contains("-r 127.0.0.2:80 -g -w 0 -x 60 -y 20\n"))

        let add = try await Curl.request("POST", h.url(base), json: #"{"address": "127.0.0.8", "port": 81, "weight": 5}"#)
        #expect(add.status == 201, "\(add.body)")
        #expect(try add.json()["state"] as? String == "NOCHECK")
        let delete = try await Curl.request("DELETE", h.url("\(base)/127.0.0.3-80"))
        #expect(delete.status == 204)
        let servers = try await Curl.request("GET", h.url(base)).jsonArray().compactMap { $0["endpoint"] as? String }
        #expect(servers == ["127.0.0.8:81", "127.0.0.2:80"])
    }

    @Test func ipvsadmArgumentsApplyAndList() async throws {
        let h = try await ServerHarness.start()
        defer { Task { await h.stop() } }
        let add = try await Curl.request("POST", h.url("/api/ipvsadm"), json: #"{"args": ["-a", "-t", "127.0.0.1:8080", "-r", "127.0.0.9:80", "-w", "3"]}"#)
        #expect(add.status == 200, "\(add.body)")
        #expect(add.body.isEmpty)
        // ipvsadm forces the service port for -g (direct routing).
        #expect(await h.director.rules().contains("-a -t 127.0.0.1:8080 -r 127.0.0.9:8080 -g -w 3\n"))

        let table = await h.director.table
        for args in [["-L", "-n"], ["-L", "-n", "-c"], ["-S", "-n"], ["-l", "--stats", "-n"], ["-L", "-n", "-t", "127.0.0.1:8080", "--rate"],
                     ["-L", "--timeout"]] {
            let r = try await Curl.request("POST", h.url("/api/ipvsadm"), json: try String(decoding: JSONEncoder().encode(["args": args]), as: UTF8.self))
            #expect(r.status == 200, "\(args): \(r.body)")
            #expect(r.headers["content-type"] == "text/plain; charset=utf-8")
            #expect(r.body == (try IPVSListing.render(try IPVSRuleParser.parse(args), table: table)), "\(args)")
        }
        let connections = try await Curl.request("POST", h.url("/api/ipvsadm"), json: #"{"args": ["-L", "-n", "-c"]}"#)
        #expect(connections.body.contains("10.9.0.1:40000"))
        #expect(connections.body.contains("ESTABLISHED"))
        // No arguments lists, as ipvsadm does.
        let bare = try await Curl.request("POST", h.url("/api/ipvsadm"), json: #"{"args": []}"#)
        #expect(bare.body.hasPrefix(IPVSListing.versionLine))
    }
}
