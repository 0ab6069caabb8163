#if canImport(Glibc)
import Glibc
#endif

/// A failed request to the kernel's IPVS: which operation, and why — with ipvsadm's wording of the reason.
public struct IPVSKernelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why it failed.
    public enum Reason: Hashable, Sendable {
        /// The kernel answered with this errno.
        case kernel(errno: Int32)
        /// No IPVS family to talk to (module not loaded, not root, no netlink): libnl's text.
        case unavailable(String)
        /// The netlink socket failed while sending or receiving: libnl's text.
        case socket(String)
        /// The kernel's answer did not have ip_vs.h's layout.
        case malformed(NetlinkParseError)
    }

    /// The operation that failed, named as libipvs names its functions (ipvs_strerror keys on them).
    public enum Operation: String, Hashable, Sendable {
        case initialize, addService, updateService, deleteService, zeroService, addDest, updateDest, deleteDest
        case flush, setTimeout, startDaemon, stopDaemon, getServices, getService, getDests, getTimeout, getDaemon, getInfo
    }

    public var operation: Operation
    public var reason: Reason

    public init(_ operation: Operation, _ reason: Reason) {
        self.operation = operation
        self.reason = reason
    }

    /// The line ipvsadm 1.31 prints for this failure (ipvs_strerror), e.g. `No such service`.
    public var ipvsadmMessage: String {
        switch reason {
        case let .kernel(code): return Self.ipvsadmText(operation, errno: code)
        case let .unavailable(text), let .socket(text): return text
        case let .malformed(error): return error.description
        }
    }

    public var description: String {
        switch reason {
        case let .kernel(code): return "IPVS \(operation.rawValue): \(ipvsadmMessage) (errno \(code))"
        default: return "IPVS \(operation.rawValue): \(ipvsadmMessage)"
        }
    }

    /// ipvs_strerror: the per-operation messages first, then the generic ones, then strerror.
    static func ipvsadmText(_ operation: Operation, errno code: Int32) -> String {
        let specific: [(Operation, Int32, String)] = [
            (.addService, EEXIST, "Service already exists"),
            (.addService, ENOENT, "Scheduler or persistence engine not found"),
            (.updateService, ESRCH, "No such service"),
            (.updateService, ENOENT, "Scheduler or persistence engine not found"),
            (.deleteService, ESRCH, "No such service"),
            (.zeroService, ESRCH, "No such service"),
            (.addDest, ESRCH, "Service not defined"),
            (.addDest, EEXIST, "Destination already exists"),
            (.updateDest, ESRCH, "Service not defined"),
            (.updateDest, ENOENT, "No such destination"),
            (.deleteDest, ESRCH, "Service not defined"),
            (.deleteDest, ENOENT, "No such destination"),
            (.startDaemon, EEXIST, "Daemon has already run"),
            (.stopDaemon, ESRCH, "No daemon is running"),
            (.getServices, ESRCH, "No such service"),
            (.getDests, ESRCH, "No such service"),
            (.getService, ESRCH, "No such service"),
        ]
        if let hit = specific.first(where: { $0.0 == operation && $0.1 == code }) { return hit.2 }
        let generic: [Int32: String] = [
            EPERM: "Permission denied (you must be root)",
            EINVAL: "Invalid operation.  Possibly wrong module version, address not unicast, ...",
            ENOPROTOOPT: "Protocol not available",
            ENOMEM: "Memory allocation problem",
            EOPNOTSUPP: "Operation not supported with IPv6",
            EAFNOSUPPORT: "Operation not supported with specified address family",
            EMSGSIZE: "Module is wrong version",
        ]
        if let text = generic[code] { return text }
        return String(cString: strerror(code))
    }
}

extension IPVSRequest {
    /// The libipvs operation this request belongs to (for error messages).
    public var operation: IPVSKernelError.Operation {
        switch self {
        case .newService: return .addService
        case .setService: return .updateService
        case .deleteService: return .deleteService
        case .newDest: return .addDest
        case .setDest: return .updateDest
        case .deleteDest: return .deleteDest
        case .flush: return .flush
        case .zero: return .zeroService
        case .getServices: return .getServices
        case .getService: return .getService
        case .getDests: return .getDests
        case .getConfig: return .getTimeout
        case .setConfig: return .setTimeout
        case .getInfo: return .getInfo
        case .newDaemon: return .startDaemon
        case .deleteDaemon: return .stopDaemon
        case .getDaemons: return .getDaemon
        }
    }
}
