import Director
import Glibc
import NIOPosix
import ShoalCore

/// The names `ipvsadm -L`/`-S` print without `-n`, looked up as ipvsadm 1.31 does (gethostbyaddr for hosts,
/// getservbyport for ports, both through the C library's NSS: `/etc/hosts`, DNS, `/etc/services`), on a
/// thread of their own so the blocking lookups never hold the concurrency pool.
enum IPVSAdmNames {
    /// The names of every address and port a listing of `table` prints.
    static func lookUp(_ table: DirectorTable) async -> ListingNames {
        await lookUp(ListingNames.wanted(table))
    }

    /// The names of `wanted`'s addresses and ports.
    static func lookUp(_ wanted: (addresses: Set<IPAddress>, ports: Set<ListingNames.Port>)) async -> ListingNames {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        defer { pool.shutdownGracefully { _ in } }
        let names = try? await pool.runIfActive { () -> ListingNames in
            var names = ListingNames()
            for address in wanted.addresses { names.hosts[address] = hostName(address) }
            for port in wanted.ports { names.services[port] = serviceName(port.port, port.proto) }
            return names
        }
        return names ?? ListingNames()
    }

    /// gethostbyaddr's `h_name` (thread-safe `_r` form, the buffer grown on ERANGE); nil when the address has none.
    static func hostName(_ address: IPAddress) -> String? {
        let bytes: [UInt8]
        let family: Int32
        switch address {
        case let .v4(value):
            bytes = withUnsafeBytes(of: value.bigEndian) { Array($0) }
            family = AF_INET
        case let .v6(hi, lo):
            bytes = withUnsafeBytes(of: hi.bigEndian) { Array($0) } + withUnsafeBytes(of: lo.bigEndian) { Array($0) }
            family = AF_INET6
        }
        var size = 1024
        while size <= 1 << 20 {
            let entry = UnsafeMutablePointer<hostent>.allocate(capacity: 1)
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { entry.deallocate(); buffer.deallocate() }
            var result: UnsafeMutablePointer<hostent>?
            var hostError: Int32 = 0
            let status = bytes.withUnsafeBytes { address in
                gethostbyaddr_r(address.baseAddress, socklen_t(address.count), family, entry, buffer, size, &result, &hostError)
            }
            if status == ERANGE { size *= 4; continue }
            guard status == 0, let found = result, let name = found.pointee.h_name else { return nil }
            return String(cString: name)
        }
        return nil
    }

    /// getservbyport's `s_name` for TCP, UDP and SCTP ports; nil for other protocols and unnamed ports.
    static func serviceName(_ port: UInt16, _ proto: TransportProtocol) -> String? {
        let protoName: String
        switch proto {
        case .tcp: protoName = "tcp"
        case .udp: protoName = "udp"
        case .sctp: protoName = "sctp"
        case .ip: return nil
        }
        var size = 1024
        while size <= 1 << 20 {
            let entry = UnsafeMutablePointer<servent>.allocate(capacity: 1)
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { entry.deallocate(); buffer.deallocate() }
            var result: UnsafeMutablePointer<servent>?
            let status = getservbyport_r(Int32(bitPattern: UInt32(port.bigEndian)), protoName, entry, buffer, size, &result)
            if status == ERANGE { size *= 4; continue }
            guard status == 0, let found = result, let name = found.pointee.s_name else { return nil }
            return String(cString: name)
        }
        return nil
    }
}
