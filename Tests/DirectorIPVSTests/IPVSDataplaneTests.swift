import Director
import DirectorIPVS
import ShoalCore
import Testing

/// What the kernel dataplane sends at start: the minimal diff from the kernel's table, adopting or replacing
/// services the configuration does not name.
@Suite struct IPVSDataplaneTests {
    static func table(_ rules: String) throws -> DirectorTable {
        var table = DirectorTable()
        try table.apply(batch: try IPVSRuleParser.parseRules(rules))
        return table
    }

    @Test func replaceRemovesForeignServicesAndAdoptKeepsThem() throws {
        let kernel = try Self.table("""
            -A -t 10.0.0.1:80 -s rr
            -a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 1
            -a -t 10.0.0.1:80 -r 192.168.1.9:80 -m -w 1
            -A -t 10.0.0.99:80 -s rr
            """)
        let wanted = try Self.table("""
            --set 100 20 30
            -A -t 10.0.0.1:80 -s wrr
            -a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 4
            -A -u 10.0.0.2:53 -s sh
            -a -u 10.0.0.2:53 -r 192.168.1.4:53 -g -w 1
            """)
        let key = VirtualServiceKey.address(.tcp, Endpoint("10.0.0.1:80")!)
        let replace = IPVSDataplane.commands(from: kernel, to: wanted, existing: .replace)
        #expect(replace.map(\.description) == [
            "--set 100 20 30",
            "-D -t 10.0.0.99:80",
            "-E -t 10.0.0.1:80 -s wrr",
            "-d -t 10.0.0.1:80 -r 192.168.1.9:80",
            "-e -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 4",
            "-A -u 10.0.0.2:53 -s sh",
            "-a -u 10.0.0.2:53 -r 192.168.1.4:53 -g -w 1",
        ])
        let adopt = IPVSDataplane.commands(from: kernel, to: wanted, existing: .adopt)
        #expect(adopt == replace.filter { $0 != .deleteService(.address(.tcp, Endpoint("10.0.0.99:80")!)) })
        #expect(adopt.contains(.deleteServer(key, Endpoint("192.168.1.9:80")!)))
        #expect(IPVSDataplane.commands(from: wanted, to: wanted, existing: .replace).isEmpty)
    }
}
