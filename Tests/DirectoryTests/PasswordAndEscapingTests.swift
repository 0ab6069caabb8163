@testable import Directory
import Foundation
import Testing

/// Password schemes checked against values made by other implementations (Python hashlib/crypt,
/// slappasswd), and RFC 4515/4514 escaping.
@Suite struct PasswordAndEscapingTests {
    // Made outside Shoal: python3 hashlib with salt 01..08, python3 crypt(3), slappasswd -h {SSHA}.
    static let vectors: [(String, PasswordScheme?)] = [
        ("{SSHA}r4GFfnTVX/ebTRbJB9+bg24i1cQBAgMEBQYHCA==", .ssha),
        ("{SSHA256}bNtMVerCntUiM6mjgxudgX6w7AE/C/4Hi1ybRPkk1GUBAgMEBQYHCA==", .ssha256),
        ("{SSHA512}tWmlvfgBjnxlYOFSQWli0nSTHnwf64E6uFE8rtFGrLFtypFds1cVdfn2IC8ewQWRDGJbc4W+xKWY9vEt08ziSwECAwQFBgcI", .ssha512),
        ("{CRYPT}$6$abcdefgh$dlEzYPDdtfz.DhUwWFR5Q7m5r1ENAtCOQl3bnkUXXhWlXsKX1SBATO7STV2Acju43GrtCSKHmYpOBSIWFOPsw.", .crypt),
        ("{CRYPT}$5$abcdefgh$ncXlJnDKl6pH5zNDMB.VHum5aWdfMTysr6Vu32ZEZ.C", .crypt),
        ("{CRYPT}$1$abcdefgh$CSiVTZddYDOMinbJG4io/1", .crypt),
        ("{SSHA}zki04ttmDsUkVh5N7X+I++Oa5uZmA+kq", .ssha),
        ("{PLAIN}s3cret!", .plain),
        ("{CLEARTEXT}s3cret!", .plain),
        ("{ssha}r4GFfnTVX/ebTRbJB9+bg24i1cQBAgMEBQYHCA==", .ssha),
    ]

    @Test(arguments: vectors)
    func verifiesValuesMadeElsewhere(_ stored: String, _ scheme: PasswordScheme?) {
        #expect(PasswordHash.verify("s3cret!", against: stored))
        #expect(!PasswordHash.verify("s3cret", against: stored))
        #expect(!PasswordHash.verify("S3cret!", against: stored))
        #expect(!PasswordHash.verify("", against: stored))
        #expect(PasswordHash.scheme(of: stored) == scheme)
    }

    @Test(arguments: PasswordScheme.allCases)
    func makesValuesThatVerifyAndAreSalted(_ scheme: PasswordScheme) {
        let a = PasswordHash.make("pässwörd ✓", scheme: scheme)
        let b = PasswordHash.make("pässwörd ✓", scheme: scheme)
        #expect(a.hasPrefix("{\(scheme.rawValue)}"))
        #expect(PasswordHash.verify("pässwörd ✓", against: a))
        #expect(!PasswordHash.verify("passwort", against: a))
        if scheme != .plain { #expect(a != b) }
        if scheme == .crypt { #expect(a.hasPrefix("{CRYPT}$6$")) }
    }

    @Test(arguments: ["{SSHA}", "{SSHA}!!notbase64", "{SSHA}AAAA", "{MD5}X03MO1qnZdYdgyfeuILPmQ==", "{CRYPT}", "{CRYPT}*", "{UNKNOWN}x", "{SSHA512}" + String(repeating: "A", count: 84)])
    func malformedOrUnknownValuesNeverMatch(_ stored: String) {
        #expect(!PasswordHash.verify("", against: stored))
        #expect(!PasswordHash.verify("s3cret!", against: stored))
    }

    @Test func filterEscapingFollowsRFC4515() {
        #expect(LDAPEscaping.filterValue("*)(uid=*") == "\\2a\\29\\28uid=\\2a")
        #expect(LDAPEscaping.filterValue("a\\b") == "a\\5cb")
        #expect(LDAPEscaping.filterValue("nul\u{0}x") == "nul\\00x")
        #expect(LDAPEscaping.filterValue("José") == "Jos\\c3\\a9")
        #expect(LDAPEscaping.filterValue("alice@example.org") == "alice@example.org")
    }

    @Test func dnEscapingFollowsRFC4514() {
        #expect(LDAPEscaping.dnValue("Smith, John") == "Smith\\, John")
        #expect(LDAPEscaping.dnValue(" lead") == "\\ lead")
        #expect(LDAPEscaping.dnValue("trail ") == "trail\\ ")
        #expect(LDAPEscaping.dnValue("#hash") == "\\#hash")
        #expect(LDAPEscaping.dnValue("a+b=c;d<e>f\"g\\h") == "a\\+b\\=c\\;d\\<e\\>f\\\"g\\\\h")
        #expect(LDAPEscaping.dnValue("x\u{0}") == "x\\00")
    }

    @Test func filterTemplatesExpandEscapedParts() {
        let t = "(&(uid=%s)(mailDomain=%d)(x=%u)(pct=%%))"
        #expect(LDAPEscaping.expand(t, name: "alice@example.org") == "(&(uid=alice)(mailDomain=example.org)(x=alice@example.org)(pct=%))")
        #expect(LDAPEscaping.expand(t, name: "bob") == "(&(uid=bob)(mailDomain=)(x=bob)(pct=%))")
        #expect(LDAPEscaping.expand("(uid=%u)", name: "*)(uid=*") == "(uid=\\2a\\29\\28uid=\\2a)")
        #expect(LDAPEscaping.expand("(uid=%q%", name: "x") == "(uid=%q%")
    }

    /// A clock the test moves by hand.
    final class ManualClock: @unchecked Sendable {
        private let lock = NSLock()
        private var current = ContinuousClock.now
        func now() -> ContinuousClock.Instant { lock.withLock { current } }
        func advance(_ d: Duration) { lock.withLock { current = current + d } }
    }

    @Test func lookupCacheKeepsHitsAndMissesForTheirTTL() async {
        let clock = ManualClock()
        let cache = LookupCache<String>(positiveTTL: .seconds(60), negativeTTL: .seconds(10), now: { clock.now() })
        await cache.store("Alice", "found")
        await cache.store("nobody", nil)
        #expect(await cache.lookup("alice") == .some("found"))
        #expect(await cache.lookup("NOBODY") == .some(nil))
        #expect(await cache.lookup("carol") == nil)
        clock.advance(.seconds(11))
        #expect(await cache.lookup("nobody") == nil)
        #expect(await cache.lookup("alice") == .some("found"))
        clock.advance(.seconds(50))
        #expect(await cache.lookup("alice") == nil)
        #expect(await cache.hits == 3)
        let off = LookupCache<String>(positiveTTL: .zero, negativeTTL: .zero)
        await off.store("a", "b")
        #expect(await off.lookup("a") == nil)
    }
}
