public import ShoalCore

/// What identifies a virtual service: protocol with address and port, or a firewall mark with a family.
public enum VirtualServiceKey: Hashable, Sendable, CustomStringConvertible {
    case address(TransportProtocol, Endpoint)
    case fwmark(UInt32, AddressFamily)

    /// The address family of the service.
    public var family: AddressFamily {
        switch self {
        case let .address(_, endpoint): return endpoint.address.family
        case let .fwmark(_, family): return family
        }
    }

    /// The firewall mark, or 0 for an address service (as the kernel stores it).
    public var fwmark: UInt32 {
        if case let .fwmark(mark, _) = self { return mark }
        return 0
    }

    /// The protocol the kernel records: the service's, or TCP for fwmark services (ipvsadm sets it so).
    public var transport: TransportProtocol {
        if case let .address(proto, _) = self { return proto }
        return .tcp
    }

    /// The virtual port (0 for fwmark services).
    public var port: UInt16 {
        if case let .address(_, endpoint) = self { return endpoint.port }
        return 0
    }

    /// The ipvsadm option naming this service: `-t 10.0.0.1:80`, `-f 1 -6`.
    public var ruleText: String {
        switch self {
        case let .address(proto, endpoint): return "\(proto.ruleOption) \(endpoint)"
        case let .fwmark(mark, family): return family == .inet6 ? "-f \(mark) -6" : "-f \(mark)"
        }
    }

    public var description: String { ruleText }
}
