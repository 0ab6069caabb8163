import Director
@testable import DirectorAdmin
import ShoalCore

/// Admin API request bodies as `AdminAPI` reads them: `JSONValue.parse`, then every mutation route's
/// `MutationRequests` (add/edit service, add/edit server) and the `/api/ipvsadm` arguments through
/// `IPVSRuleParser`; the resulting commands are applied to a table. The input also goes through the
/// service and server id path segments (`ServicePathID`).
enum AdminJSONTarget {
    static let key = VirtualServiceKey.address(.tcp, Endpoint("10.0.0.1:80")!)
    static let server = Endpoint("10.0.0.2:80")!
    static let table: DirectorTable = {
        var table = DirectorTable()
        do {
            try table.apply(.addService(VirtualServiceConfig(key: key, scheduler: .wlc)))
            try table.apply(.addServer(key, RealServerConfig(endpoint: server, forwarding: .masquerade, weight: 1)))
        } catch {
            fatalError("the fuzz target's own table does not build: \(error)")
        }
        return table
    }()

    static func run(_ data: [UInt8]) {
        pathSegments(String(decoding: data, as: UTF8.self))
        guard let body = try? JSONValue.parse(data) else { return }
        let service = table.service(key)!
        apply(try? MutationRequests.addService(body))
        apply((try? MutationRequests.editService(body, current: service)).map { [$0] })
        apply((try? MutationRequests.addServer(body, service: key)).map { [$0] })
        apply((try? MutationRequests.editServer(body, service: key, current: service.servers[0])).map { [$0] })
        if let fields = try? JSONFields(body, allowed: ["args"]), let args = try? fields.strings("args"), !args.isEmpty,
           let command = try? IPVSRuleParser.parse(args) {
            if command.isMutation {
                apply([command])
            } else {
                _ = try? IPVSListing.render(command, table: table)
            }
        }
    }

    /// Commands a route accepted must be ones the table can be asked to apply (it may still refuse them).
    static func apply(_ commands: [IPVSCommand]?) {
        guard let commands else { return }
        var copy = table
        for command in commands {
            do { try copy.apply(command) } catch { return }
        }
        _ = IPVSListing.rulesFile(copy)
    }

    /// An id that parses names a service or server whose own id parses back to it.
    static func pathSegments(_ text: String) {
        if let key = try? ServicePathID.parseService(text) {
            let again = try? ServicePathID.parseService(ServicePathID.string(for: key))
            invariant(again == key, "service id \(ServicePathID.string(for: key)) does not parse back to \(key)")
        }
        if let endpoint = try? ServicePathID.parseServer(text) {
            let again = try? ServicePathID.parseServer(ServicePathID.string(for: endpoint))
            invariant(again == endpoint, "server id \(ServicePathID.string(for: endpoint)) does not parse back to \(endpoint)")
        }
    }
}
