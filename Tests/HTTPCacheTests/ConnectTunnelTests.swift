import Foundation
import HTTPCache
import ShoalCore
import ShoalTestFixtures
import Testing

/// CONNECT through the forward proxy: curl opens a tunnel to a real nginx speaking TLS and fetches over it; a
/// port outside `connect_ports` is refused; the reverse proxy refuses CONNECT altogether.
@Suite(.serialized) struct ConnectTunnelTests {
    /// nginx with TLS on host:port serving /hello.txt.
    static func tlsOrigin(host: String) async throws -> (NginxFixture, Int) {
        let port = try TestPorts.free(host: host)
        let files = try await offPool { try SelfSignedCertificate.make() }
        let nginx = try await NginxFixture(listening: [(host, port)]) { directory in
            let root = directory + "/root"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try "hello over tls\n".write(toFile: root + "/hello.txt", atomically: true, encoding: .utf8)
            return """
                server {
                    listen \(host):\(port) ssl;
                    ssl_certificate \(files.certificate);
                    ssl_certificate_key \(files.key);
                    root \(root);
                    access_log \(directory)/access.log;
                }
                """
        }
        return (nginx, port)
    }

    @Test func curlTunnelsTLSThroughTheForwardProxy() async throws {
        let (origin, port) = try await Self.tlsOrigin(host: "127.0.185.21")
        defer { origin.stop() }
        let cache = try await CacheNodeFixture(host: "127.0.185.22", origin: nil, extra: "forward_proxy: true\nconnect_ports: [\(port)]\n")
        let url = "https://127.0.185.21:\(port)/hello.txt"
        // curl sends CONNECT for an https URL through an http proxy; -k: the certificate names 127.0.0.1.
        let fetched = try await Curl.run(["-k", "--proxy", cache.proxy, "-D", "-", url])
        #expect(fetched.status == 0, "\(fetched)")
        #expect(fetched.stdout.contains("HTTP/1.1 200 Connection established") || fetched.stdout.contains("HTTP/1.1 200 OK"))
        #expect(fetched.stdout.hasSuffix("hello over tls\n"))
        // Two requests over one tunnel (curl keeps the TLS connection): both reach the origin.
        let twice = try await Curl.run(["-k", "--proxy", cache.proxy, url, url])
        #expect(twice.stdout == "hello over tls\nhello over tls\n")
        let log = try String(contentsOfFile: origin.file("access.log"), encoding: .utf8)
        #expect(log.split(separator: "\n").filter { $0.contains("GET /hello.txt") }.count == 3)
        #expect((try await cache.metric("shoal_cache_tunnels_total") ?? 0) >= 2)
        #expect(try await eventually { cache.accessLog.contains("TCP_TUNNEL/200") })
        await cache.stop()
    }

    @Test func portsOutsideTheACLAndTheReverseProxyAreRefused() async throws {
        let (origin, port) = try await Self.tlsOrigin(host: "127.0.185.23")
        defer { origin.stop() }
        // The default ACL is 443 only.
        let forward = try await CacheNodeFixture(host: "127.0.185.24", origin: nil, extra: "forward_proxy: true\n")
        let url = "https://127.0.185.23:\(port)/hello.txt"
        let refused = try await Curl.run(["-k", "--proxy", forward.proxy, "-D", "-", url])
        #expect(refused.status != 0)
        #expect(refused.stdout.contains("403"))
        await forward.stop()
        let reverseOrigin = try await OriginFixture(host: "127.0.185.25")
        defer { reverseOrigin.stop() }
        let reverse = try await CacheNodeFixture(host: "127.0.185.26", origin: reverseOrigin)
        let refusedToo = try await Curl.run(["-k", "--proxy", reverse.proxy, "-D", "-", url])
        #expect(refusedToo.status != 0 && refusedToo.stdout.contains("403"))
        let log = (try? String(contentsOfFile: origin.file("access.log"), encoding: .utf8)) ?? ""
        #expect(log.isEmpty)
        await reverse.stop()
    }

    @Test func anIdleTunnelIsClosed() async throws {
        let (origin, port) = try await Self.tlsOrigin(host: "127.0.185.29")
        defer { origin.stop() }
        let cache = try await CacheNodeFixture(host: "127.0.185.30", origin: nil,
                                               extra: "forward_proxy: true\nconnect_ports: [\(port)]\nlimits: { tunnel_idle_timeout: 1 }\n")
        // A client that opens the tunnel and then sends nothing: the node closes it (bounded wait of 60 s).
        let script = """
            import socket, sys
            s = socket.create_connection(("\(cache.http.address)", \(cache.http.port)), timeout=60)
            s.sendall(b"CONNECT 127.0.185.29:\(port) HTTP/1.1\\r\\nHost: 127.0.185.29:\(port)\\r\\n\\r\\n")
            head = b""
            while b"\\r\\n\\r\\n" not in head:
                chunk = s.recv(4096)
                if not chunk: break
                head += chunk
            print(head.split(b"\\r\\n")[0].decode())
            rest = s.recv(4096)
            print("closed" if rest == b"" else "data")
            """
        let python = try requiredTool("python3", package: "python3")
        let result = try await TestProcess.run(python, ["-c", script])
        #expect(result.stdout == "HTTP/1.1 200 OK\nclosed\n", "\(result)")
        await cache.stop()
    }

    @Test func connectPortsNeedTheForwardProxy() throws {
        let yaml = "http: { listen: \"127.0.185.27:0\" }\norigin: { servers: [\"127.0.185.28:80\"] }\nstore: { directory: /tmp/x }\nconnect_ports: [443]\n"
        #expect(throws: ConfigError.self) { try CacheNodeConfiguration.parse(ConfigDocument.parse(yaml, file: "cache.yaml")) }
        let forward = "http: { listen: \"127.0.185.27:0\" }\nforward_proxy: true\nstore: { directory: /tmp/x }\n"
        #expect(try CacheNodeConfiguration.parse(ConfigDocument.parse(forward, file: "cache.yaml")).connectPorts == [443])
    }
}
