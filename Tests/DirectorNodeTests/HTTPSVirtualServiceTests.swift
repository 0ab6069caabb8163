import DirectorNode
import Foundation
import ShoalCore
import ShoalTestFixtures
import Testing

/// An HTTPS VIP (TLS terminated at the director, `http.tls`) with cookie persistence, in front of real Python
/// HTTPS and HTTP servers, driven by curl (127.0.203.x). TLS to the nodes (`http.node_tls`) checks their
/// certificates against the CA file; a reload with a bad certificate is refused and changes nothing, one with a
/// renewed certificate serves it to new connections.
@Suite(.serialized) struct HTTPSVirtualServiceTests {
    /// One curl request; `jar` keeps cookies between calls; returns the body's first line and the response headers.
    static func get(_ url: String, ca: String, jar: String? = nil) async throws -> (line: String, headers: String) {
        let curl = try requiredTool("curl", package: "curl")
        let headers = NSTemporaryDirectory() + "shoal-h-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: headers) }
        var arguments = ["-sS", "--noproxy", "*", "--max-time", "60", "--cacert", ca, "-D", headers]
        if let jar { arguments += ["-b", jar, "-c", jar] }
        let child = try TestProcess(curl, arguments + [url])
        let status = try await child.wait(timeout: 90)
        let head = (try? String(contentsOfFile: headers, encoding: .utf8)) ?? ""
        guard status == 0 else { return ("FAIL curl \(status): \(child.standardError)", head) }
        return (child.outputLines.first ?? "", head)
    }

    /// The error parsing `yaml` as `director.yaml` gives, or nil when it parses.
    static func configError(_ yaml: String) -> ConfigError? {
        do {
            _ = try DirectorConfiguration.parse(try ConfigDocument.parse(yaml, file: "director.yaml"))
            return nil
        } catch {
            return error
        }
    }

    static func yaml(certificate: String, key: String, nodeTLS: Bool, servers: [String]) -> String {
        """
        services:
          - listen: 127.0.203.1:8443
            protocol: http
            scheduler: rr
            servers: [\(servers.map { "{address: \($0)}" }.joined(separator: ", "))]
            http:
              cookie: SHOALSRV
              tls: {certificate: "\(certificate)", key: "\(key)"}
        \(nodeTLS ? "      node_tls: {ca_file: \"\(certificate)\", verify: true}" : "")
        """
    }

    @Test func cookieKeepsAClientOnOneNodeBehindAnHTTPSVirtualService() async throws {
        _ = try PythonPeers.python()
        let (certificate, key) = try await offPool {
            try SelfSignedCertificate.make(names: "IP:127.0.203.1,IP:127.0.203.2,IP:127.0.203.3,DNS:localhost")
        }
        let a = try Backend("https", "127.0.203.2", 8443, name: "A", extra: [certificate, key])
        let b = try Backend("https", "127.0.203.3", 8443, name: "B", extra: [certificate, key])
        defer { a.kill(); b.kill() }
        let director = try await DirectorHarness(Self.yaml(certificate: certificate, key: key, nodeTLS: true,
                                                           servers: ["127.0.203.2:8443", "127.0.203.3:8443"]))
        defer { Task { await director.stop() } }
        let url = "https://127.0.203.1:8443/inbox"

        // curl checks the VIP's certificate against the CA: TLS ends at the director, and the node (itself over
        // TLS from the director) was told the client came over HTTPS.
        let jar = NSTemporaryDirectory() + "shoal-jar-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: jar) }
        let first = try await Self.get(url, ca: certificate, jar: jar)
        #expect(first.line.hasSuffix(" /inbox https"), "\(first)")
        let cookieLine = first.headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie: shoalsrv=") }
        #expect(cookieLine?.contains("; Secure") == true && cookieLine?.contains("HttpOnly") == true, "\(first.headers)")
        let home = String(first.line.prefix(1))

        // The cookie keeps this client on its node for many requests, while fresh clients are spread.
        var seen: [String] = []
        for _ in 0..<12 { seen.append(String(try await Self.get(url, ca: certificate, jar: jar).line.prefix(1))) }
        #expect(seen == Array(repeating: home, count: 12), "\(seen)")
        var fresh: Set<String> = []
        for _ in 0..<4 { fresh.insert(String(try await Self.get(url, ca: certificate).line.prefix(1))) }
        #expect(fresh == ["A", "B"], "\(fresh)")

        // Its node killed, the client moves to the other node and its cookie follows.
        (home == "A" ? a : b).kill()
        let other = home == "A" ? "B" : "A"
        let moved = try await Self.get(url, ca: certificate, jar: jar)
        #expect(moved.line.hasPrefix(other + " "), "\(moved)")
        #expect(moved.headers.lowercased().contains("set-cookie: shoalsrv="), "\(moved.headers)")
        var after: [String] = []
        for _ in 0..<4 { after.append(String(try await Self.get(url, ca: certificate, jar: jar).line.prefix(1))) }
        #expect(after == Array(repeating: other, count: 4), "\(after)")
    }

    @Test func plainNodesBehindTheHTTPSVirtualServiceAndCertificateReloads() async throws {
        _ = try PythonPeers.python()
        let (certificate, key) = try await offPool { try SelfSignedCertificate.make(names: "IP:127.0.203.1") }
        let plain = try Backend("http", "127.0.203.4", 8080, name: "P")
        defer { plain.kill() }
        let good = Self.yaml(certificate: certificate, key: key, nodeTLS: false, servers: ["127.0.203.4:8080"])
        let director = try await DirectorHarness(good)
        defer { Task { await director.stop() } }
        let url = "https://127.0.203.1:8443/x"
        #expect(try await Self.get(url, ca: certificate).line == "P /x")

        // A key that is not the certificate's: the reload is refused naming the config line; the VIP keeps its certificate.
        let (_, otherKey) = try await offPool { try SelfSignedCertificate.make(names: "IP:127.0.203.1") }
        let bad = Self.yaml(certificate: certificate, key: otherKey, nodeTLS: false, servers: ["127.0.203.4:8080"])
        #expect(try await director.reload(bad) == false)
        let mismatch = Self.configError(bad)
        #expect(mismatch?.file == "director.yaml" && mismatch?.line == 8 && mismatch?.field?.contains("http.tls") == true, "\(String(describing: mismatch))")
        let missing = Self.yaml(certificate: "/nonexistent/cert.pem", key: key, nodeTLS: false, servers: ["127.0.203.4:8080"])
        let absent = Self.configError(missing)
        #expect(absent?.line == 8 && absent?.field?.hasSuffix("http.tls.certificate") == true
                && absent?.message.contains("/nonexistent/cert.pem") == true, "\(String(describing: absent))")
        #expect(try await Self.get(url, ca: certificate).line == "P /x")
        // A reload with a new certificate applies to new connections: clients trusting only the old one now fail.
        let (renewed, renewedKey) = try await offPool { try SelfSignedCertificate.make(names: "IP:127.0.203.1") }
        #expect(try await director.reload(Self.yaml(certificate: renewed, key: renewedKey, nodeTLS: false, servers: ["127.0.203.4:8080"])) == true)
        #expect(try await Self.get(url, ca: renewed).line == "P /x")
        #expect(try await Self.get(url, ca: certificate).line.hasPrefix("FAIL curl 60"), "the old certificate is still served")
    }
}
