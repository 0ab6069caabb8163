import HTTPCache
import Testing

/// The access log line in Squid's native format, field for field as Squid writes it.
@Suite struct SquidLogLineTests {
    @Test func fieldsAsSquidWritesThem() {
        let line = SquidLogLine(timeMilliseconds: 1_700_000_000_042, elapsedMilliseconds: 5, client: "127.0.0.1", code: "TCP_MISS", status: 200,
                                bytes: 4321, method: "GET", url: "http://o/a b", hierarchy: "SIBLING_HIT", peer: "127.0.0.2",
                                contentType: "text/html")
        #expect(line.text == "1700000000.042      5 127.0.0.1 TCP_MISS/200 4321 GET http://o/a%20b - SIBLING_HIT/127.0.0.2 text/html\n")
        let empty = SquidLogLine(timeMilliseconds: 1_000, elapsedMilliseconds: 1_234_567, client: "", code: "TCP_DENIED", status: 3, bytes: 0,
                                 method: "PURGE", url: "/x", hierarchy: "HIER_NONE", peer: "", contentType: "")
        #expect(empty.text == "1.000 1234567 - TCP_DENIED/003 0 PURGE /x - HIER_NONE/- -\n")
        #expect(line.text.split(separator: " ", omittingEmptySubsequences: true).count == 10)
    }
}
