public import ShoalCore

extension FailoverConfiguration {
    static let instanceFields: Set<String> = [
        "name", "interface", "virtual_router_id", "priority", "advert_interval", "preempt", "preempt_delay", "virtual_addresses",
        "unicast_peers", "source_address", "track_interfaces", "track_scripts", "notify", "garp_repeat", "garp_refresh", "accept_mode",
    ]

    /// Parses the `failover:` block; every error names the file, the line and the field.
    public static func parse(_ node: ConfigNode) throws(ConfigError) -> FailoverConfiguration {
        try node.allowOnly(["instances", "sync"])
        var instances: [VRRPInstanceConfiguration] = []
        var names: Set<String> = []
        var routers: Set<String> = []
        for item in try node.required("instances").list() {
            let instance = try parseInstance(item)
            guard names.insert(instance.name).inserted else { throw try item.required("name").error("instance name '\(instance.name)' appears twice") }
            let key = "\(instance.interface)/\(instance.virtualRouterID)/\(instance.family)"
            guard routers.insert(key).inserted else {
                throw try item.required("virtual_router_id").error("virtual router \(instance.virtualRouterID) already runs on \(instance.interface)")
            }
            instances.append(instance)
        }
        var sync: ConnectionSyncConfiguration?
        if let field = try node.optional("sync") { sync = try parseSync(field) }
        return FailoverConfiguration(instances: instances, sync: sync)
    }

    static func parseSync(_ node: ConfigNode) throws(ConfigError) -> ConnectionSyncConfiguration {
        try node.allowOnly(["interface", "sync_id", "peers", "port", "interval"])
        let interface = try node.required("interface").string()
        guard !interface.isEmpty, interface.utf8.count < 16 else { throw try node.required("interface").error("'\(interface)' is not an interface name") }
        var peers: [IPAddress] = []
        for item in try node.optional("peers")?.list() ?? [] {
            let text = try item.string()
            guard let peer = IPAddress(text), peer.family == .inet else { throw item.error("'\(text)' is not an IPv4 address") }
            peers.append(peer)
        }
        return ConnectionSyncConfiguration(interface: interface, syncID: UInt8(try node.optional("sync_id")?.int(in: 0...255) ?? 0), peers: peers,
                                           port: UInt16(try node.optional("port")?.int(in: 1...65535) ?? Int(IPVSSyncMessage.port)),
                                           interval: try node.optional("interval")?.seconds(in: 0.1...60) ?? 1)
    }

    static func parseInstance(_ node: ConfigNode) throws(ConfigError) -> VRRPInstanceConfiguration {
        try node.allowOnly(instanceFields)
        let name = try node.required("name").string()
        let interface = try node.required("interface").string()
        guard !interface.isEmpty, interface.utf8.count < 16 else { throw try node.required("interface").error("'\(interface)' is not an interface name") }
        let vrid = UInt8(try node.required("virtual_router_id").int(in: 1...255))
        let priority = UInt8(try node.optional("priority")?.int(in: 1...255) ?? 100)
        var interval: UInt16 = 100
        if let field = try node.optional("advert_interval") {
            let seconds = try field.seconds(in: 0.01...40.95)
            interval = UInt16((seconds * 100).rounded())
        }
        let preempt = try node.optional("preempt")?.bool() ?? true
        let delay = UInt32(((try node.optional("preempt_delay")?.seconds(in: 0...1000) ?? 0) * 100).rounded())
        let addressesNode = try node.required("virtual_addresses")
        var addresses: [VirtualAddress] = []
        for item in try addressesNode.list() {
            let text = try item.string()
            guard let address = VirtualAddress(text) else { throw item.error("'\(text)' is not an address[/prefix]") }
            if let first = addresses.first, first.address.family != address.address.family {
                throw item.error("mixes IPv4 and IPv6 (VRRPv3 runs one family per instance: use two instances)")
            }
            addresses.append(address)
        }
        guard let family = addresses.first?.address.family else { throw addressesNode.error("at least one virtual address is needed") }
        guard addresses.count <= 255 else { throw addressesNode.error("at most 255 virtual addresses fit one advertisement") }
        var peers: [IPAddress] = []
        for item in try node.optional("unicast_peers")?.list() ?? [] {
            let text = try item.string()
            guard let peer = IPAddress(text), peer.family == family else { throw item.error("'\(text)' is not an address of the virtual addresses' family") }
            peers.append(peer)
        }
        var source: IPAddress?
        if let field = try node.optional("source_address") {
            let text = try field.string()
            guard let address = IPAddress(text), address.family == family else { throw field.error("'\(text)' is not an address of the virtual addresses' family") }
            source = address
        }
        var interfaces: [TrackedInterface] = []
        for item in try node.optional("track_interfaces")?.list() ?? [] {
            try item.allowOnly(["name", "weight"])
            interfaces.append(TrackedInterface(name: try item.required("name").string(), weight: try item.optional("weight")?.int(in: -253...253)))
        }
        var scripts: [TrackedScript] = []
        for item in try node.optional("track_scripts")?.list() ?? [] {
            try item.allowOnly(["command", "interval", "timeout", "weight", "rise", "fall"])
            scripts.append(TrackedScript(command: try item.required("command").string(),
                                         interval: try item.optional("interval")?.seconds(in: 0.1...3600) ?? 1,
                                         timeout: try item.optional("timeout")?.seconds(in: 0.1...3600) ?? 5,
                                         weight: try item.optional("weight")?.int(in: -253...253),
                                         rise: try item.optional("rise")?.int(in: 1...100) ?? 1,
                                         fall: try item.optional("fall")?.int(in: 1...100) ?? 1))
        }
        var notify = NotifyCommands()
        if let field = try node.optional("notify") {
            try field.allowOnly(["master", "backup", "fault", "any"])
            notify = NotifyCommands(master: try field.optional("master")?.string(), backup: try field.optional("backup")?.string(),
                                    fault: try field.optional("fault")?.string(), any: try field.optional("any")?.string())
        }
        return VRRPInstanceConfiguration(
            name: name, interface: interface, virtualRouterID: vrid, priority: priority, advertisementInterval: interval,
            preempt: preempt, preemptDelay: delay, virtualAddresses: addresses, unicastPeers: peers, sourceAddress: source,
            trackInterfaces: interfaces, trackScripts: scripts, notify: notify,
            announceRepeat: try node.optional("garp_repeat")?.int(in: 1...100) ?? 5,
            announceRefresh: try node.optional("garp_refresh")?.seconds(in: 0...3600) ?? 5,
            acceptMode: try node.optional("accept_mode")?.bool() ?? true)
    }
}
