import Foundation
import ShoalTestFixtures
import Testing
import WebServer

/// The same requests to the web node and to nginx (Debian nginx-light) serving the same document root:
/// status codes and the headers that matter agree. Known, deliberate differences are left out: nginx answers 416
/// to a syntactically invalid Range (RFC 9110 §14.2 says to ignore it: the node sends 200), compares
/// If-Modified-Since for equality (the node answers 304 for any date not before Last-Modified), follows links
/// out of the root and serves `..` paths it can normalize (the node refuses both), and writes HTML error pages.
@Suite struct NginxComparisonTests {
    static let requests: [(String, String, [String: String])] = [
        ("GET", "/hello.txt", [:]), ("HEAD", "/hello.txt", [:]), ("GET", "/big.bin", [:]), ("GET", "/index.html", [:]),
        ("GET", "/", [:]), ("GET", "/dir/", [:]), ("GET", "/dir", [:]), ("GET", "/missing", [:]), ("GET", "/noindex/", [:]),
        ("GET", "/hello.txt/", [:]), ("GET", "/caf%C3%A9.txt", [:]), ("GET", "/style.css", [:]), ("GET", "/.secret", [:]),
        ("POST", "/hello.txt", ["Content-Length": "0"]),
        ("GET", "/hello.txt", ["Range": "bytes=0-4"]), ("GET", "/hello.txt", ["Range": "bytes=-3"]),
        ("GET", "/hello.txt", ["Range": "bytes=5-"]), ("GET", "/hello.txt", ["Range": "bytes=100-"]),
        ("GET", "/big.bin", ["Range": "bytes=1000-1999"]), ("GET", "/big.bin", ["Range": "bytes=0-0,10-10"]),
        ("GET", "/hello.txt", ["If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"]),
        ("GET", "/hello.txt", ["If-Match": "\"nope\""]),
        ("GET", "/hello.txt", ["If-None-Match": "*"]),
        ("GET", "/hello.txt", ["If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"]),  // (nginx checks If-Modified-Since for equality: a later date is left out)
    ]

    /// Headers compared whenever both servers send them (or one does and the other does not).
    static let comparedHeaders = ["content-length", "content-range", "last-modified", "content-type", "accept-ranges"]

    @Test(arguments: WebEngine.allCases) func nodeAndNginxAgree(engine: WebEngine) async throws {
        let node = try await WebNodeFixture(engine: engine, host: "127.0.150.3")
        defer { Task { await node.stop() } }
        let nginxPort = try TestPorts.free(host: "127.0.150.4")
        let nginx = try await NginxFixture(servers: """
            include /etc/nginx/mime.types;
            server {
                listen 127.0.150.4:\(nginxPort);
                root \(node.root);
                index index.html;
                max_ranges 16;
                location ~ /\\. { deny all; }
            }
            """, listening: [("127.0.150.4", nginxPort)])
        defer { nginx.stop() }
        let ours = try await node.ask(Self.requests)
        let theirs = try await node.ask(Self.requests, to: ("127.0.150.4", nginxPort))
        for (index, request) in Self.requests.enumerated() {
            let label = "\(request.0) \(request.1) \(request.2)"
            #expect(ours[index].status == theirs[index].status, "\(label): status")
            guard ours[index].status == theirs[index].status else { continue }
            let status = ours[index].status
            if [200, 206, 304, 416].contains(status) {
                for name in Self.comparedHeaders {
                    // nginx's multipart boundary differs, and its 416 body is HTML: compare what is comparable.
                    if name == "content-type", ours[index].headers[name]?.hasPrefix("multipart/") == true { continue }
                    if status == 416, name == "content-length" || name == "content-type" || name == "accept-ranges" { continue }
                    if request.0 == "GET", status == 206, name == "content-length", request.2["Range"]?.contains(",") == true { continue }
                    #expect(ours[index].headers[name] == theirs[index].headers[name], "\(label): \(name)")
                }
                #expect((ours[index].headers["etag"] == nil) == (theirs[index].headers["etag"] == nil), "\(label): etag")
                if status != 416, status != 206 || request.2["Range"]?.contains(",") != true {
                    #expect(ours[index].sha256 == theirs[index].sha256, "\(label): body")
                }
            }
        }
        // Each server's own validators give 304.
        for (answers, target) in [(ours, (node.host, node.port)), (theirs, ("127.0.150.4", nginxPort))] {
            let etag = try #require(answers[0].headers["etag"])
            let modified = try #require(answers[0].headers["last-modified"])
            let conditional = try await node.ask([("GET", "/hello.txt", ["If-None-Match": etag]), ("GET", "/hello.txt", ["If-Modified-Since": modified])],
                                                 to: target)
            #expect(conditional.map(\.status) == [304, 304], "\(target)")
        }
    }

    /// Refusals on raw sockets, against nginx 1.22: both answer 414 to a request line over the cap (nginx's is 8 KiB,
    /// the node's `header_bytes`, 16 KiB by default: the target here is over both), 405 to a general-purpose method
    /// a static file may not have (the node with `Allow`, which RFC 9110 §15.5.6 requires and nginx leaves out) and
    /// 400 to bytes that are no method at all. Deliberate differences, checked as such: a header line over the cap is
    /// 431 here (RFC 6585) and 400 from nginx; a method token neither knows (`BREW`) or a WebDAV method is 501 here
    /// (RFC 9110 §9.1: unrecognized or not implemented) and 405 from nginx.
    @Test(arguments: WebEngine.allCases) func refusalsAgreeWithNginxWhereTheRFCsAllow(engine: WebEngine) async throws {
        let node = try await WebNodeFixture(engine: engine, host: "127.0.151.3")
        defer { Task { await node.stop() } }
        let nginxPort = try TestPorts.free(host: "127.0.151.4")
        let nginx = try await NginxFixture(servers: """
            server {
                listen 127.0.151.4:\(nginxPort);
                root \(node.root);
            }
            """, listening: [("127.0.151.4", nginxPort)])
        defer { nginx.stop() }
        let longTarget = "/" + String(repeating: "a", count: 20000)
        let cases: [(request: String, node: Int, nginx: Int)] = [
            ("GET \(longTarget) HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n", 414, 414),
            ("DELETE /hello.txt HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n", 405, 405),
            ("POST /hello.txt HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n", 405, 405),
            ("\\x01\\x02 /hello.txt HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n", 400, 400),
            ("GET /hello.txt HTTP/1.1\\r\\nHost: a\\r\\nX-Big: \(String(repeating: "b", count: 20000))\\r\\nConnection: close\\r\\n\\r\\n", 431, 400),
            ("BREW /hello.txt HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n", 501, 405),
            ("PROPFIND /hello.txt HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n", 501, 405),
        ]
        for (request, nodeStatus, nginxStatus) in cases {
            let label = String(request.prefix(24))
            let ours = try await node.raw(request)
            let theirs = try await node.raw(request, to: ("127.0.151.4", nginxPort))
            #expect(statusCodes(ours).first == nodeStatus, "node: \(label)")
            #expect(statusCodes(theirs).first == nginxStatus, "nginx: \(label)")
            if nodeStatus == 405 { #expect(ours.contains("Allow: GET, HEAD"), "node: \(label)") }
        }
    }
}
