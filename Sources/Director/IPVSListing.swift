public import ShoalCore

/// Prints a director table the way ipvsadm 1.31 prints the kernel's: `-S`, `-L` and its variants, byte for byte.
public enum IPVSListing {
    /// ipvsadm's banner line before `-L` listings.
    public static let versionLine = "IP Virtual Server version 1.2.1 (size=4096)"

    /// The output of an `-L`/`-l` or `-S` command; nil for commands that print nothing.
    /// Without `-n`, addresses and ports print as `names` has them (nil: numeric, as with `-n`).
    public static func render(_ command: IPVSCommand, table: DirectorTable, names: ListingNames? = nil) throws(ConfigError) -> String? {
        switch command {
        case let .save(numeric):
            return save(table, numeric: numeric, names: names)
        case let .list(options):
            return try list(table, options, names: names)
        default:
            return nil
        }
    }

    /// `ipvsadm -S -n`: one `-A` line per service, then one `-a` line per server, services and servers sorted;
    /// without `-n` (`numeric` false) the addresses and ports `names` has print as names.
    public static func save(_ table: DirectorTable, numeric: Bool = true, names: ListingNames? = nil) -> String {
        var out = ""
        let names = numeric ? nil : names
        for service in sortedServices(table) {
            out += serviceEntry(service, format: .rule, names: names)
        }
        return out
    }

    /// A rules file: `-S -n` output, plus what `-S` leaves out but a rules file must keep — `-x`/`-y` on
    /// the `-a` lines and a `--set` line when the timeouts differ from the defaults.
    public static func rulesFile(_ table: DirectorTable) -> String {
        var out = ""
        if table.timeouts != Timeouts() {
            out += "--set \(table.timeouts.tcp) \(table.timeouts.tcpFin) \(table.timeouts.udp)\n"
        }
        for service in sortedServices(table) {
            out += serviceEntry(service, format: .rule, keepThresholds: true)
        }
        return out
    }

    /// `ipvsadm -L -n` with its options; without `-n`, the addresses and ports `names` has print as names.
    public static func list(_ table: DirectorTable, _ options: ListOptions, names: ListingNames? = nil) throws(ConfigError) -> String {
        let names = options.numeric ? nil : names
        if options.connections { return connections(table, persistentEngine: options.persistentConnections) }
        if options.timeout {
            let t = table.timeouts
            return "Timeout (tcp tcpfin udp): \(t.tcp) \(t.tcpFin) \(t.udp)\n"
        }
        if options.daemon { return "" }
        var format = Format.plain
        if options.stats { format = .stats } else if options.rate { format = .rate }
        else if options.thresholds { format = .thresholds } else if options.persistentConnections { format = .persistent }
        else if options.tunnelInfo { format = .tunnel }
        let exact = options.exact
        if let key = options.service {
            guard let service = table.service(key) else { throw ConfigError(field: key.ruleText, "No such service") }
            return title(format) + serviceEntry(service, format: format, exact: exact, sort: !options.noSort, names: names)
        }
        var out = versionLine + "\n" + title(format)
        let services = options.noSort ? table.services : sortedServices(table)
        for service in services { out += serviceEntry(service, format: format, exact: exact, sort: !options.noSort, names: names) }
        return out
    }

    /// `ipvsadm -L -n -c`: the connection table, oldest entry first, with the time left on each timer.
    public static func connections(_ table: DirectorTable, persistentEngine: Bool = false) -> String {
        connections(table.connectionListing, persistentEngine: persistentEngine)
    }

    /// `ipvsadm -L -n -c` from a listing taken out of a live table.
    public static func connections(_ listing: ConnectionListing, persistentEngine: Bool = false) -> String {
        var out = "IPVS connection entries\n"
        if persistentEngine {
            out += "pro expire \(pad("state", 11)) \(pad("source", 18)) \(pad("virtual", 18)) \(pad("destination", 18)) \(pad("pe name", 16)) pe_data\n"
        } else {
            out += "pro expire \(pad("state", 11)) \(pad("source", 18)) \(pad("virtual", 18)) destination\n"
        }
        for c in listing.entries {
            let left = listing.now.seconds(until: c.expires)
            let expire = twoDigits(left / 60) + ":" + twoDigits(left % 60)
            out += "\(pad(c.proto.listingName, 3)) \(pad(expire, 6)) \(pad(c.state.rawValue, 11)) \(pad(c.client.description, 18)) \(pad(c.virtual.description, 18)) \(c.destination)\n"
        }
        return out
    }

    // MARK: Formatting pieces

    enum Format { case rule, plain, stats, rate, thresholds, persistent, tunnel }

    static func title(_ format: Format) -> String {
        switch format {
        case .stats:
            return pad("Prot LocalAddress:Port", 33) + " " + ["Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"].map { lpad($0, 8) }.joined(separator: " ")
                + "\n  -> RemoteAddress:Port\n"
        case .rate:
            return pad("Prot LocalAddress:Port", 33) + " " + ["CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"].map { lpad($0, 8) }.joined(separator: " ")
                + "\n  -> RemoteAddress:Port\n"
        case .thresholds:
            return pad("Prot LocalAddress:Port", 33) + " " + ["Uthreshold", "Lthreshold", "ActiveConn", "InActConn"].map { pad($0, 10) }.joined(separator: " ")
                + "\n  -> RemoteAddress:Port\n"
        case .persistent:
            return pad("Prot LocalAddress:Port", 33) + " " + pad("Weight", 9) + " " + pad("PersistConn", 11) + " " + pad("ActiveConn", 10) + " " + pad("InActConn", 10)
                + "\n  -> RemoteAddress:Port\n"
        case .tunnel:
            return "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
        case .plain:
            return "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
        case .rule:
            return ""
        }
    }

    /// print_sched_flags, from the one name table on ``SchedulerFlags``.
    static func schedulerFlagsText(_ config: VirtualServiceConfig) -> String {
        config.schedulerFlags.names(for: config.scheduler).joined(separator: ",")
    }

    static func netmaskText(_ config: VirtualServiceConfig) -> String? {
        guard let p = config.persistence else { return nil }
        if config.key.family == .inet {
            return p.netmask == 0xffff_ffff ? nil : IPAddress.v4(p.netmask).description
        }
        return p.netmask == 128 ? nil : String(p.netmask)
    }

    static func serviceEntry(_ service: VirtualService, format: Format, exact: Bool = false, sort: Bool = true, keepThresholds: Bool = false,
                             names: ListingNames? = nil) -> String {
        let config = service.config
        let key = service.key
        var name: String
        switch key {
        case let .fwmark(mark, family):
            // ipvsadm prints the mark with %d, so marks of 2^31 and up come out negative; a rules file
            // (read back by Shoal) keeps the unsigned value.
            let markText = keepThresholds ? String(mark) : String(Int32(bitPattern: mark))
            if format == .rule {
                name = family == .inet6 ? "-f \(markText) -6" : "-f \(markText)"
            } else {
                name = family == .inet6 ? "FWM  \(markText) IPv6" : "FWM  \(markText)"
            }
        case let .address(proto, endpoint):
            let endpointText = names?.text(endpoint, proto) ?? endpoint.description
            if format == .rule {
                name = "\(proto.ruleOption) \(endpointText)"
            } else {
                name = pad(proto.listingName, 4) + " " + endpointText
                if endpoint.address.family == .inet { name = String(name.prefix(33)) }
            }
        }
        var out = ""
        switch format {
        case .rule:
            out += "-A \(name) -s \(config.scheduler.rawValue)"
            if let p = config.persistence {
                out += " -p \(p.timeout)"
                if let mask = netmaskText(config) { out += " -M \(mask)" }
            }
            if let pe = config.persistenceEngine { out += " --pe \(pe)" }
            if config.onePacket { out += " -o" }
            if !config.schedulerFlags.isEmpty { out += " -b " + schedulerFlagsText(config) }
        case .stats:
            let s = service.stats
            out += pad(name, 33) + [s.connections, s.inPackets, s.outPackets, s.inBytes, s.outBytes].map { largeNumber($0, exact: exact) }.joined()
        case .rate:
            let r = service.rates
            out += pad(name, 33) + [r.connectionsPerSecond, r.inPacketsPerSecond, r.outPacketsPerSecond, r.inBytesPerSecond, r.outBytesPerSecond]
                .map { largeNumber($0, exact: exact) }.joined()
        default:
            out += "\(name) \(config.scheduler.rawValue)"
            if !config.schedulerFlags.isEmpty { out += " (" + schedulerFlagsText(config) + ")" }
            if let p = config.persistence {
                out += " persistent \(p.timeout)"
                if let mask = netmaskText(config) { out += " mask \(mask)" }
                if let pe = config.persistenceEngine { out += " pe \(pe)" }
            }
            if config.onePacket { out += " ops" }
        }
        out += "\n"

        let servers = sort ? sortedServers(service.servers) : service.servers
        for server in servers {
            var dname = names?.text(server.endpoint, key.transport) ?? server.endpoint.description
            if format != .rule && server.endpoint.address.family == .inet { dname = String(dname.prefix(28)) }
            let c = server.config
            switch format {
            case .rule:
                out += "-a \(name) -r \(dname) \(c.forwarding.ruleSwitch) -w \(c.weight)"
                if c.forwarding == .tunnel {
                    switch c.tunnel.kind {
                    case .ipip: out += " --tun-type ipip"
                    case .gue: out += " --tun-type gue --tun-port \(c.tunnel.port) \(checksumOption(c.tunnel.checksum))"
                    case .gre: out += " --tun-type gre \(checksumOption(c.tunnel.checksum))"
                    }
                }
                if keepThresholds {
                    if c.upperThreshold != 0 { out += " -x \(c.upperThreshold)" }
                    if c.lowerThreshold != 0 { out += " -y \(c.lowerThreshold)" }
                }
                out += "\n"
            case .stats:
                let s = server.stats
                out += "  -> " + pad(dname, 28) + [s.connections, s.inPackets, s.outPackets, s.inBytes, s.outBytes].map { largeNumber($0, exact: exact) }.joined() + "\n"
            case .rate:
                let r = server.rates
                out += "  -> " + pad(dname, 28) + " " + lpad(String(r.connectionsPerSecond), 8) + " " + lpad(String(r.inPacketsPerSecond), 8)
                    + " " + lpad(String(r.outPacketsPerSecond), 8) + largeNumber(r.inBytesPerSecond, exact: exact) + largeNumber(r.outBytesPerSecond, exact: exact) + "\n"
            case .thresholds:
                out += "  -> " + pad(dname, 28) + " " + [c.upperThreshold, c.lowerThreshold, server.activeConnections, server.inactiveConnections].map { pad(String($0), 10) }.joined(separator: " ") + "\n"
            case .persistent:
                out += "  -> " + pad(dname, 28) + " " + pad(String(c.weight), 9) + " " + pad(String(server.persistentConnections), 11) + " "
                    + pad(String(server.activeConnections), 10) + " " + pad(String(server.inactiveConnections), 10) + "\n"
            case .tunnel:
                out += "  -> " + pad(dname, 28) + " " + pad(c.forwarding.listingName, 7) + " " + pad(tunnelInfo(c), 13) + " " + pad(String(c.weight), 6) + " "
                    + pad(String(server.activeConnections), 10) + " " + pad(String(server.inactiveConnections), 10) + "\n"
            case .plain:
                out += "  -> " + pad(dname, 28) + " " + pad(c.forwarding.listingName, 7) + " " + pad(String(c.weight), 6) + " "
                    + pad(String(server.activeConnections), 10) + " " + pad(String(server.inactiveConnections), 10) + "\n"
            }
        }
        return out
    }

    static func checksumOption(_ checksum: TunnelInfo.Checksum) -> String {
        switch checksum {
        case .none: return "--tun-nocsum"
        case .checksum: return "--tun-csum"
        case .remote: return "--tun-remcsum"
        }
    }

    /// fwd_tun_info: `ipip`, `gue:PORT:FLAGS`, `gre:FLAGS`, or `n/a` for servers that do not tunnel.
    static func tunnelInfo(_ c: RealServerConfig) -> String {
        guard c.forwarding == .tunnel else { return "n/a" }
        let flags = ["-c", "+c", "r+c"][c.tunnel.checksum.rawValue]
        switch c.tunnel.kind {
        case .ipip: return "ipip"
        case .gue: return "gue:\(c.tunnel.port):\(flags)"
        case .gre: return "gre:\(flags)"
        }
    }

    /// print_largenum: 9 columns, with K/M/G/T suffixes past 100 million unless `--exact`.
    public static func largeNumber(_ i: UInt64, exact: Bool) -> String {
        if exact {
            let text = String(i)
            return lpad(text, text.count <= 8 ? 9 : text.count + 1)
        }
        if i < 100_000_000 { return lpad(String(i), 9) }
        if i < 1_000_000_000 { return lpad(String(i / 1000), 8) + "K" }
        if i < 100_000_000_000 { return lpad(String(i / 1_000_000), 8) + "M" }
        if i < 100_000_000_000_000 { return lpad(String(i / 1_000_000_000), 8) + "G" }
        return lpad(String(i / 1_000_000_000_000), 8) + "T"
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    static func lpad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    static func twoDigits(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }

    // MARK: Sorting as libipvs does

    /// ipvs_cmp_services: fwmark, family, protocol, address, port — each a difference of unsigned
    /// values read as a signed int, so addresses more than 2^31 apart compare "backwards", as in ipvsadm.
    static func compareServices(_ a: VirtualService, _ b: VirtualService) -> Int32 {
        var r = wrappingDifference(a.key.fwmark, b.key.fwmark)
        if r != 0 { return r }
        r = Int32(a.key.family.rawValue - b.key.family.rawValue)
        if r != 0 { return r }
        r = Int32(a.key.transport.rawValue - b.key.transport.rawValue)
        if r != 0 { return r }
        if case let .address(_, ea) = a.key, case let .address(_, eb) = b.key {
            r = compareAddresses(ea.address, eb.address)
            if r != 0 { return r }
            return Int32(ea.port) - Int32(eb.port)
        }
        return 0
    }

    /// ipvs_cmp_dests: address, then port.
    static func compareServers(_ a: RealServer, _ b: RealServer) -> Int32 {
        let r = compareAddresses(a.endpoint.address, b.endpoint.address)
        if r != 0 { return r }
        return Int32(a.endpoint.port) - Int32(b.endpoint.port)
    }

    static func wrappingDifference(_ a: UInt32, _ b: UInt32) -> Int32 { Int32(bitPattern: a &- b) }

    static func compareAddresses(_ a: IPAddress, _ b: IPAddress) -> Int32 {
        switch (a, b) {
        case let (.v4(x), .v4(y)):
            return wrappingDifference(x, y)
        case let (.v6(ah, al), .v6(bh, bl)):
            let aw = [UInt32(truncatingIfNeeded: ah >> 32), UInt32(truncatingIfNeeded: ah), UInt32(truncatingIfNeeded: al >> 32), UInt32(truncatingIfNeeded: al)]
            let bw = [UInt32(truncatingIfNeeded: bh >> 32), UInt32(truncatingIfNeeded: bh), UInt32(truncatingIfNeeded: bl >> 32), UInt32(truncatingIfNeeded: bl)]
            for i in 0..<4 {
                let r = wrappingDifference(aw[i], bw[i])
                if r != 0 { return r }
            }
            return 0
        default:
            // A tunnelling server of the other family: libipvs reads as many words as the first argument's
            // family has (IPv4: one, IPv6: four), and an IPv4 address is its word followed by zeros.
            let aw = a.comparisonWords, bw = b.comparisonWords
            for i in 0..<(a.family == .inet ? 1 : 4) {
                let r = wrappingDifference(aw[i], bw[i])
                if r != 0 { return r }
            }
            return 0
        }
    }

    public static func sortedServices(_ table: DirectorTable) -> [VirtualService] {
        mergeSort(table.services, by: compareServices)
    }

    /// Servers are handed to qsort in kernel list order (newest first), as the kernel returns them.
    static func sortedServers(_ servers: [RealServer]) -> [RealServer] {
        mergeSort(servers, by: compareServers)
    }

    /// glibc's qsort as Debian's glibc 2.36 runs it (msort: top-down, stable, left wins ties), so that even
    /// the wrapping comparisons order elements as ipvsadm does.
    static func mergeSort<T>(_ items: [T], by compare: (T, T) -> Int32) -> [T] {
        var a = items
        func sort(_ lo: Int, _ n: Int) {
            if n <= 1 { return }
            let n1 = n / 2, n2 = n - n1
            sort(lo, n1)
            sort(lo + n1, n2)
            var merged: [T] = []
            merged.reserveCapacity(n)
            var i = lo, j = lo + n1
            let iEnd = lo + n1, jEnd = lo + n
            while i < iEnd && j < jEnd {
                if compare(a[i], a[j]) <= 0 { merged.append(a[i]); i += 1 } else { merged.append(a[j]); j += 1 }
            }
            while i < iEnd { merged.append(a[i]); i += 1 }
            while j < jEnd { merged.append(a[j]); j += 1 }
            for k in 0..<n { a[lo + k] = merged[k] }
        }
        sort(0, a.count)
        return a
    }
}

extension IPAddress {
    /// The four 32-bit words of union nf_inet_addr in host order: an IPv4 address is its word then zeros.
    var comparisonWords: [UInt32] {
        switch self {
        case let .v4(v): return [v, 0, 0, 0]
        case let .v6(hi, lo):
            return [UInt32(truncatingIfNeeded: hi >> 32), UInt32(truncatingIfNeeded: hi),
                    UInt32(truncatingIfNeeded: lo >> 32), UInt32(truncatingIfNeeded: lo)]
        }
    }
}
