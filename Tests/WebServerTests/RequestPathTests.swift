import Testing
import WebServer

/// Request targets to safe paths: decoding once, every traversal form refused.
@Suite struct RequestPathTests {
    @Test func plainPathsSplitIntoSegments() throws {
        let path = try RequestPath(target: "/a/b/c.txt?x=1")
        #expect(path.segments == ["a", "b", "c.txt"])
        #expect(!path.hasTrailingSlash)
        #expect(path.query == "x=1")
        #expect(path.relative == "a/b/c.txt")
    }

    @Test func rootAndTrailingSlash() throws {
        #expect(try RequestPath(target: "/").segments.isEmpty)
        #expect(try RequestPath(target: "/dir/").hasTrailingSlash)
        #expect(try RequestPath(target: "/dir/./").hasTrailingSlash)
        #expect(try RequestPath(target: "//a///b").segments == ["a", "b"])
        #expect(try RequestPath(target: "/a/./b").segments == ["a", "b"])
    }

    @Test func percentDecodingHappensOnceAndKeepsUTF8() throws {
        #expect(try RequestPath(target: "/caf%C3%A9.txt").segments == ["café.txt"])
        #expect(try RequestPath(target: "/a%20b").segments == ["a b"])
        // %252e%252e decodes to the literal name "%2e%2e", never to "..".
        #expect(try RequestPath(target: "/%252e%252e/etc").segments == ["%2e%2e", "etc"])
        #expect(try RequestPath(target: "/a%2Fb").segments == ["a", "b"])
    }

    @Test(arguments: [
        "/../etc/passwd", "/a/../../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E/etc", "/.%2e/x", "/a/%2e%2e/%2e%2e/x",
        "/a%2F..%2F..%2Fetc", "/..", "/a/..",
    ])
    func dotDotIsForbiddenInEveryEncoding(target: String) {
        #expect(throws: RequestPath.Refusal.self) { try RequestPath(target: target) }
        #expect((try? RequestPath(target: target)) == nil)
        do { _ = try RequestPath(target: target) } catch { #expect(error.statusCode == 403) }
    }

    @Test func backslashNulAndBadEscapes() {
        #expect(throws: RequestPath.Refusal.forbidden("the path contains a backslash")) { try RequestPath(target: "/a\\..\\b") }
        #expect(throws: RequestPath.Refusal.forbidden("the path contains a backslash")) { try RequestPath(target: "/a%5c..%5cb") }
        #expect(throws: RequestPath.Refusal.malformed("the path contains a NUL byte")) { try RequestPath(target: "/a%00.txt") }
        #expect(throws: RequestPath.Refusal.self) { try RequestPath(target: "/a%zz") }
        #expect(throws: RequestPath.Refusal.self) { try RequestPath(target: "/a%4") }
        #expect(throws: RequestPath.Refusal.malformed("the path is not UTF-8")) { try RequestPath(target: "/%ff%fe") }
        #expect(throws: RequestPath.Refusal.self) { try RequestPath(target: "a/b") }
        #expect(throws: RequestPath.Refusal.self) { try RequestPath(target: "*") }
    }

    @Test func dotfilesAreRefusedUnlessAllowed() throws {
        #expect(throws: RequestPath.Refusal.self) { try RequestPath(target: "/.git/config") }
        #expect(throws: RequestPath.Refusal.self) { try RequestPath(target: "/a/.htpasswd") }
        #expect(throws: RequestPath.Refusal.self) { try RequestPath(target: "/%2egit/config") }
        #expect(try RequestPath(target: "/.well-known/acme").segments == [".well-known", "acme"])
        #expect(try RequestPath(target: "/.git/config", dotfiles: .allow).segments == [".git", "config"])
        // ".." stays refused even when hidden files are allowed.
        #expect(throws: RequestPath.Refusal.self) { try RequestPath(target: "/..", dotfiles: .allow) }
    }

    @Test func absoluteFormKeepsOnlyThePath() throws {
        #expect(try RequestPath(target: "http://example.com/a/b?q").segments == ["a", "b"])
        #expect(try RequestPath(target: "HTTPS://example.com").segments.isEmpty)
        #expect(try RequestPath(target: "http://example.com?x").query == "x")
        #expect(throws: RequestPath.Refusal.self) { try RequestPath(target: "http://h/../x") }
    }

    @Test func depthIsCapped() {
        let deep = "/" + Array(repeating: "a", count: RequestPath.maximumDepth + 1).joined(separator: "/")
        #expect(throws: RequestPath.Refusal.self) { try RequestPath(target: deep) }
    }

    @Test func encodingRoundTrips() throws {
        let path = try RequestPath(target: "/dir%20one/caf%C3%A9/")
        #expect(path.encoded == "/dir%20one/caf%C3%A9/")
        #expect(RequestPath.percentEncode("a?b#c") == "a%3Fb%23c")
    }
}
