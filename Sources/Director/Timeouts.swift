/// Connection timeouts in seconds, as `ipvsadm --set tcp tcpfin udp` sets them.
public struct Timeouts: Hashable, Sendable {
    /// An established TCP connection idles out after this (IP_VS_TCP_S_ESTABLISHED, 900 s).
    public var tcp = 900
    /// A closing TCP connection stays inactive this long (IP_VS_TCP_S_FIN_WAIT, 120 s).
    public var tcpFin = 120
    /// A UDP flow lives this long after its last datagram (IP_VS_UDP_S_NORMAL, 300 s).
    public var udp = 300

    public init(tcp: Int = 900, tcpFin: Int = 120, udp: Int = 300) {
        self.tcp = tcp
        self.tcpFin = tcpFin
        self.udp = udp
    }

    /// Applies `--set`: a 0 leaves that timeout unchanged.
    public mutating func set(tcp: Int, tcpFin: Int, udp: Int) {
        if tcp > 0 { self.tcp = tcp }
        if tcpFin > 0 { self.tcpFin = tcpFin }
        if udp > 0 { self.udp = udp }
    }
}

/// How long an expired template with live connections waits before trying again (ip_vs_conn_expire).
let templateRetrySeconds = 60
