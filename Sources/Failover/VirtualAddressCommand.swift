import Foundation
public import ShoalCore

/// A virtual address with its prefix length, as `ip addr add` takes it (`10.0.0.100/24`; no prefix: /32 or /128).
public struct VirtualAddress: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var prefixLength: Int

    public init(address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS[/PREFIX]`; nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(parts[0]) else { return nil }
        let maximum = address.family == .inet ? 32 : 128
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...maximum).contains(prefix) else { return nil }
            prefixLength = prefix
        } else {
            prefixLength = maximum
        }
        self.address = address
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

/// Adds and removes virtual addresses by running iproute2's `ip` (`ip addr add|del ADDR/LEN dev IF`, IPv6 with
/// `nodad` so the address serves at once). Chosen over a second netlink codec: transitions are rare, `ip`
/// gives iproute2's exact semantics and error texts, and one spawn costs a few milliseconds.
enum VirtualAddressCommand {
    /// The `ip` arguments for adding or removing one address.
    static func arguments(add: Bool, _ address: VirtualAddress, interface: String) -> [String] {
        var arguments = [address.address.family == .inet ? "-4" : "-6", "addr", add ? "add" : "del", address.description, "dev", interface]
        if add && address.address.family == .inet6 { arguments.append("nodad") }
        return arguments
    }

    /// Runs `ip` and waits (on the calling thread, the instance's own); returns the error text on failure.
    static func run(add: Bool, _ address: VirtualAddress, interface: String) -> String? {
        run("/usr/sbin/ip", arguments(add: add, address, interface: interface))
    }

    static func run(_ executable: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: executable) ? executable : "/sbin/ip")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return "could not run ip: \(error)"
        }
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 0 { return nil }
        return "ip \(arguments.joined(separator: " ")): \(text.trimmingCharacters(in: .whitespacesAndNewlines))"
    }
}
