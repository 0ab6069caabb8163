extension AppliancePlan {
    /// `https://VIP:port/` of the webmail service, if the plan has one.
    public var webmailURL: String? {
        services.first { $0.proto == .webmail }.map { "https://\($0.address):\($0.port == 0 ? "free" : String($0.port))/" }
    }

    /// `https://node:port/admin` of every mail node's webmail listener (the admin site is a role of the webmail server).
    public var adminSiteURLs: [String] {
        nodes.filter { $0.kind == .mail }.compactMap { node in node.endpoint(ServiceProtocol.webmail.rawValue).map { "https://\($0)/admin" } }
    }

    /// What `shoal plan` prints: the nodes with their addresses and ports, the virtual services, the shared tier.
    public var text: String {
        var lines = ["appliance \(name) (\(specFile)) on \(hosts.rawValue) hosts, network \(network)", "", "nodes:"]
        let width = max(12, (nodes.map(\.name.count).max() ?? 0) + 2)
        for node in nodes {
            let ports = node.listeners.map { "\($0.name) \($0.port == 0 ? "free" : String($0.port))" }.joined(separator: ", ")
            lines.append("  " + node.name.padding(toLength: width, withPad: " ", startingAt: 0)
                + node.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                + node.address.padding(toLength: 16, withPad: " ", startingAt: 0) + ports)
        }
        lines.append("")
        lines.append("virtual services (on the director):")
        for service in services {
            let members = self.members(of: service.pool).map(\.name)
            let vip = "\(service.address):\(service.port == 0 ? "free" : String(service.port))"
            lines.append("  " + service.name.padding(toLength: width, withPad: " ", startingAt: 0)
                + vip.padding(toLength: 22, withPad: " ", startingAt: 0)
                + "\(service.scheduler)\(service.persistence.map { ", persistent \($0) s" } ?? "") -> \(service.pool) port \(service.nodePort)"
                + " [\(members.isEmpty ? "no nodes" : members.joined(separator: " "))], check \(service.proto.checkType)")
        }
        if let webmailURL {
            lines.append("")
            lines.append("webmail: \(webmailURL) (HTTPS VIP, cookie persistence, HTTPS to the nodes' webmail port)")
            lines.append("admin site: \(adminSiteURLs.joined(separator: " ")) (admins: \(admins.isEmpty ? "none" : admins.joined(separator: ", ")))")
        }
        lines.append("")
        lines.append("shared tier:")
        if nodes.contains(where: { $0.kind == .mail }) {
            lines.append("  directory   \(directoryKind == .ldap ? "slapd on \(node("directory")?.endpoint("ldap") ?? "?")" : "sqlite \(ApplianceLayout(root: stateDirectory).sqliteFile)")")
            lines.append("  store       \(storeRoot)")
        }
        if nodes.contains(where: { $0.kind == .web || $0.kind == .origin }) { lines.append("  docroot     \(docroot)") }
        if let origin { lines.append("  origin      \(origin)") }
        lines.append("  state       \(stateDirectory)")
        return lines.joined(separator: "\n") + "\n"
    }
}
