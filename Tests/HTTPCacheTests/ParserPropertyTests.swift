import HTTPCache
import ICP
import NIOHTTP1
import Testing
import ShoalTestFixtures

/// The invariants of the `icp` and `cache-headers` fuzz targets over seeded random inputs (mutations of valid
/// ones), so they run in every `make test`, not only under libFuzzer.
@Suite(.offCooperativePool) struct ParserPropertyTests {
    /// A small deterministic generator (SplitMix64).
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    static func mutate(_ seed: [UInt8], _ rng: inout Seeded) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0 where !bytes.isEmpty: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
            case 2 where !bytes.isEmpty: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
            default: bytes += bytes.prefix(Int.random(in: 0...min(16, bytes.count), using: &rng))
            }
        }
        return bytes
    }

    @Test func icpAnswersAlwaysDecode() throws {
        var rng = Seeded(state: 2186)
        let seeds = try ICPOpcode.allCases.map { opcode in
            try ICPMessage(opcode: opcode, requestNumber: 5, url: "http://o/a", options: [.hitObject, .sourceRTT],
                           object: opcode == .hitObj ? [1, 2, 3] : []).encoded()
        }
        for n in 0..<20_000 {
            var input = Self.mutate(seeds[n % seeds.count], &rng)
            // Keep the length field right half of the time, so the payload checks are reached.
            if n % 2 == 0, input.count >= 4 { input[2] = UInt8(truncatingIfNeeded: input.count >> 8); input[3] = UInt8(truncatingIfNeeded: input.count) }
            let outcome = ICPQueryAnswerer.handle(input, conditions: .init(allowed: n % 3 != 0, refusingFetches: n % 7 == 0)) { url in
                url.utf8.count % 2 == 0 ? .hit(object: Array(url.utf8)) : .miss
            }
            if case let .answer(reply, opcode, _) = outcome {
                let decoded = try ICPMessage(decoding: reply)
                #expect(decoded.opcode == opcode)
            }
        }
    }

    @Test func cacheHeaderDecisionsStayInRange() {
        var rng = Seeded(state: 9111)
        let seeds = ["Cache-Control: max-age=60, s-maxage=\"30\", no-cache=\"Set-Cookie\"\nVary: Accept-Encoding\nAge: 5",
                     "CDN-Cache-Control: max-age=5, stale-while-revalidate=10\nExpires: 0\nIf-None-Match: *\nPragma: no-cache",
                     "http://Host:81/a?b\nLast-Modified: Sun, 06 Nov 1994 08:00:00 GMT\nDate: Sun, 06 Nov 1994 08:49:37 GMT"].map { Array($0.utf8) }
        let policy = CachePolicy()
        for n in 0..<20_000 {
            let input = Self.mutate(seeds[n % seeds.count], &rng)
            let text = String(decoding: input, as: UTF8.self)
            var headers = HTTPHeaders()
            for line in text.split(separator: "\n") {
                // Header names reach the cache from NIO's parser: ASCII tokens only (HTTPHeaders traps on others).
                guard let colon = line.firstIndex(of: ":"), line[..<colon].utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else { continue }
                headers.add(name: String(line[..<colon]), value: String(line[line.index(after: colon)...]))
            }
            let control = CacheControl(value: text)
            for name in ["max-age", "s-maxage", "max-stale", "stale-if-error"] {
                if let seconds = control.seconds(name) { #expect(seconds >= 0 && seconds <= 1 << 31) }
            }
            if let url = CacheKey.url(target: String(text.prefix { $0 != "\n" }), authority: "o:80") {
                #expect(CacheKey.normalized(absolute: url) == url)
            }
            let response = CachedResponse(url: "http://o/", status: 200, headers: headers, body: input, requestTime: 1_700_000_000,
                                          responseTime: 1_700_000_001, varyValues: [:])
            #expect(policy.freshnessLifetime(response) >= 0)
            #expect(policy.currentAge(response, now: 1_700_000_010) >= 0)
            _ = policy.reuse(response, requestHeaders: headers, now: 1_700_000_010)
            _ = policy.refusalToStore(method: .GET, requestHeaders: headers, status: 200, responseHeaders: headers, bodyBytes: input.count)
            #expect((try? StoredObjectFile.decode(input)) == nil)
        }
    }
}
