import Directory
import Foundation
import ShoalTestFixtures
import NIOCore
import NIOPosix
@testable import SMTPServer
import ShoalCore
import Testing

/// The listener's command and data timeouts, against a real socket client (python3).
@Suite struct SMTPTimeoutTests {
    /// An agent that knows one local user and stores nothing.
    struct NullAgent: MailAgent {
        func checkRecipient(address: String, mailFrom: String) async -> RecipientCheck { .local(DirectoryUser(login: "a", addresses: [address])) }
        func authenticate(login: String, password: String) async -> SMTPAuthenticationResult { .failure }
        func deliver(_ envelope: SMTPEnvelope) async -> [DeliveryOutcome] { envelope.recipients.map { _ in .delivered } }
    }

    /// Runs a Python client to completion on a thread of its own (the server under test needs the pool).
    static func client(port: Int, script: String) async throws -> String {
        try await offPool { try runClient(port: port, script: script) }
    }

    static func runClient(port: Int, script: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, String(port)]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static let prelude = """
        import socket, sys, time
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        f = s.makefile("rb")
        def line(): return f.readline().decode().rstrip()
        def send(t): s.sendall(t.encode())

        """

    @Test func silentClientsGet421AfterTheCommandTimeoutAndSlowDataAfterTheDataTimeout() async throws {
        let session = SMTPSessionConfiguration(hostname: "mx.test", localDomains: ["shoal.test"])
        let listener = try await SMTPListener.bind(
            SMTPListenerConfiguration(address: Endpoint("127.0.0.1:0")!, session: session,
                                      timeouts: SMTPTimeouts(command: .milliseconds(700), data: .milliseconds(1500))),
            agent: NullAgent(), group: MultiThreadedEventLoopGroup.singleton)
        let port = listener.localAddress!.port!
        defer { Task { await listener.close() } }

        // Silent after the greeting: 421 within the command timeout, then the connection closes.
        let idle = try await Self.client(port: port, script: Self.prelude + """
            print(line())
            t = time.time()
            print(line())
            print("closed" if f.readline() == b"" else "open")
            print("waited", round(time.time() - t, 1) >= 0.5)
            """)
        #expect(idle.contains("220 mx.test"))
        #expect(idle.contains("421 4.4.2"))
        #expect(idle.contains("closed"))
        #expect(idle.contains("waited True"))

        // In DATA the longer data timeout applies: a pause longer than the command timeout is fine.
        let data = try await Self.client(port: port, script: Self.prelude + """
            line()
            send("EHLO c\\r\\n")
            while True:
                l = line()
                if l.startswith("250 "): break
            send("MAIL FROM:<a@b.c>\\r\\n"); print(line())
            send("RCPT TO:<x@shoal.test>\\r\\n"); print(line())
            send("DATA\\r\\n"); print(line())
            time.sleep(1.0)
            send("Subject: slow\\r\\n\\r\\nbody\\r\\n.\\r\\n"); print(line())
            """)
        #expect(data.contains("354 "))
        #expect(data.contains("250 2.0.0"))
        #expect(!data.contains("421"))
    }
}
