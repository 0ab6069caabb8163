public import ShoalCore

/// One line of a connection trace: `start_seconds,client_ip:port,protocol,vip:port,duration_seconds`.
public struct TraceEntry: Hashable, Sendable {
    public var line: Int
    public var start: DirectorTime
    public var client: Endpoint
    public var proto: TransportProtocol
    public var virtual: Endpoint
    public var duration: DirectorTime

    public init(line: Int, start: DirectorTime, client: Endpoint, proto: TransportProtocol, virtual: Endpoint, duration: DirectorTime) {
        self.line = line
        self.start = start
        self.client = client
        self.proto = proto
        self.virtual = virtual
        self.duration = duration
    }
}

/// What a replay produced: one outcome per trace line, in trace order, and the table at the end.
public struct SimulationResult: Sendable {
    public var entries: [TraceEntry]
    public var outcomes: [ConnectionOutcome]
    public var finalTable: DirectorTable
    /// Connections each real server received, in `-L` order of services and servers.
    public var totals: [(server: Endpoint, connections: Int)]
    public var dropped: Int

    /// `CLIENT -> RIP:RPORT` (or `-> DROP`) per trace line, a blank line, then `RIP:RPORT N` per server
    /// and, when anything was dropped, `DROP N`.
    public func render() -> String {
        var out = ""
        for (entry, outcome) in zip(entries, outcomes) {
            out += "\(entry.client) -> \(outcome.destination.map(\.description) ?? "DROP")\n"
        }
        out += "\n"
        for (server, count) in totals { out += "\(server) \(count)\n" }
        if dropped > 0 { out += "DROP \(dropped)\n" }
        return out
    }
}

/// Capacity planning: replays a connection trace through a director table's schedulers.
public enum TraceSimulator {
    /// Parses a trace; `#` comments and blank lines are skipped; errors name the line and the field.
    public static func parse(_ text: String, file: String? = nil) throws(ConfigError) -> [TraceEntry] {
        var entries: [TraceEntry] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            line = line.trimmingTraceBlanks()
            if line.isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingTraceBlanks() }
            func fail(_ field: String, _ message: String) -> ConfigError {
                ConfigError(file: file, line: lineNumber, field: field, message)
            }
            guard fields.count == 5 else {
                throw fail("line", "expected 5 comma-separated fields (start_seconds,client_ip:port,protocol,vip:port,duration_seconds), found \(fields.count)")
            }
            guard let start = DirectorTime(parsingSeconds: fields[0]) else {
                throw fail("start_seconds", "'\(fields[0])' is not a non-negative number of seconds")
            }
            guard let client = Endpoint(fields[1]) else {
                throw fail("client_ip:port", "'\(fields[1])' is not an address:port (IPv6 as [addr]:port)")
            }
            let proto: TransportProtocol
            switch fields[2].lowercased() {
            case "tcp": proto = .tcp
            case "udp": proto = .udp
            default: throw fail("protocol", "'\(fields[2])' is not tcp or udp")
            }
            guard let virtual = Endpoint(fields[3]) else {
                throw fail("vip:port", "'\(fields[3])' is not an address:port (IPv6 as [addr]:port)")
            }
            guard let duration = DirectorTime(parsingSeconds: fields[4]) else {
                throw fail("duration_seconds", "'\(fields[4])' is not a non-negative number of seconds")
            }
            entries.append(TraceEntry(line: lineNumber, start: start, client: client, proto: proto, virtual: virtual, duration: duration))
        }
        return entries
    }

    /// Replays `trace` in time order (ties in trace order) against `table`; expiries due at a
    /// connection's start happen before it is scheduled.
    public static func run(_ table: DirectorTable, trace: [TraceEntry]) -> SimulationResult {
        var table = table
        let order = trace.indices.sorted { a, b in
            trace[a].start != trace[b].start ? trace[a].start < trace[b].start : a < b
        }
        var outcomes = [ConnectionOutcome](repeating: .dropped(.noService), count: trace.count)
        var perServer: [Endpoint: Int] = [:]
        var dropped = 0
        for i in order {
            let e = trace[i]
            let request = ConnectionRequest(proto: e.proto, client: e.client, virtual: e.virtual,
                                            activeUntil: e.start.adding(e.duration))
            let outcome = table.connect(request, at: e.start)
            outcomes[i] = outcome
            if let destination = outcome.destination { perServer[destination, default: 0] += 1 } else { dropped += 1 }
        }
        var totals: [(Endpoint, Int)] = []
        var seen = Set<Endpoint>()
        for service in IPVSListing.sortedServices(table) {
            for server in IPVSListing.sortedServers(service.servers) where !seen.contains(server.endpoint) {
                seen.insert(server.endpoint)
                totals.append((server.endpoint, perServer[server.endpoint] ?? 0))
            }
        }
        // Port-zero services forward to the client's port: list those destinations too.
        for (endpoint, count) in perServer.sorted(by: { $0.key.description < $1.key.description }) where !seen.contains(endpoint) {
            totals.append((endpoint, count))
        }
        return SimulationResult(entries: trace, outcomes: outcomes, finalTable: table, totals: totals, dropped: dropped)
    }
}

extension Substring {
    /// The field without surrounding spaces, tabs and carriage returns.
    fileprivate func trimmingTraceBlanks() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return s
    }
}
