import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Subprocesses and loopback ports for the slapd fixture, and password values made by OpenLDAP's own tool.
extension SlapdFixture {
    /// A `userPassword` value made by `slappasswd -h {SCHEME}` (SSHA256/SSHA512 through the pw-sha2 module),
    /// independent of Shoal's PasswordHash.
    public static func slappasswd(_ password: String, scheme: String) throws -> String {
        var arguments = ["-o", "module-path=/usr/lib/ldap", "-o", "module-load=pw-sha2.so", "-h", scheme, "-s", password]
        if scheme.uppercased() == "{CRYPT}" { arguments += ["-c", "$6$%.16s"] }
        return try run("/usr/sbin/slappasswd", arguments).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs a tool to completion; its stdout, or an error with its stdout and stderr when it fails.
    public static func run(_ tool: String, _ arguments: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw SlapdFixtureError("\(tool) not found: install the Debian packages slapd ldap-utils openssl")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so a chatty tool cannot block on a full pipe.
        let errData = ReadBox()
        let reader = Thread { errData.data = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.done { usleep(1_000) }
        let stdout = String(decoding: outData, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let stderr = String(decoding: errData.data, as: UTF8.self)
            throw SlapdFixtureError("\(tool) \(arguments.joined(separator: " ")) exited with status "
                + "\(process.terminationStatus): \(stderr)\(stdout)")
        }
        return stdout
    }

    /// A loopback TCP port nobody listens on right now (bound to port 0, then closed).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SlapdFixtureError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard bound else { throw SlapdFixtureError("binding a free loopback port failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// True when something accepts TCP connections on 127.0.0.1:port.
    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }
}

/// Data read on another thread, handed back once `done`.
private final class ReadBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = Data()
    private var finished = false
    var data: Data {
        get { lock.lock(); defer { lock.unlock() }; return value }
        set { lock.lock(); value = newValue; finished = true; lock.unlock() }
    }
    var done: Bool { lock.lock(); defer { lock.unlock() }; return finished }
}
