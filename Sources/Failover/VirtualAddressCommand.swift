import DirectorIPVS
import Foundation
public import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

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

/// Adds and removes virtual addresses over rtnetlink (`InterfaceAddressRequest`: the message `ip addr add|del`
/// sends, IPv6 with `nodad` so the address serves at once), one request and its acknowledgement on a socket of
/// its own, on the calling thread (the instance's). A takeover no longer waits for a process to start.
enum VirtualAddressCommand {
    /// Adds or removes one address; returns the error text on failure (iproute2's: `RTNETLINK answers: File exists`).
    static func run(add: Bool, _ address: VirtualAddress, interface: String) -> String? {
        let index = if_nametoindex(interface)
        let request = InterfaceAddressRequest(add: add, address: address, interface: interface, interfaceIndex: index)
        guard index != 0 else { return "\(request.commandLine): Cannot find device \"\(interface)\"" }
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        guard fd >= 0 else { return "\(request.commandLine): netlink socket: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let sequence = UInt32.random(in: 1...UInt32.max)
        let bytes = request.bytes(sequence: sequence)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            return "\(request.commandLine): netlink send: \(String(cString: strerror(errno)))"
        }
        var buffer = [UInt8](repeating: 0, count: 8192)
        for _ in 0..<16 {  // other messages (none are expected) are skipped, a bounded number of times
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return "\(request.commandLine): no answer from the kernel: \(String(cString: strerror(errno)))" }
            guard let messages = try? NetlinkMessage.split(buffer[0..<count]) else { return "\(request.commandLine): malformed netlink answer" }
            for message in messages where message.sequence == sequence && message.type == NetlinkConstant.messageError {
                guard let code = try? message.errorCode() else { return "\(request.commandLine): malformed netlink answer" }
                return code == 0 ? nil : "\(request.commandLine): RTNETLINK answers: \(String(cString: strerror(-code)))"
            }
        }
        return "\(request.commandLine): no acknowledgement from the kernel"
    }
}
