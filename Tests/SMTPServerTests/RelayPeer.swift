import Foundation
import ShoalTestFixtures

/// A tiny SMTP server in Python (asyncio) for the relay client's tests, in one of three moods:
/// `accept` (a normal MTA that refuses `nobody@` recipients and logs the session), `silent` (accepts the
/// connection and never says a word) and `reject` (greets with 554).
final class RelayPeer: @unchecked Sendable {
    let process: Process
    let port: Int
    /// The session log: one line per command, then `DATA:` and the message as received (dot-stuffed).
    let logPath: String

    static let script = #"""
import asyncio, sys
mood, log = sys.argv[1], sys.argv[2]
def note(b):
    with open(log, 'ab') as f: f.write(b)
async def handle(r, w):
    if mood == 'silent':
        await r.read()
        return
    if mood == 'reject':
        w.write(b'554 5.3.2 no service here\r\n'); await w.drain()
    else:
        w.write(b'220 peer.test ESMTP\r\n'); await w.drain()
    data = False
    while True:
        line = await r.readline()
        if not line: break
        if data:
            note(line)
            if line == b'.\r\n':
                data = False
                w.write(b'250 2.0.0 queued as 42\r\n')
        else:
            note(line)
            u = line.decode().strip().upper()
            if u.startswith('EHLO'): w.write(b'250-peer.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n')
            elif u.startswith('MAIL'): w.write(b'250 2.1.0 ok\r\n')
            elif u.startswith('RCPT'): w.write(b'550 5.1.1 no such user\r\n' if 'NOBODY@' in u else b'250 2.1.5 ok\r\n')
            elif u == 'DATA': data = True; w.write(b'354 go ahead\r\n')
            elif u == 'QUIT': w.write(b'221 2.0.0 bye\r\n'); await w.drain(); break
            else: w.write(b'502 5.5.2 what\r\n')
        await w.drain()
    w.close()
async def main():
    server = await asyncio.start_server(handle, '127.0.0.1', 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server: await server.serve_forever()
asyncio.run(main())
"""#

    /// Starts the peer and waits (off the concurrency pool) for the port it listens on.
    static func start(_ mood: String) async throws -> RelayPeer {
        let python = try requiredTool("python3", package: "python3")
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("relay-peer-\(UUID().uuidString).log").path
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, mood, log]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let line = try await offPool { () -> String in
            var bytes: [UInt8] = []
            while let byte = try out.fileHandleForReading.read(upToCount: 1)?.first, byte != 10 { bytes.append(byte) }
            return String(decoding: bytes, as: UTF8.self)
        }
        guard let port = Int(line) else {
            kill(process.processIdentifier, SIGKILL)
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "relay peer printed '\(line)', not a port"])
        }
        return RelayPeer(process: process, port: port, logPath: log)
    }

    init(process: Process, port: Int, logPath: String) {
        self.process = process
        self.port = port
        self.logPath = logPath
    }

    /// What the peer received.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Kills the peer (SIGKILL: test threads block SIGTERM for their children) and removes its log.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        try? FileManager.default.removeItem(atPath: logPath)
    }
}
