import Testing
@testable import WebServer
import ShoalTestFixtures

/// The fast path of `RequestPath` (plain targets) against the general parser: whatever it accepts, the general
/// parser reads the same way; what it declines is left to the general parser.
@Suite(.offCooperativePool) struct RequestPathPlainTests {
    @Test func plainTargetsParseAsTheGeneralParserDoes() throws {
        let plain = ["/", "/4k.bin", "/a/b/c.txt", "/dir/", "/a.b.c", "/A-Z_0~9/x", "/" + Array(repeating: "s", count: 64).joined(separator: "/")]
        for target in plain {
            let fast = try #require(RequestPath.plain(target), "\(target) is plain")
            #expect(fast == (try RequestPath.general(target, dotfiles: .deny)), "\(target)")
            #expect(fast == (try RequestPath(target: target)), "\(target)")
        }
    }

    @Test func everythingElseIsLeftToTheGeneralParser() {
        let others = ["", "a", "//a", "/a//b", "/.", "/..", "/a/../b", "/.git/config", "/a/.hidden", "/a%20b", "/a?x=1", "/a#f",
                      "/a\\b", "/caf\u{e9}.txt", "http://host/a", "/a b", "/a;b", "/a+b", "/" + Array(repeating: "s", count: 65).joined(separator: "/")]
        for target in others {
            #expect(RequestPath.plain(target) == nil, "\(target)")
        }
    }

    /// Every target over a small alphabet up to five characters: where the fast path answers, it agrees.
    @Test func exhaustiveShortTargetsAgree() {
        let alphabet: [Character] = ["/", "a", ".", "%", "2", "e", "?", "-"]
        var targets = [""]
        var checked = 0
        for _ in 0..<5 {
            targets = targets.flatMap { prefix in alphabet.map { prefix + String($0) } }
            for target in targets {
                guard let fast = RequestPath.plain(target) else { continue }
                checked += 1
                #expect(fast == (try? RequestPath.general(target, dotfiles: .deny)), "\(target)")
            }
        }
        #expect(checked > 100)
    }
}
