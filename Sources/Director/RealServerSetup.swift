public import ShoalCore

/// What a real server needs for VS/DR or VS/TUN: the VIP on a device that never answers ARP for it (DR), or
/// on the ipip tunnel device with reverse-path filtering off (TUN). VS/NAT needs nothing but the director as
/// the default gateway.
public enum RealServerSetup {
    /// The shell commands that prepare a real server for `method` and `vip`; empty for NAT and local.
    public static func commands(method: ForwardingMethod, vip: IPAddress) -> [String] {
        let v6 = vip.family == .inet6
        let address = v6 ? "\(vip)/128" : "\(vip)/32"
        let arp = [
            "sysctl -w net.ipv4.conf.all.arp_ignore=1",
            "sysctl -w net.ipv4.conf.all.arp_announce=2",
        ]
        switch method {
        case .route:
            if v6 { return ["ip -6 addr add \(address) dev lo nodad"] }
            return arp + ["sysctl -w net.ipv4.conf.lo.arp_ignore=1", "sysctl -w net.ipv4.conf.lo.arp_announce=2", "ip addr add \(address) dev lo"]
        case .tunnel:
            if v6 {
                return ["modprobe ip6_tunnel", "ip link set ip6tnl0 up", "ip -6 addr add \(address) dev ip6tnl0 nodad"]
            }
            return ["modprobe ipip", "ip link set tunl0 up", "ip addr add \(address) dev tunl0",
                    "sysctl -w net.ipv4.conf.tunl0.rp_filter=0", "sysctl -w net.ipv4.conf.all.rp_filter=0"] + arp
        case .masquerade, .local:
            return []
        }
    }
}
