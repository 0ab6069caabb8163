import Foundation
import ICP
import NIOCore
public import ShoalCore
public import ShoalHTTP

/// A cache node's configuration file (YAML).
///
/// ```yaml
/// name: cache-a                                  # in Via and X-Cache
/// http: { listen: 127.0.0.1:3128 }
/// admin: { listen: 127.0.0.1:9190 }              # /metrics
/// origin: { servers: [127.0.0.1:8080], site: www.example:80, retry_after: 5 }   # reverse proxy
/// forward_proxy: false                           # absolute-URI requests for any host
/// connect_ports: [443]                           # CONNECT tunnels (forward proxy only) to these ports; [] for none
/// store: { directory: /var/cache/shoal, capacity_bytes: 1073741824, memory_bytes: 67108864,
///          memory_object_limit: 1048576, max_object_bytes: 8388608 }
/// icp:
///   listen: 127.0.0.1:3130
///   allow: [127.0.0.2, 127.0.0.3]                # DENIED for others; empty: everyone
///   down_after: 5                                # unanswered queries that mark a peer down
///   timeout_ms: 2000                             # the adaptive timeout's ceiling
///   timeout_floor_ms: 20                         # ... and its floor
///   nofetch_above_fills: 1024                    # MISS_NOFETCH while more fills than this are under way
///   poll_us: 50                                  # after a datagram, poll this long before sleeping (0: sleep at once)
///   multicast: { group: 239.255.31.3:3130, ttl: 1 }   # our queries: one datagram to the group, not one per peer
///   multicast_groups: [239.255.31.3:3130]        # groups whose queries this node answers
///   peers: [{ icp: 127.0.0.2:3130, http: 127.0.0.2:3128, type: sibling }]
/// carp:                                          # partition misses over the farm by CARP instead of asking over ICP
///   self: cache-a                                # this node's member name (default: name); absent: a front
///   down_for: 10                                 # seconds a member whose fetch failed is passed over
///   keep_others: false                           # also store objects fetched from their owner (default: kept once)
///   members: [{ name: cache-a, http: 127.0.0.1:3128, weight: 1 }, { name: cache-b, http: 127.0.0.2:3128 }]
/// purge_allow: [127.0.0.1]
/// targeted_cache_control: CDN-Cache-Control      # RFC 9213; "" for none
/// access_log: /var/log/shoal/cache-access.log    # Squid's native format
/// limits: { header_bytes: 16384, body_bytes: 1048576, connections: 10000, header_timeout: 10, idle_timeout: 60,
///           send_timeout: 60, origin_timeout: 30, tunnel_idle_timeout: 300 }
/// threads: 4                                     # disk pool
/// event_loops: 2
/// ```
public struct CacheNodeConfiguration: Sendable {
    public var name: String
    public var http: Endpoint
    public var admin: Endpoint?
    public var origins: [Endpoint]
    public var siteAuthority: String?
    public var originRetryAfter: Int64
    public var forwardProxy: Bool
    public var storeDirectory: String
    public var capacityBytes: Int
    public var memoryBytes: Int
    public var memoryObjectLimit: Int
    public var maximumObjectBytes: Int
    public var icpListen: Endpoint?
    public var icpAllow: Set<IPAddress>
    public var icpDownAfter: Int
    public var icpTimeoutMilliseconds: Int
    public var icpTimeoutFloorMilliseconds: Int
    /// Microseconds the ICP thread polls after a datagram before it sleeps (0: never polls).
    public var icpPollMicroseconds: Int = 50
    /// Our queries go to this group instead of each peer.
    public var icpMulticast: ICPMulticast?
    /// Multicast groups whose queries this node answers.
    public var icpGroups: [Endpoint] = []
    public var maximumFills: Int
    public var peers: [ICPPeerAddress]
    public var purgeAllowed: Set<IPAddress>
    public var targetedField: String?
    public var accessLogPath: String?
    public var server: HTTPServerConfiguration
    public var originTimeout: Double
    public var threads: Int
    public var eventLoops: Int?
    /// Ports a forward-proxy client may CONNECT to (default 443 only).
    public var connectPorts: Set<Int> = [443]
    /// Seconds a CONNECT tunnel may sit idle (no byte either way) before both ends close.
    public var tunnelIdleTimeout: Double = 300
    /// CARP peer selection: the members and this node's name among them (nil: ICP or direct).
    public var carp: (members: [CARPRouter.Member], selfName: String, downSeconds: Int64, keepsOthers: Bool)?

    static let topLevel: Set<String> = ["name", "http", "admin", "origin", "forward_proxy", "store", "icp", "purge_allow",
                                        "targeted_cache_control", "access_log", "limits", "threads", "event_loops", "connect_ports",
                                        "carp"]

    /// Reads a configuration file; every error names the file, line and field.
    public static func load(path: String) throws(ConfigError) -> CacheNodeConfiguration {
        try parse(ConfigDocument.load(path: path))
    }

    public static func parse(_ doc: ConfigNode) throws(ConfigError) -> CacheNodeConfiguration {
        try doc.allowOnly(topLevel)
        func listener(_ node: ConfigNode) throws(ConfigError) -> Endpoint {
            try node.allowOnly(["listen"])
            return try node.required("listen").endpoint()
        }
        func addresses(_ node: ConfigNode?) throws(ConfigError) -> Set<IPAddress> {
            var set = Set<IPAddress>()
            for item in try node?.list() ?? [] {
                guard let address = IPAddress(try item.string()) else { throw item.error("not an IP address") }
                set.insert(address)
            }
            return set
        }
        let http = try listener(try doc.required("http"))
        let admin = try doc.optional("admin").map { (node: ConfigNode) throws(ConfigError) -> Endpoint in try listener(node) }
        var origins: [Endpoint] = [], site: String?, retry: Int64 = 5
        if let origin = try doc.optional("origin") {
            try origin.allowOnly(["servers", "site", "retry_after"])
            origins = try origin.required("servers").list().map { (node: ConfigNode) throws(ConfigError) -> Endpoint in try node.endpoint() }
            if origins.isEmpty { throw try origin.required("servers").error("name at least one origin server") }
            site = try origin.optional("site")?.string() ?? "\(origins[0])"
            if let siteText = site, CacheKey.hostAndPort(siteText) == nil { throw try origin.required("site").error("not host or host:port") }
            retry = Int64(try origin.optional("retry_after")?.int(in: 1...3600) ?? 5)
        }
        let forward = try doc.optional("forward_proxy")?.bool() ?? false
        if origins.isEmpty, !forward { throw doc.error("configure an origin, forward_proxy: true, or both") }
        let store = try doc.required("store")
        try store.allowOnly(["directory", "capacity_bytes", "memory_bytes", "memory_object_limit", "max_object_bytes"])
        var peers: [ICPPeerAddress] = [], icpListen: Endpoint?, icpAllow = Set<IPAddress>(), downAfter = 5, icpTimeout = 2000, icpFloor = 20, maximumFills = 1024
        if let icp = try doc.optional("icp") {
            try icp.allowOnly(["listen", "allow", "peers", "down_after", "timeout_ms", "timeout_floor_ms", "nofetch_above_fills", "poll_us",
                              "multicast", "multicast_groups"])
            icpListen = try icp.required("listen").endpoint()
            icpAllow = try addresses(try icp.optional("allow"))
            downAfter = try icp.optional("down_after")?.int(in: 1...1000) ?? 5
            icpTimeout = try icp.optional("timeout_ms")?.int(in: 10...2000) ?? 2000
            maximumFills = try icp.optional("nofetch_above_fills")?.int(in: 1...1_000_000) ?? 1024
            icpFloor = try icp.optional("timeout_floor_ms")?.int(in: 1...icpTimeout) ?? min(20, icpTimeout)
            for node in try icp.optional("peers")?.list() ?? [] {
                try node.allowOnly(["icp", "http", "type"])
                let kind: ICPPeer.Kind = try node.optional("type")?.choice(["sibling", "parent"]) == "parent" ? .parent : .sibling
                peers.append(ICPPeerAddress(icp: try node.required("icp").endpoint(), http: try node.required("http").endpoint(), kind: kind))
            }
        }
        let limits = try doc.optional("limits")
        try limits?.allowOnly(["header_bytes", "body_bytes", "connections", "header_timeout", "idle_timeout", "send_timeout", "origin_timeout",
                                 "tunnel_idle_timeout"])
        func seconds(_ name: String, default value: Double) throws(ConfigError) -> TimeAmount {
            .milliseconds(Int64((try limits?.optional(name)?.seconds(in: 0.1...86_400) ?? value) * 1000))
        }
        let server = HTTPServerConfiguration(
            maxHeaderBytes: try limits?.optional("header_bytes")?.int(in: 1024...1 << 20) ?? 16 * 1024,
            maxBodyBytes: try limits?.optional("body_bytes")?.int(in: 0...1 << 30) ?? 1 << 20,
            headerReadTimeout: try seconds("header_timeout", default: 10), bodyReadTimeout: try seconds("header_timeout", default: 10),
            idleTimeout: try seconds("idle_timeout", default: 60),
            maxConnections: try limits?.optional("connections")?.int(in: 1...1_000_000) ?? 10_000,
            sendTimeout: try seconds("send_timeout", default: 60))
        let targeted = try doc.optional("targeted_cache_control")?.string() ?? "CDN-Cache-Control"
        var configuration = CacheNodeConfiguration(
            name: try doc.optional("name")?.string() ?? "shoal-cache", http: http, admin: admin, origins: origins, siteAuthority: site,
            originRetryAfter: retry, forwardProxy: forward, storeDirectory: try store.required("directory").string(),
            capacityBytes: try store.optional("capacity_bytes")?.int(in: 1024...(1 << 50)) ?? 1 << 30,
            memoryBytes: try store.optional("memory_bytes")?.int(in: 0...(1 << 40)) ?? 64 << 20,
            memoryObjectLimit: try store.optional("memory_object_limit")?.int(in: 0...(1 << 30)) ?? 1 << 20,
            maximumObjectBytes: try store.optional("max_object_bytes")?.int(in: 0...(1 << 34)) ?? 8 << 20,
            icpListen: icpListen, icpAllow: icpAllow, icpDownAfter: downAfter, icpTimeoutMilliseconds: icpTimeout, icpTimeoutFloorMilliseconds: icpFloor, maximumFills: maximumFills, peers: peers,
            purgeAllowed: try addresses(try doc.optional("purge_allow")), targetedField: targeted.isEmpty ? nil : targeted,
            accessLogPath: try doc.optional("access_log")?.string(), server: server,
            originTimeout: try limits?.optional("origin_timeout")?.seconds(in: 0.1...3600) ?? 30,
            threads: try doc.optional("threads")?.int(in: 1...256) ?? 4, eventLoops: try doc.optional("event_loops")?.int(in: 1...1024))
        if let ports = try doc.optional("connect_ports") {
            if !forward { throw ports.error("CONNECT is served by a forward proxy only: set forward_proxy: true") }
            configuration.connectPorts = Set(try ports.list().map { (node: ConfigNode) throws(ConfigError) -> Int in try node.int(in: 1...65535) })
        }
        configuration.tunnelIdleTimeout = try limits?.optional("tunnel_idle_timeout")?.seconds(in: 1...86_400) ?? 300
        if let icp = try doc.optional("icp") {
            if let poll = try icp.optional("poll_us") { configuration.icpPollMicroseconds = try poll.int(in: 0...10_000) }
            if let multicast = try icp.optional("multicast") {
                try multicast.allowOnly(["group", "ttl"])
                configuration.icpMulticast = ICPMulticast(group: try multicastGroup(try multicast.required("group")),
                                                          ttl: try multicast.optional("ttl")?.int(in: 1...255) ?? 1)
            }
            configuration.icpGroups = try (try icp.optional("multicast_groups")?.list() ?? []).map { (node: ConfigNode) throws(ConfigError) -> Endpoint in
                try multicastGroup(node)
            }
        }
        if let carp = try doc.optional("carp") {
            configuration.carp = try parseCARP(carp, name: configuration.name)
        }
        return configuration
    }

    /// An IPv4 multicast group and port (224.0.0.0/4).
    static func multicastGroup(_ node: ConfigNode) throws(ConfigError) -> Endpoint {
        let endpoint = try node.endpoint()
        guard case let .v4(bits) = endpoint.address, bits >> 28 == 0xE else {
            throw node.error("\(endpoint.address) is not an IPv4 multicast group (224.0.0.0/4)")
        }
        return endpoint
    }

    static func parseCARP(_ carp: ConfigNode, name: String) throws(ConfigError) -> (members: [CARPRouter.Member], selfName: String, downSeconds: Int64, keepsOthers: Bool) {
        try carp.allowOnly(["self", "members", "down_for", "keep_others"])
        let membersNode = try carp.required("members")
        var members: [CARPRouter.Member] = []
        for node in try membersNode.list() {
            try node.allowOnly(["name", "http", "weight"])
            let http = try node.required("http").endpoint()
            let memberName = try node.optional("name")?.string() ?? "\(http.address)"
            if memberName.isEmpty { throw try node.required("name").error("a member name may not be empty") }
            if members.contains(where: { $0.name == memberName }) { throw node.error("member name \(memberName) is used twice") }
            members.append(CARPRouter.Member(name: memberName, http: http, weight: try node.optional("weight")?.int(in: 0...65535) ?? 1))
        }
        if members.isEmpty { throw membersNode.error("name at least one member") }
        if !members.contains(where: { $0.weight > 0 }) { throw membersNode.error("at least one member needs a weight above 0") }
        let selfName = try carp.optional("self")?.string() ?? name
        if let selfNode = try carp.optional("self"), !members.contains(where: { $0.name == selfName }) {
            throw selfNode.error("\(selfName) is not among the members")
        }
        return (members, selfName, Int64(try carp.optional("down_for")?.int(in: 1...3600) ?? 10), try carp.optional("keep_others")?.bool() ?? false)
    }
}
