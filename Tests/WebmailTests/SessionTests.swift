import Directory
import Testing
import Webmail

/// Sessions: idle and absolute timeouts on an injected clock, sign-out, the cap, and signed cookie values.
@Suite struct SessionTests {
    static let alice = DirectoryUser(login: "alice", addresses: ["alice@shoal.test"])

    @Test func idleTimeoutEndsASessionAndUseExtendsIt() {
        var table = WebSessionTable(idleTimeout: 100, absoluteTimeout: 1000)
        _ = table.start(id: "s1", user: Self.alice, address: "alice@shoal.test", isAdmin: false, csrfToken: "t", now: 0)
        #expect(table.touch(id: "s1", now: 99) != nil)
        #expect(table.touch(id: "s1", now: 198) != nil)
        #expect(table.touch(id: "s1", now: 298) == nil)
        #expect(table.count == 0)
    }

    @Test func absoluteTimeoutEndsASessionInUse() {
        var table = WebSessionTable(idleTimeout: 100, absoluteTimeout: 250)
        _ = table.start(id: "s1", user: Self.alice, address: "a", isAdmin: false, csrfToken: "t", now: 0)
        for now in stride(from: 50.0, through: 200, by: 50) { #expect(table.touch(id: "s1", now: now) != nil) }
        #expect(table.touch(id: "s1", now: 250) == nil)
    }

    @Test func signOutAndEndingALogin() {
        var table = WebSessionTable(idleTimeout: 100, absoluteTimeout: 1000)
        _ = table.start(id: "s1", user: Self.alice, address: "a", isAdmin: false, csrfToken: "t", now: 0)
        _ = table.start(id: "s2", user: Self.alice, address: "a", isAdmin: false, csrfToken: "t", now: 0)
        _ = table.start(id: "s3", user: DirectoryUser(login: "bob"), address: "b", isAdmin: false, csrfToken: "t", now: 0)
        table.end(id: "s1")
        #expect(table.touch(id: "s1", now: 1) == nil)
        table.end(login: "alice")
        #expect(table.touch(id: "s2", now: 1) == nil)
        #expect(table.touch(id: "s3", now: 1)?.login == "bob")
    }

    @Test func theCapEvictsTheLeastRecentlyUsed() {
        var table = WebSessionTable(idleTimeout: 100, absoluteTimeout: 1000, capacity: 2)
        _ = table.start(id: "old", user: Self.alice, address: "a", isAdmin: false, csrfToken: "t", now: 0)
        _ = table.start(id: "used", user: Self.alice, address: "a", isAdmin: false, csrfToken: "t", now: 1)
        _ = table.touch(id: "old", now: 5)
        _ = table.start(id: "new", user: Self.alice, address: "a", isAdmin: false, csrfToken: "t", now: 6)
        #expect(table.count == 2)
        #expect(table.touch(id: "used", now: 7) == nil)
        #expect(table.touch(id: "old", now: 7) != nil)
    }

    @Test func cookieSignaturesAreChecked() {
        let signer = CookieSigner(secret: Array(repeating: 7, count: 32))
        let value = signer.sign("abc")
        #expect(signer.verify(value) == "abc")
        #expect(signer.verify("abd" + value.dropFirst(3)) == nil)
        #expect(signer.verify(value + "x") == nil)
        #expect(signer.verify("abc") == nil)
        #expect(signer.verify("abc.") == nil)
        #expect(CookieSigner(secret: Array(repeating: 8, count: 32)).verify(value) == nil)
        #expect(CookieSigner.randomToken() != CookieSigner.randomToken())
        #expect(CookieSigner.randomToken().count == 43)
    }
}
