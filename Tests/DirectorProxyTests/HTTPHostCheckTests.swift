@testable import DirectorProxy
import NIOHTTP1
import Testing

/// The Host check of the L7 proxy (RFC 9112 §3.2, RFC 3986 §3.2.2), including the input the http-host fuzz target flagged.
@Suite struct HTTPHostCheckTests {
    @Test(arguments: ["shop.test", "Shop.Test:8080", "a.test:", "[2001:db8::1]", "[2001:db8::1]:443", "[::ffff:192.0.2.1]", "%41.test", ""])
    func validAuthorities(_ host: String) {
        #expect(HTTPHostCheck.isValidAuthority(host))
    }

    @Test(arguments: ["a b.test", "a.test:80x", "user@host", "[2001:db8::1", "[]", "[::1]x", "bücher.test"])
    func invalidAuthorities(_ host: String) {
        #expect(!HTTPHostCheck.isValidAuthority(host))
    }

    @Test func anIPLiteralWithFullwidthHexDigitsIsInvalid() {
        // Found with the http-host fuzz target's ASCII invariant: Character.isHexDigit accepts U+FF11 "１" and U+FF41 "ａ".
        #expect(!HTTPHostCheck.isValidAuthority("[１::ａ]:80"))
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["Host": "[１::ａ]:80"])
        #expect(HTTPHostCheck.problem(head) == "invalid Host header")
    }
}
