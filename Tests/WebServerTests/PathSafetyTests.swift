import Foundation
import Testing
import WebServer

/// Traversal attempts in every encoding, links out of the root, hidden files: 400/403/404, and never a byte
/// from outside the root.
@Suite struct PathSafetyTests {
    static let attempts: [(target: String, statuses: Set<Int>)] = [
        ("/../outside/passwd", [403]),
        ("/%2e%2e/outside/passwd", [403]),
        ("/%2E%2E%2Foutside%2Fpasswd", [403]),
        ("/dir/%2e%2e/%2e%2e/outside/passwd", [403]),
        ("/%252e%252e/outside/passwd", [404]),
        ("/..%5coutside%5cpasswd", [403]),
        ("/..\\\\outside\\\\passwd", [403]),
        ("/hello.txt%00.html", [400]),
        ("/outside-link.txt", [404]),
        ("/outside-dir/passwd", [404]),
        ("/.secret", [403]),
        ("/.git/config", [403]),
        ("/%2egit/config", [403]),
        ("http://evil/../outside/passwd", [403]),
    ]

    @Test(arguments: WebEngine.allCases) func traversalIsRefusedInEveryEncoding(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        for attempt in Self.attempts {
            let raw = try await f.raw("GET \(attempt.target) HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n")
            let status = statusCodes(raw).first ?? 0
            #expect(attempt.statuses.contains(status), "\(attempt.target) answered \(status)")
            #expect(!raw.contains("outside the root"), "\(attempt.target) leaked the file")
        }
    }

    @Test(arguments: WebEngine.allCases) func curlWithPathAsIsGetsNothingFromOutside(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        for target in ["/../outside/passwd", "/dir/../../outside/passwd", "/%2e%2e/outside/passwd", "/outside-link.txt"] {
            let result = try await f.curl(["--path-as-is", "-o", "-", "-w", "\n%{http_code}", f.url + target])
            #expect(result.status == 0)
            let code = result.stdout.split(separator: "\n").last.map(String.init)
            #expect(code == "403" || code == "404", "\(target): \(code ?? "?")")
            #expect(!result.stdout.contains("outside the root"))
        }
    }

    @Test(arguments: WebEngine.allCases) func linksInsideTheRootAreFollowed(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine)
        defer { Task { await f.stop() } }
        #expect(try await f.get("/inside-link.txt").body == WebNodeFixture.smallText)
    }

    @Test(arguments: WebEngine.allCases) func linksCanBeRefusedOrAllFollowed(engine: WebEngine) async throws {
        let never = try await WebNodeFixture(engine: engine, extra: "symlinks: never\n")
        #expect(try await never.get("/inside-link.txt").status == 404)
        #expect(try await never.get("/hello.txt").status == 200)
        await never.stop()
        let always = try await WebNodeFixture(engine: engine, extra: "symlinks: always\n")
        #expect(try await always.get("/outside-link.txt").status == 200)
        await always.stop()
    }

    @Test(arguments: WebEngine.allCases) func dotfilesCanBeAllowed(engine: WebEngine) async throws {
        let f = try await WebNodeFixture(engine: engine, extra: "dotfiles: allow\n")
        defer { Task { await f.stop() } }
        #expect(try await f.get("/.secret").body == "secret\n")
        #expect(try await f.raw("GET /../x HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n").hasPrefix("HTTP/1.1 403"))
    }
}
