import DirectorProxy
import NIOCore
import ShoalCore
import Testing

/// The PROXY protocol header: bytes written, every spec example parsed, every chunking, garbage.
@Suite struct ProxyProtocolHeaderTests {
    static let tcp4 = ProxyProtocolHeader(source: l7Endpoint("192.168.0.1:56324"), destination: l7Endpoint("192.168.0.11:443"))
    static let tcp6 = ProxyProtocolHeader(source: l7Endpoint("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"),
                                          destination: l7Endpoint("[2001:db8::1]:0"))

    func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    func parseAll(_ text: String) throws(ProxyProtocolError) -> ProxyProtocolHeader? {
        var buffer = ByteBuffer(string: text)
        return try ProxyProtocolHeader.parse(&buffer)
    }

    // MARK: v1

    @Test func v1EncodesTheSpecExamples() {
        #expect(String(buffer: Self.tcp4.encoded(.v1)) == "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n")
        #expect(String(buffer: Self.tcp6.encoded(.v1)) == "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 2001:db8::1 65535 0\r\n")
        #expect(String(buffer: ProxyProtocolHeader(source: nil, destination: nil).encoded(.v1)) == "PROXY UNKNOWN\r\n")
        // v1 cannot carry UDP.
        var udp = Self.tcp4
        udp.transport = .datagram
        #expect(String(buffer: udp.encoded(.v1)) == "PROXY UNKNOWN\r\n")
        // The longest TCP6 line (104 bytes) fits the 107 the spec allows.
        let widest = l7Endpoint("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535")
        let longest = ProxyProtocolHeader(source: widest, destination: widest).encoded(.v1)
        #expect(longest.readableBytes == 104)
        var copy = longest
        #expect(try! ProxyProtocolHeader.parse(&copy)?.source == widest)
    }

    @Test func v1ParsesTheSpecExamples() throws {
        #expect(try parseAll("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET /") == Self.tcp4)
        #expect(try parseAll("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 2001:db8::1 65535 0\r\n") == Self.tcp6)
        #expect(try parseAll("PROXY UNKNOWN\r\n") == ProxyProtocolHeader(source: nil, destination: nil))
        #expect(try parseAll("PROXY UNKNOWN ffff:f::ffff 1:2::3 65535 65535\r\n")?.isUnknown == true)
    }

    @Test func v1LeavesTheFollowingBytes() throws {
        var buffer = ByteBuffer(string: "PROXY TCP4 10.1.2.3 10.0.0.1 40000 80\r\nGET / HTTP/1.1\r\n")
        let header = try ProxyProtocolHeader.parse(&buffer)
        #expect(header?.source == l7Endpoint("10.1.2.3:40000"))
        #expect(String(buffer: buffer) == "GET / HTTP/1.1\r\n")
    }

    @Test(arguments: [
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", ProxyProtocolError.Kind.malformedLine),  // no CR (LF is a control byte)
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r", .malformedLine),
        ("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", .malformedLine),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", .malformedLine),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", .malformedLine),
        ("PROXY TCP4 ::1 5.6.7.8 1 2\r\n", .malformedLine),
        ("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", .malformedLine),
        ("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", .malformedLine),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", .malformedLine),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", .malformedLine),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", .malformedLine),
        ("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", .malformedLine),
        ("PROXY \r\n", .malformedLine),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\u{7f}\r\n", .malformedLine),
        ("PROXYTCP4\r\n", .notProxyProtocol),
        ("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", .notProxyProtocol),
        ("GET / HTTP/1.1\r\n", .notProxyProtocol),
        ("POST / HTTP/1.1\r\n", .notProxyProtocol),
        ("PROXY UNKNOWN " + String(repeating: "x", count: 100) + "\r\n", .lineTooLong),
    ])
    func v1RejectsMalformedLines(text: String, kind: ProxyProtocolError.Kind) {
        #expect {
            _ = try parseAll(text)
        } throws: { error in
            (error as? ProxyProtocolError)?.kind == kind
        }
    }

    @Test func v1LineOf108BytesIsRefusedAt107() {
        // 106 bytes without CR LF: still waiting; the 107th byte without an end is too long.
        let body = "PROXY UNKNOWN " + String(repeating: "y", count: 106 - 14)
        #expect(body.utf8.count == 106)
        #expect((try? parseAll(body)) == .some(nil))
        #expect(throws: ProxyProtocolError.self) { try parseAll(body + "y") }
        #expect(throws: ProxyProtocolError.self) { try parseAll(body + "\r\n") }
        #expect(try! parseAll(String(body.dropLast()) + "\r\n")?.isUnknown == true)
    }

    // MARK: v2

    @Test func v2EncodesBytesExactly() {
        let v4 = bytes(Self.tcp4.encoded(.v2))
        #expect(v4 == ProxyProtocolHeader.v2Signature + [0x21, 0x11, 0x00, 0x0C, 192, 168, 0, 1, 192, 168, 0, 11, 0xDC, 0x04, 0x01, 0xBB])
        let local = bytes(ProxyProtocolHeader(source: nil, destination: nil).encoded(.v2))
        #expect(local == ProxyProtocolHeader.v2Signature + [0x20, 0x00, 0x00, 0x00])
        var udp = Self.tcp4
        udp.transport = .datagram
        #expect(bytes(udp.encoded(.v2))[13] == 0x12)
        let v6 = bytes(Self.tcp6.encoded(.v2))
        #expect(v6.count == 16 + 36)
        #expect(Array(v6[12..<16]) == [0x21, 0x21, 0x00, 0x24])
        #expect(Array(v6[32..<48]) == [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])
        #expect(Array(v6[48..<52]) == [0xFF, 0xFF, 0x00, 0x00])
    }

    @Test func v2MixedFamiliesAreWrittenAsMappedIPv6() throws {
        let mixed = ProxyProtocolHeader(source: l7Endpoint("10.0.0.1:1000"), destination: l7Endpoint("[2001:db8::2]:80"))
        var buffer = mixed.encoded(.v2)
        let parsed = try #require(try ProxyProtocolHeader.parse(&buffer))
        #expect(parsed.source == l7Endpoint("[::ffff:10.0.0.1]:1000"))
        #expect(parsed.destination == mixed.destination)
    }

    @Test(arguments: [tcp4, tcp6, ProxyProtocolHeader(source: l7Endpoint("10.9.8.7:53"), destination: l7Endpoint("10.0.0.53:53"), transport: .datagram)])
    func v2RoundTrips(header: ProxyProtocolHeader) throws {
        var buffer = header.encoded(.v2)
        buffer.writeString("tail")
        #expect(try ProxyProtocolHeader.parse(&buffer) == header)
        #expect(String(buffer: buffer) == "tail")
    }

    @Test func v2SkipsTLVsAndLocalAddresses() throws {
        // PROXY TCP4 with a 7-byte TLV (PP2_TYPE_AUTHORITY "a.b") after the addresses.
        var bytes = ProxyProtocolHeader.v2Signature + [0x21, 0x11, 0x00, 12 + 6]
        bytes += [10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0x00, 0x50]
        bytes += [0x02, 0x00, 0x03, 0x61, 0x2E, 0x62]
        var buffer = ByteBuffer(bytes: bytes + [0x47])
        let header = try #require(try ProxyProtocolHeader.parse(&buffer))
        #expect(header.source == l7Endpoint("10.0.0.1:12345"))
        #expect(header.destination == l7Endpoint("10.0.0.2:80"))
        #expect(Array(buffer.readableBytesView) == [0x47])

        // LOCAL with an address block: the addresses are ignored.
        var local = ByteBuffer(bytes: ProxyProtocolHeader.v2Signature + [0x20, 0x11, 0x00, 12] + Array(repeating: 1, count: 12))
        #expect(try ProxyProtocolHeader.parse(&local)?.isUnknown == true)
        #expect(local.readableBytes == 0)

        // PROXY over AF_UNIX: nothing usable, the connection's own addresses stay.
        var unix = ByteBuffer(bytes: ProxyProtocolHeader.v2Signature + [0x21, 0x31, 0x00, 216] + Array(repeating: 0x2F, count: 216))
        #expect(try ProxyProtocolHeader.parse(&unix)?.isUnknown == true)
    }

    @Test(arguments: [
        ([0x11, 0x11, 0x00, 0x0C], "version"),
        ([0x22, 0x11, 0x00, 0x0C], "command"),
        ([0x21, 0x41, 0x00, 0x0C], "family"),
        ([0x21, 0x13, 0x00, 0x0C], "protocol"),
        ([0x21, 0x11, 0x00, 0x0B], "short"),
        ([0x21, 0x21, 0x00, 0x0C], "short"),
    ] as [([UInt8], String)])
    func v2RejectsBadFields(fields: [UInt8], word: String) {
        var buffer = ByteBuffer(bytes: ProxyProtocolHeader.v2Signature + fields)
        #expect {
            try ProxyProtocolHeader.parse(&buffer)
        } throws: { error in
            (error as? ProxyProtocolError).map { $0.kind == .malformedBinary && $0.message.contains(word) } ?? false
        }
    }

    @Test func v2LongerThanAllowedIsRefusedEarly() {
        var buffer = ByteBuffer(bytes: ProxyProtocolHeader.v2Signature + [0x21, 0x11, 0x10, 0x00])
        #expect {
            try ProxyProtocolHeader.parse(&buffer, maximumLength: 512)
        } throws: { ($0 as? ProxyProtocolError)?.kind == .headerTooLong }
        var badSignature = ByteBuffer(bytes: Array(ProxyProtocolHeader.v2Signature.prefix(7)) + [0x00])
        #expect(throws: ProxyProtocolError.self) { try ProxyProtocolHeader.parse(&badSignature) }
    }

    // MARK: Every chunking

    /// Feeding any prefix gives nil and consumes nothing; the whole gives the header.
    @Test(arguments: [ProxyProtocolVersion.v1, .v2])
    func everyPrefixWaitsForMore(version: ProxyProtocolVersion) throws {
        for header in [Self.tcp4, Self.tcp6, ProxyProtocolHeader(source: nil, destination: nil)] {
            let whole = Array(header.encoded(version).readableBytesView)
            for cut in 0..<whole.count {
                var buffer = ByteBuffer(bytes: whole[..<cut])
                #expect(try ProxyProtocolHeader.parse(&buffer) == nil, "cut at \(cut) of \(version)")
                #expect(buffer.readableBytes == cut)
            }
            var buffer = ByteBuffer(bytes: whole + Array("GET".utf8))
            #expect(try ProxyProtocolHeader.parse(&buffer) == header)
            #expect(String(buffer: buffer) == "GET")
        }
    }

    // MARK: Garbage

    /// Random bytes, and random mutations of valid headers, never crash, hang or over-read: each
    /// parse returns nil (a valid prefix), a header, or an error.
    @Test func randomBytesNeverCrash() {
        var rng = L7SplitMix(seed: 0x5eed_7007)
        let valid = [Self.tcp4.encoded(.v1), Self.tcp6.encoded(.v1), Self.tcp4.encoded(.v2), Self.tcp6.encoded(.v2)]
            .map { Array($0.readableBytesView) }
        var outcomes = [0, 0, 0]
        for round in 0..<20_000 {
            var input: [UInt8]
            if round % 2 == 0 {
                input = (0..<Int(rng.next() % 140)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if round % 4 == 0 { input = Array("PROXY ".utf8) + input }
                if round % 8 == 2 { input = ProxyProtocolHeader.v2Signature + input }
            } else {
                input = valid[Int(rng.next() % 4)]
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    input[Int(rng.next() % UInt64(input.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
                if rng.next() % 2 == 0 { input = Array(input.prefix(Int(rng.next() % UInt64(input.count + 1)))) }
            }
            var buffer = ByteBuffer(bytes: input)
            do {
                if let _ = try ProxyProtocolHeader.parse(&buffer) {
                    outcomes[0] += 1
                    #expect(buffer.readableBytes < input.count)
                } else {
                    outcomes[1] += 1
                    #expect(buffer.readableBytes == input.count)
                    #expect(input.count < 16 + 0xFFFF)
                }
            } catch {
                outcomes[2] += 1
                #expect(!error.message.isEmpty)
            }
        }
        // All three outcomes occur, so the fuzz reaches deep into both parsers.
        #expect(outcomes.allSatisfy { $0 > 100 }, "outcomes \(outcomes)")
    }
}

/// A small deterministic generator for fuzz inputs.
struct L7SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
