public import ShoalCore

/// The names `ipvsadm -L`/`-S` without `-n` print (addrport_to_anyname of ipvsadm 1.31): host names by
/// address and service names by port and protocol, looked up beforehand by the caller; anything absent
/// prints numerically.
public struct ListingNames: Sendable, Equatable {
    /// A port as `/etc/services` names it, per protocol (getservbyport's key).
    public struct Port: Hashable, Sendable {
        public var port: UInt16
        public var proto: TransportProtocol
        public init(_ port: UInt16, _ proto: TransportProtocol) { self.port = port; self.proto = proto }
    }

    /// gethostbyaddr's `h_name` for each address that has one.
    public var hosts: [IPAddress: String]
    /// getservbyport's `s_name` for each port that has one (TCP, UDP and SCTP only, as ipvsadm asks).
    public var services: [Port: String]

    public init(hosts: [IPAddress: String] = [:], services: [Port: String] = [:]) {
        self.hosts = hosts
        self.services = services
    }

    /// ipvsadm formats into a 60-byte buffer with snprintf: longer names are cut to 59 bytes.
    static let bufferLimit = 59

    /// `host:service`, `[host]:service` for IPv6, each part numeric when it has no name.
    public func text(_ endpoint: Endpoint, _ proto: TransportProtocol) -> String {
        let host = hosts[endpoint.address] ?? endpoint.address.description
        let port = services[Port(endpoint.port, proto)] ?? String(endpoint.port)
        let text = endpoint.address.family == .inet ? "\(host):\(port)" : "[\(host)]:\(port)"
        let bytes = Array(text.utf8)
        guard bytes.count > Self.bufferLimit else { return text }
        return String(decoding: bytes.prefix(Self.bufferLimit), as: UTF8.self)
    }

    /// What a listing of `table` needs looked up: every service and server address, and every port with
    /// the protocol ipvsadm asks for it (the service's; TCP for firewall-mark services).
    public static func wanted(_ table: DirectorTable) -> (addresses: Set<IPAddress>, ports: Set<Port>) {
        var addresses = Set<IPAddress>(), ports = Set<Port>()
        for service in table.services {
            let proto = service.key.transport
            if case let .address(_, endpoint) = service.key {
                addresses.insert(endpoint.address)
                ports.insert(Port(endpoint.port, proto))
            }
            for server in service.servers {
                addresses.insert(server.endpoint.address)
                ports.insert(Port(server.endpoint.port, proto))
            }
        }
        return (addresses, ports)
    }
}
