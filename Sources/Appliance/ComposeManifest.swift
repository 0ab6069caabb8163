import Yams

/// The appliance as a compose file (`shoal render SPEC --to compose`): one service per planned node on a network
/// of the spec's /24 (a loopback network moved to 10/8), each at its planned address so that the director's
/// file names its servers as on the other hosts; node configurations and the directory's seed as inline
/// `configs`, the shared store and document root as named volumes, the VIPs published by the director.
struct ComposeManifest {
    var renderer: ManifestRenderer
    var plan: AppliancePlan { renderer.plan }

    typealias Y = YAMLBuild

    var network: String { plan.name }

    func text() throws -> String {
        var services: [(String, Node)] = []
        var configs: [(String, Node)] = []
        var slapd: (directory: String, files: [(String, String)])?
        if plan.nodes.contains(where: { $0.kind == .ldap }) {
            let seed = renderer.slapdFiles()
            slapd = seed
            for file in seed.files { configs.append(("directory-\(file.0)", Y.map([("content", Y.string(file.1))]))) }
        }
        let volumes = ["store": plan.nodes.contains { $0.kind == .mail }, "docroot": plan.nodes.contains { $0.kind == .web || $0.kind == .origin }]
        for node in plan.nodes {
            var fields: [(String, Node)] = [("image", Y.string(renderer.image))]
            var mounted: [Node] = []
            var volumeMounts: [Node] = []
            switch node.kind {
            case .ldap:
                guard let slapd else { continue }
                let port = node.port("ldap") ?? ApplianceDefaultPort.ldap
                fields.append(("command", Y.strings(["sh", "-c", renderer.slapdCommand(directory: slapd.directory, port: port)])))
                for file in slapd.files where file.0 != "reader.secret" {
                    mounted.append(Y.map([("source", Y.string("directory-\(file.0)")), ("target", Y.string("\(slapd.directory)/\(file.0)"))]))
                }
            default:
                guard let config = try renderer.config(node, in: plan) else { continue }
                configs.append((node.name, Y.map([("content", Y.string(config))])))
                fields.append(("command", Y.strings(renderer.command(node.kind))))
                mounted.append(Y.map([("source", Y.string(node.name)), ("target", Y.string(ManifestRenderer.configPath))]))
                if node.kind == .mail {
                    volumeMounts.append(Y.string("store:\(plan.storeRoot)"))
                    if plan.directoryKind == .ldap {
                        mounted.append(Y.map([("source", Y.string("directory-reader.secret")), ("target", Y.string(renderer.layout.ldapReaderSecret))]))
                    }
                }
                if node.kind == .web || node.kind == .origin { volumeMounts.append(Y.string("docroot:\(plan.docroot)")) }
            }
            fields.append(("configs", Y.list(mounted)))
            if !volumeMounts.isEmpty { fields.append(("volumes", Y.list(volumeMounts))) }
            fields.append(("networks", Y.map([(network, Y.map([("ipv4_address", Y.string(node.address))]))])))
            let needs = dependencies(of: node)
            if !needs.isEmpty { fields.append(("depends_on", Y.strings(needs))) }
            if node.kind == .director {
                fields.append(("ports", Y.strings(plan.services.map { "\($0.port):\($0.port)" } + (node.port("admin").map { ["\($0):\($0)"] } ?? []))))
            }
            fields.append(("restart", Y.string("on-failure")))
            services.append((node.name, Y.map(fields)))
        }
        var document: [(String, Node)] = [
            ("name", Y.string(plan.name)),
            ("services", Y.map(services)),
            ("networks", Y.map([(network, Y.map([("ipam", Y.map([("config", Y.list([Y.map([("subnet", Y.string(plan.network))])]))]))]))])),
        ]
        let named = volumes.filter(\.value).keys.sorted()
        if !named.isEmpty { document.append(("volumes", Y.map(named.map { ($0, Y.map([])) }))) }
        document.append(("configs", Y.map(configs)))
        return try Y.documents([Y.map(document)])
    }

    /// Who starts first: the director after the pools, the pools after the shared tier.
    func dependencies(of node: PlannedNode) -> [String] {
        switch node.kind {
        case .director: return plan.nodes.filter { $0.pool != nil }.map(\.name)
        case .mail: return plan.nodes.filter { $0.kind == .ldap }.map(\.name)
        case .cache: return plan.nodes.filter { $0.kind == .origin }.map(\.name)
        default: return []
        }
    }
}
