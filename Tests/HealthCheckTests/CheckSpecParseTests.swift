import HealthCheck
import ShoalCore
import Testing

/// CheckSpec from YAML: defaults, every kind's fields, and errors that name file, line and field.
@Suite struct CheckSpecParseTests {
    func spec(_ yaml: String) throws -> CheckSpec {
        try CheckSpec.parse(try ConfigDocument.parse(yaml, file: "checks.yaml"))
    }

    func parseError(_ yaml: String) -> ConfigError? {
        do {
            _ = try spec(yaml)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return ConfigError("unexpected \(error)")
        }
    }

    @Test func tcpDefaultsAreKeepalivedsDefaults() throws {
        let s = try spec("type: tcp\n")
        #expect(s.kind == .tcp)
        #expect(s.delayLoop == 5)
        #expect(s.connectTimeout == 3)
        #expect(s.retry == 1)
        #expect(s.delayBeforeRetry == 1)
        #expect(s.rise == 1)
        #expect(s.fall == 1)
        #expect(s.connectIP == nil && s.connectPort == nil)
        let server = Endpoint("10.0.0.5:80")!
        #expect(s.target(for: server) == server)
    }

    @Test func timingAndOverridesAcceptFractions() throws {
        let s = try spec("""
            type: tcp
            delay_loop: 0.2
            connect_timeout: 0.5
            retry: 0
            delay_before_retry: 0.05
            rise: 3
            fall: 2
            connect_ip: 127.0.61.9
            connect_port: 8080
            """)
        #expect(s.delayLoop == 0.2)
        #expect(s.connectTimeout == 0.5)
        #expect(s.retry == 0)
        #expect(s.delayBeforeRetry == 0.05)
        #expect(s.rise == 3 && s.fall == 2)
        #expect(s.target(for: Endpoint("10.0.0.5:80")!) == Endpoint("127.0.61.9:8080")!)
        let v6 = try spec("type: tcp\nconnect_ip: \"::1\"\n")
        #expect(v6.target(for: Endpoint("10.0.0.5:80")!) == Endpoint("[::1]:80")!)
    }

    @Test func httpFields() throws {
        let s = try spec("""
            type: http
            path: /health?full=1
            status: 200-299
            body: ok
            digest: 9A0364B9E99BB480DD25E1F0284C8555
            virtualhost: www.shoal.test
            """)
        guard case let .http(http) = s.kind else { Issue.record("not http: \(s.kind)"); return }
        #expect(http.path == "/health?full=1")
        #expect(http.status == HTTPStatusSet(ranges: [200...299]))
        #expect(http.body == "ok")
        #expect(http.digest == "9a0364b9e99bb480dd25e1f0284c8555")
        #expect(http.virtualhost == "www.shoal.test")

        guard case let .http(defaults) = try spec("type: http\n").kind else { Issue.record("not http"); return }
        #expect(defaults.path == "/")
        #expect(defaults.status.description == "200-399")
        #expect(!defaults.needsBody)
    }

    @Test func statusFormats() throws {
        func status(_ yaml: String) throws -> String {
            guard case let .http(http) = try spec("type: http\nstatus: \(yaml)\n").kind else { return "?" }
            return http.status.description
        }
        #expect(try status("200") == "200")
        #expect(try status("\"200-299\"") == "200-299")
        #expect(try status("200,204") == "200,204")
        #expect(try status("[200, \"300-302\"]") == "200,300-302")
        #expect(HTTPStatusSet("200-299")!.contains(204))
        #expect(!HTTPStatusSet("200-299")!.contains(301))
        #expect(HTTPStatusSet("299-200") == nil)
        #expect(HTTPStatusSet("20") == nil)
        #expect(HTTPStatusSet("200-") == nil)
        #expect(HTTPStatusSet("") == nil)
    }

    @Test func mailICPAndCommandKinds() throws {
        #expect(try spec("type: smtp\nhelo_name: director.shoal.test\n").kind == .smtp(heloName: "director.shoal.test"))
        #expect(try spec("type: smtp\n").kind == .smtp(heloName: "localhost"))
        #expect(try spec("type: pop3\n").kind == .pop3)
        #expect(try spec("type: imap\n").kind == .imap)
        #expect(try spec("type: icp\n").kind == .icp)
        let c = try spec("type: command\ncommand: /usr/bin/true --x\ntimeout: 1.5\ndynamic_weight: yes\n")
        #expect(c.kind == .command(CommandCheck(command: "/usr/bin/true --x", timeout: 1.5, dynamicWeight: true)))
        #expect(try spec("type: command\ncommand: exit 0\n").kind == .command(CommandCheck(command: "exit 0")))
    }

    @Test func errorsNameFileLineAndField() {
        #expect(parseError("type: foo\n") == ConfigError(file: "checks.yaml", line: 1, field: "type",
                                                             "'foo' is not one of: tcp, http, smtp, pop3, imap, icp, command"))
        #expect(parseError("delay_loop: 1\n") == ConfigError(file: "checks.yaml", line: 1, field: "type", "required field is missing"))
        #expect(parseError("type: tcp\nrise: 0\n") == ConfigError(file: "checks.yaml", line: 2, field: "rise", "0 is out of range 1-1000"))
        #expect(parseError("type: tcp\nfall: many\n") == ConfigError(file: "checks.yaml", line: 2, field: "fall", "'many' is not a whole number"))
        #expect(parseError("type: tcp\n\ndelay_loop: 0\n")
            == ConfigError(file: "checks.yaml", line: 3, field: "delay_loop", "must be more than 0 seconds"))
        #expect(parseError("type: tcp\nconnect_timeout: soon\n")
            == ConfigError(file: "checks.yaml", line: 2, field: "connect_timeout", "'soon' is not a number of seconds"))
        #expect(parseError("type: http\nstatus: 200-99\n")
            == ConfigError(file: "checks.yaml", line: 2, field: "status",
                           "'200-99' is not a status or status range (such as 200, 200-299, 200,204; codes 100-599)"))
        #expect(parseError("type: http\nstatus: [200, 700]\n")?.field == "status[1]")
        #expect(parseError("type: http\nstatus: [200, 700]\n")?.line == 2)
        #expect(parseError("type: http\npath: health\n")?.field == "path")
        #expect(parseError("type: http\ndigest: abc\n")
            == ConfigError(file: "checks.yaml", line: 2, field: "digest", "'abc' is not an MD5 digest (32 hex digits)"))
        #expect(parseError("type: tcp\npath: /\n")
            == ConfigError(file: "checks.yaml", line: 2, field: "path",
                           "unknown field (expected one of: connect_ip, connect_port, connect_timeout, delay_before_retry, delay_loop, fall, retry, rise, type)"))
        #expect(parseError("type: command\n") == ConfigError(file: "checks.yaml", line: 1, field: "command", "required field is missing"))
        #expect(parseError("type: command\ncommand: x\ndynamic_weight: maybe\n")?.field == "dynamic_weight")
        #expect(parseError("type: tcp\nconnect_ip: 10.0.0.300\n")
            == ConfigError(file: "checks.yaml", line: 2, field: "connect_ip", "'10.0.0.300' is not an IPv4 or IPv6 address"))
        #expect(parseError("type: tcp\nconnect_port: 70000\n")
            == ConfigError(file: "checks.yaml", line: 2, field: "connect_port", "70000 is out of range 1-65535"))
        #expect(parseError("type: smtp\nhelo_name: a b\n")?.field == "helo_name")
        #expect(parseError("type: tcp\nretry: -1\n")?.field == "retry")
    }

    @Test func nestedFieldPathsInErrors() throws {
        let doc = try ConfigDocument.parse("servers:\n  web1:\n    check:\n      type: http\n      rise: 0\n", file: "d.yaml")
        let node = try doc.required("servers").required("web1").required("check")
        #expect(throws: ConfigError(file: "d.yaml", line: 5, field: "servers.web1.check.rise", "0 is out of range 1-1000")) {
            try CheckSpec.parse(node)
        }
    }
}
