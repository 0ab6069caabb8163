import Yams

/// Each node's configuration file, built as a YAML document from the plan (the same files a user would write
/// for `shoal director`, `shoal mail-node`, `shoal web-node`, `shoal cache-node`).
public struct NodeConfigRenderer: Sendable {
    public var plan: AppliancePlan
    /// Seconds between the director's checks of a node.
    public var checkInterval: Double

    public init(plan: AppliancePlan, checkInterval: Double = 1) {
        self.plan = plan
        self.checkInterval = checkInterval
    }

    var layout: ApplianceLayout { ApplianceLayout(root: plan.stateDirectory) }

    /// The configuration text of `node`; nil for nodes configured otherwise (slapd: `SlapdDatabase`).
    public func config(for node: PlannedNode) throws -> String? {
        let document: Node
        switch node.kind {
        case .director: document = director()
        case .mail: document = mail(node)
        case .web: document = web(node, serverName: node.name, port: ServiceProtocol.http.defaultPort)
        case .origin: document = web(node, serverName: node.name, port: ApplianceDefaultPort.origin)
        case .cache: document = cache(node)
        case .ldap: return nil
        }
        return try Yams.serialize(node: document, width: -1)
    }

    // MARK: Documents

    func director() -> Node {
        let node = plan.director
        var services: [Node] = []
        for service in plan.services {
            var fields: [(String, Node)] = [
                ("name", Node(service.name)), ("listen", Node("\(service.address):\(service.port)")),
                ("scheduler", Node(service.scheduler)),
            ]
            if let timeout = service.persistence { fields.append(("persistence", map([("timeout", Node(String(timeout)))]))) }
            if service.proto == .webmail {
                // TLS ends at the director (the VIP's certificate) and starts again to the nodes: webmail refuses
                // plain HTTP off loopback, and the netns and podman hosts are not loopback.
                fields.append(("protocol", Node("http")))
                fields.append(("http", map([
                    ("cookie", Node("SHOALSRV")),
                    ("tls", map([("certificate", Node(layout.tlsCertificate)), ("key", Node(layout.tlsKey))])),
                    ("node_tls", map([("ca_file", Node(layout.tlsCertificate)), ("verify", Node("true"))])),
                ])))
            }
            fields.append(("alpha", Node("true")))
            fields.append(("check", check(service.proto)))
            fields.append(("servers", .sequence(.init(plan.members(of: service.pool).map { member in
                map([("address", Node("\(member.address):\(service.nodePort)"))])
            }))))
            services.append(map(fields))
        }
        return map([
            ("director", map([
                ("admin", map([("listen", Node(node.endpoint("admin") ?? "\(node.address):\(ApplianceDefaultPort.admin)"))])),
                ("connect_timeout", Node("2")), ("max_attempts", Node("3")), ("drain_timeout", Node("10")),
            ])),
            ("services", .sequence(.init(services))),
        ])
    }

    func check(_ proto: ServiceProtocol) -> Node {
        var fields: [(String, Node)] = [
            ("type", Node(proto.checkType)), ("delay_loop", Node(String(checkInterval))), ("connect_timeout", Node("2")),
            ("retry", Node("0")), ("rise", Node("1")), ("fall", Node("1")),
        ]
        switch proto {
        case .http: fields += [("path", Node("/")), ("status", Node("200-399"))]
        case .smtp, .submission: fields.append(("helo_name", Node("director.\(plan.domain)")))
        default: break
        }
        return map(fields)
    }

    func mail(_ node: PlannedNode) -> Node {
        var fields: [(String, Node)] = [("hostname", Node("\(node.name).\(plan.domain)"))]
        if plan.directoryKind == .ldap, let ldap = plan.node("directory"), let endpoint = ldap.endpoint("ldap") {
            fields.append(("directory", Node("ldap://\(endpoint)")))
            // Nodes read as the reader; with admins in the spec they serve an admin site that writes users, so bind as the admin.
            let writes = !plan.admins.isEmpty
            fields.append(("ldap", map([
                ("base", Node(ApplianceDirectoryTier.peopleDN(plan.domain))),
                ("bind_dn", Node(writes ? ApplianceDirectoryTier.adminDN(plan.domain) : ApplianceDirectoryTier.readerDN(plan.domain))),
                ("bind_password_file", Node(writes ? layout.ldapAdminSecret : layout.ldapReaderSecret)),
            ])))
        } else {
            fields.append(("directory", Node("sqlite:\(layout.sqliteFile)")))
        }
        fields.append(("store", map([("root", Node(plan.storeRoot))])))
        for listener in node.listeners {
            // The webmail listener is the node's `https:` block (webmail and, for admins, the admin site).
            let name = listener.name == ServiceProtocol.webmail.rawValue ? "https" : listener.name
            fields.append((name, map([("listen", Node("\(node.address):\(listener.port)"))])))
        }
        if node.port(ServiceProtocol.webmail.rawValue) != nil {
            fields.append(("tls", map([("certificate", Node(layout.tlsCertificate)), ("key", Node(layout.tlsKey))])))
            var webmail: [(String, Node)] = [("secret_file", Node(layout.webmailSecret)), ("audit_log", Node(layout.webmailAuditLog))]
            let admins = plan.admins
            if !admins.isEmpty { webmail.append(("admins", .sequence(.init(admins.map { Node($0) })))) }
            fields.append(("webmail", map(webmail)))
        }
        fields.append(("local_domains", .sequence(.init([Node(plan.domain)]))))
        // Loopback and private namespaces carry no certificate: plaintext logins on the cluster's own network only.
        fields.append(("auth", map([("allow_plaintext", Node("true"))])))
        return map(fields)
    }

    func web(_ node: PlannedNode, serverName: String, port: Int) -> Node {
        map([
            ("root", Node(plan.docroot)),
            ("http", map([("listen", Node("\(node.address):\(port)"))])),
            ("server_name", Node(serverName)),
            ("cache", map([("revalidate_ms", Node("1000"))])),
        ])
    }

    /// The cache node's file (HTTPCache's `CacheNodeConfiguration` on main): its listener, the origin as a
    /// reverse proxy, a store of its own, and the rest of the pool as ICP siblings.
    func cache(_ node: PlannedNode) -> Node {
        let peers = plan.nodes.filter { $0.pool == node.pool && $0.name != node.name }.compactMap { peer -> Node? in
            guard let icp = peer.endpoint("icp"), let http = peer.endpoint("http") else { return nil }
            return map([("icp", Node(icp)), ("http", Node(http)), ("type", Node("sibling"))])
        }
        return map([
            ("name", Node(node.name)),
            ("http", map([("listen", Node(node.endpoint("http") ?? ""))])),
            ("origin", map([("servers", .sequence(.init([Node(plan.origin ?? "")])))])),
            ("store", map([("directory", Node(layout.nodeDirectory(node.name) + "/cache"))])),
            ("icp", map([("listen", Node(node.endpoint("icp") ?? "")), ("peers", .sequence(.init(peers)))])),
        ])
    }

    func map(_ pairs: [(String, Node)]) -> Node {
        .mapping(.init(pairs.map { (Node($0.0), $0.1) }))
    }
}

/// The LDAP names of an appliance's directory tier, from its mail domain.
public enum ApplianceDirectoryTier {
    /// `dc=shoal,dc=test` for shoal.test.
    public static func baseDN(_ domain: String) -> String {
        domain.split(separator: ".").map { "dc=\($0)" }.joined(separator: ",")
    }
    public static func peopleDN(_ domain: String) -> String { "ou=people," + baseDN(domain) }
    public static func adminDN(_ domain: String) -> String { "cn=admin," + baseDN(domain) }
    public static func readerDN(_ domain: String) -> String { "cn=reader," + baseDN(domain) }
}
