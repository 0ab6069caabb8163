import Director
import DirectorAdmin
import HealthCheck
import ShoalCore

/// A DirectorControl for these tests: a DirectorTable applied all or nothing, and fixed health reports.
actor TestDirector: DirectorControl {
    var table: DirectorTable
    var health: [HealthKey: ServerHealthReport]
    let startedAt: Double
    private(set) var applyCalls = 0

    init(table: DirectorTable, health: [HealthKey: ServerHealthReport] = [:], startedAt: Double = 1_700_000_000) {
        self.table = table
        self.health = health
        self.startedAt = startedAt
    }

    func snapshot() -> DirectorSnapshot { DirectorSnapshot(table: table, health: health, startedAt: startedAt) }

    func apply(_ commands: [IPVSCommand]) throws(ConfigError) {
        applyCalls += 1
        try table.apply(batch: commands.enumerated().map { (line: $0.offset + 1, command: $0.element) })
    }

    /// The table as `ipvsadm -S -n` plus thresholds and timeouts: equal text means nothing changed.
    func rules() -> String { IPVSListing.rulesFile(table) }

    func setHealth(_ key: HealthKey, _ report: ServerHealthReport) { health[key] = report }
}

/// The table most tests start from.
enum AdminFixture {
    static let web = VirtualServiceKey.address(.tcp, Endpoint("127.0.0.1:8080")!)
    static let dns = VirtualServiceKey.address(.udp, Endpoint("[2001:db8::1]:53")!)
    static let mark = VirtualServiceKey.fwmark(5, .inet)
    static let up = Endpoint("127.0.0.2:80")!
    static let down = Endpoint("127.0.0.3:80")!
    static let v6 = Endpoint("[2001:db8::10]:53")!
    static let drained = Endpoint("127.0.0.4:0")!
    /// A check message with markup in it, to prove the page escapes.
    static let hostileMessage = "refused <b id=\"pwn\">&'x'</b>"

    static let rules = """
        -A -t 127.0.0.1:8080 -s wrr
        -a -t 127.0.0.1:8080 -r 127.0.0.3:80 -m -w 1
        -a -t 127.0.0.1:8080 -r 127.0.0.2:80 -m -w 3 -x 50 -y 20
        -A -u [2001:db8::1]:53 -s rr
        -a -u [2001:db8::1]:53 -r [2001:db8::10]:53 -m -w 1
        -A -f 5 -s sh -p 300 -M 255.255.255.0
        -a -f 5 -r 127.0.0.4:0 -g -w 0

        """

    static func table() throws -> DirectorTable {
        var table = DirectorTable()
        try table.apply(batch: try IPVSRuleParser.parseRules(rules))
        // Two clients through the web service, with traffic, and one rate sample.
        for i in 1...2 {
            let request = ConnectionRequest(proto: .tcp, client: Endpoint(IPAddress("10.9.0.\(i)")!, 40000), virtual: Endpoint("127.0.0.1:8080")!)
            guard case let .forwarded(id?, _, _) = table.connect(request, at: DirectorTime(seconds: 10)) else {
                throw ConfigError("fixture connection was dropped")
            }
            table.recordTraffic(id, inPackets: 10, outPackets: 12, inBytes: 1000, outBytes: 50_000)
        }
        table.sampleRates()
        return table
    }

    static func health() -> [HealthKey: ServerHealthReport] {
        let ok = CheckResult(time: 1_700_000_100, succeeded: true, message: "HTTP 200")
        let fail = CheckResult(time: 1_700_000_101, succeeded: false, message: hostileMessage)
        return [
            HealthKey(service: web, server: up): ServerHealthReport(isUp: true, checkKind: "http", lastResult: ok,
                                                                    history: [ok, fail, ok, ok], lastChange: 1_700_000_050),
            HealthKey(service: web, server: down): ServerHealthReport(isUp: false, checkKind: "tcp", lastResult: fail,
                                                                      history: [ok, fail, fail], lastChange: 1_700_000_101),
        ]
    }

    static func director() throws -> TestDirector {
        TestDirector(table: try table(), health: health())
    }
}
