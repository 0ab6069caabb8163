import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ShoalCore
import ShoalServer
import ShoalTestFixtures
import Testing

/// The UDP socket with a thread of its own: datagrams reach the handler, replies leave by `send`, close wakes
/// the blocked thread and releases the port.
@Suite struct DatagramThreadTests {
    /// Sleeping at once, and polling 1 ms after each datagram (close must wake a polling thread too).
    @Test(arguments: [0, 1000]) func echoesAndClosesReleasingThePort(pollMicroseconds: Int) async throws {
        let server = try DatagramThread.bind(Endpoint("127.0.0.1:0")!, maximumDatagram: 64, name: "test-echo") { _, _ in }
        let echo = try DatagramThread.bind(Endpoint("127.0.0.1:0")!, maximumDatagram: 64, name: "test-echo",
                                           pollMicroseconds: pollMicroseconds) { bytes, sender in
            // Reversed, so the reply proves the handler saw the bytes.
            _ = server.send(Array(bytes.reversed()), to: sender)
        }
        let replies = NIOLockedValueBox<[[UInt8]]>([])
        let client = try DatagramThread.bind(Endpoint("127.0.0.1:0")!, maximumDatagram: 4, name: "test-client") { bytes, _ in
            replies.withLockedValue { $0.append(Array(bytes)) }
        }
        #expect(echo.boundAddress.port != 0 && client.boundAddress.port != 0)
        // The echo answers from `server`'s socket (any thread may send); a datagram longer than the client's
        // 4 bytes arrives cut.
        #expect(client.send([1, 2, 3], to: echo.boundAddress.socketAddress))
        #expect(client.send([1, 2, 3, 4, 5, 6], to: echo.boundAddress.socketAddress))
        #expect(try await eventually(within: 60) { replies.withLockedValue { $0.count } == 2 })
        #expect(replies.withLockedValue { $0 } == [[3, 2, 1], [6, 5, 4, 3]])
        let port = echo.boundAddress
        await echo.close()
        await client.close()
        await server.close()
        // The port is free again: the thread left recvfrom and the socket is closed (a bind without
        // SO_REUSEADDR, which would fail with EADDRINUSE while the old socket lived).
        let again = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(to: port.socketAddress).get()
        #expect(again.localAddress?.port == Int(port.port))
        try await again.close()
    }
}
