import Director
import Foundation
import DirectorProxy
import ShoalCore
import Testing

/// Issue 10 #7: interim 1xx responses reach the client, `Upgrade` switches the connection to a byte
/// splice after the server's 101, and a server reset mid-response never reaches the client as a
/// complete response. A raw Python server behind the content switch; one 127.77.6X.0/24 per test.
@Suite struct HTTPInterimUpgradeTests {
    /// The proxy on 127.77.X.1 in front of the peer's server on 127.77.X.11:8080; runs `case` and returns its line.
    func exchange(_ x: Int, _ testCase: String) async throws -> String {
        try await exchangeAndLeases(x, testCase).out
    }

    /// `exchange`, and whether every server connection's lease was closed afterwards.
    func exchangeAndLeases(_ x: Int, _ testCase: String) async throws -> (out: String, leasesClosed: Bool) {
        let backend = l7Endpoint("127.77.\(x).11:8080")
        let scheduler = L7TableScheduler()
        let listener = try await L7ProxyListener(address: "127.77.\(x).1") { vip in
            HTTPSwitchingProxy(config: HTTPServiceConfig(), scheduler: scheduler, virtual: vip, connectTimeout: .seconds(10))
        }
        let vip = listener.endpoint
        try l7AddService(scheduler, .address(.tcp, vip), servers: [backend])
        defer { Task { await listener.stop() } }
        let out = try await l7Python("interim_upgrade_reset.py", [
            "\(backend.address)", "\(backend.port)", "\(vip.address)", "\(vip.port)", testCase,
        ])
        let closed = await l7Eventually { scheduler.snapshot { !$0.leases.isEmpty && $0.closedLeases.count == $0.leases.count } }
        return (out.trimmingCharacters(in: .whitespacesAndNewlines), closed)
    }

    @Test func continueReachesTheClientBeforeItSendsTheBody() async throws {
        let out = try await exchange(61, "continue")
        #expect(out == "interim=HTTP/1.1 100 Continue final=HTTP/1.1 200 OK body=got:hello")
    }

    @Test func upgradeSplicesBytesBothWaysAfter101() async throws {
        let (out, leasesClosed) = try await exchangeAndLeases(62, "upgrade")
        #expect(out == "status=HTTP/1.1 101 Switching Protocols first=EARLY BYTES; second=AND MORE eof=yes")
        // The spliced server connection still ends its lease when it closes.
        #expect(leasesClosed)
    }

    @Test func anUpgradeTheServerIgnoresEndsTheConnectionAfterItsResponse() async throws {
        // The request decoder stops at an upgrade request, so the connection cannot carry another request.
        let out = try await exchange(63, "refused")
        #expect(out == "status=HTTP/1.1 200 OK close=yes body=got:hi")
    }

    @Test func aServerResetInACloseDelimitedResponseIsNotAComplete() async throws {
        let out = try await exchange(64, "cut-close")
        #expect(out == "outcome=reset" || out == "outcome=incomplete")
    }

    @Test func aServerResetInAChunkedResponseIsNotAComplete() async throws {
        let out = try await exchange(65, "cut-chunk")
        #expect(out == "outcome=reset" || out == "outcome=incomplete")
    }
}
