@testable import Director
import ShoalCore

/// Builds tables for scheduler and connection tests without going through the rule parser.
struct Fixture {
    var table = DirectorTable()
    let key: VirtualServiceKey
    var clock = 0

    init(_ scheduler: SchedulerName, vip: String = "10.0.0.1:80", proto: TransportProtocol = .tcp,
         persistence: Persistence? = nil, flags: SchedulerFlags = [], onePacket: Bool = false) throws {
        key = .address(proto, Endpoint(vip)!)
        try table.apply(.addService(VirtualServiceConfig(key: key, scheduler: scheduler, persistence: persistence,
                                                         onePacket: onePacket, schedulerFlags: flags)))
    }

    init(_ scheduler: SchedulerName, key: VirtualServiceKey, persistence: Persistence? = nil) throws {
        self.key = key
        try table.apply(.addService(VirtualServiceConfig(key: key, scheduler: scheduler, persistence: persistence)))
    }

    /// `-a -r ADDR -w W [-x X -y Y]`; servers are given as `a.b.c.d:port`.
    mutating func add(_ server: String, weight: Int = 1, upper: Int = 0, lower: Int = 0) throws {
        try table.apply(.addServer(key, RealServerConfig(endpoint: Endpoint(server)!, forwarding: .masquerade, weight: weight,
                                                         upperThreshold: upper, lowerThreshold: lower)))
    }

    mutating func edit(_ server: String, weight: Int, upper: Int = 0, lower: Int = 0) throws {
        try table.apply(.editServer(key, RealServerConfig(endpoint: Endpoint(server)!, forwarding: .masquerade, weight: weight,
                                                          upperThreshold: upper, lowerThreshold: lower)))
    }

    mutating func remove(_ server: String) throws {
        try table.apply(.deleteServer(key, Endpoint(server)!))
    }

    /// Opens a connection from `client` (default: a fresh client port) at `at` seconds; returns the chosen server or "DROP".
    @discardableResult
    mutating func connect(from client: String? = nil, at seconds: Int? = nil, until: Int? = nil, proto: TransportProtocol? = nil,
                          virtual: Endpoint? = nil) -> String {
        clock += 1
        let time = DirectorTime(seconds: seconds ?? 0)
        let c = client.map { Endpoint($0)! } ?? Endpoint(IPAddress("172.16.\(clock / 250).\(clock % 250 + 1)")!, UInt16(10000 + clock % 50000))
        let vip: Endpoint
        if let virtual { vip = virtual } else if case let .address(_, e) = key { vip = e } else { vip = Endpoint(IPAddress("10.0.0.1")!, 80) }
        let request = ConnectionRequest(proto: proto ?? key.transport, client: c, virtual: vip, fwmark: key.fwmark == 0 ? nil : key.fwmark,
                                        activeUntil: until.map { DirectorTime(seconds: $0) })
        return table.connect(request, at: time).destination?.description ?? "DROP"
    }

    /// `n` decisions in a row, each a new long-lived connection.
    mutating func decisions(_ n: Int, at seconds: Int = 0) -> [String] {
        (0..<n).map { _ in connect(at: seconds) }
    }

    var servers: [RealServer] { table.service(key)!.servers }

    func server(_ endpoint: String) -> RealServer { servers.first { $0.endpoint == Endpoint(endpoint)! }! }
}

/// Short names for servers: A = 192.168.1.1:80, B = .2, C = .3, D = .4, E = .5.
enum S {
    static let A = "192.168.1.1:80", B = "192.168.1.2:80", C = "192.168.1.3:80", D = "192.168.1.4:80", E = "192.168.1.5:80"
}
