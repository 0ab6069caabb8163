import DirectorProxy
import NIOHTTP1
import ShoalCore
import Testing

/// Forwarding headers, hop-by-hop stripping and cookie tokens.
@Suite struct HTTPForwardingTests {
    @Test func forwardingHeadersAreAddedAndAppended() {
        var headers = HTTPHeaders([("X-Forwarded-For", "198.51.100.7"), ("x-forwarded-for", "10.1.1.1"),
                                   ("Forwarded", "for=198.51.100.7"), ("X-Forwarded-Proto", "https")])
        HTTPForwardingHeaders.add(client: l7Endpoint("192.0.2.60:5000"), proxy: l7Endpoint("10.0.0.80:80"), to: &headers)
        #expect(headers["X-Forwarded-For"] == ["198.51.100.7, 10.1.1.1, 192.0.2.60"])
        #expect(headers["Forwarded"] == ["for=198.51.100.7, for=192.0.2.60;proto=http;by=\"10.0.0.80:80\""])
        #expect(headers["X-Forwarded-Proto"] == ["http"])

        var fresh = HTTPHeaders()
        HTTPForwardingHeaders.add(client: l7Endpoint("[2001:db8::7]:5000"), proxy: l7Endpoint("[2001:db8::80]:80"), to: &fresh)
        #expect(fresh["X-Forwarded-For"] == ["2001:db8::7"])
        #expect(fresh["Forwarded"] == ["for=\"[2001:db8::7]\";proto=http;by=\"[2001:db8::80]:80\""])
    }

    @Test func hopByHopHeadersAreStripped() {
        var headers = HTTPHeaders([("Connection", "keep-alive, X-Secret"), ("Keep-Alive", "timeout=5"), ("X-Secret", "s"),
                                   ("Proxy-Connection", "x"), ("Upgrade", "h2c"), ("Content-Length", "3"), ("Host", "h")])
        HTTPHopByHop.strip(&headers)
        #expect(headers.map(\.name) == ["Content-Length", "Host"])
    }

    @Test func connectionNeverStripsHostOrTheFraming() {
        // Issue 10 #7: `Connection: host` removed Host from the forwarded request.
        var headers = HTTPHeaders([("Connection", "Host, content-length, Transfer-Encoding, X-Drop"), ("Host", "h"),
                                   ("Content-Length", "3"), ("X-Drop", "d")])
        HTTPHopByHop.strip(&headers)
        #expect(headers.map(\.name) == ["Host", "Content-Length"])
    }

    @Test func cookieTokensAreStableOpaqueAndDistinct() {
        let a = l7Endpoint("10.0.0.1:80"), b = l7Endpoint("10.0.0.2:80"), c = l7Endpoint("10.0.0.1:81")
        let ta = HTTPCookiePersistence.token(for: a)
        #expect(ta == HTTPCookiePersistence.token(for: a))
        #expect(ta.count == 12)
        let allHex = ta.allSatisfy { $0.isHexDigit }
        #expect(allHex)
        #expect(Set([ta, HTTPCookiePersistence.token(for: b), HTTPCookiePersistence.token(for: c)]).count == 3)
        let persistence = HTTPCookiePersistence(name: "SHOALSRV")
        #expect(persistence.server(for: ta) == nil)
        #expect(persistence.setCookie(for: a) == "SHOALSRV=\(ta); Path=/; HttpOnly")
        #expect(persistence.server(for: ta) == a)
    }

    @Test func cookieValuesAreFoundAmongOthers() {
        let headers = HTTPHeaders([("Cookie", "a=1; SHOALSRVX=no;SHOALSRV=\"abc\"; b=2"), ("Cookie", "SHOALSRV=later")])
        #expect(HTTPCookiePersistence.cookie(named: "SHOALSRV", in: headers) == "abc")
        #expect(HTTPCookiePersistence.cookie(named: "b", in: headers) == "2")
        #expect(HTTPCookiePersistence.cookie(named: "c", in: headers) == nil)
    }
}
