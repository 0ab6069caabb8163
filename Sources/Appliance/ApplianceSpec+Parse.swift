import Director
import Foundation
public import ShoalCore

extension ApplianceSpec {
    static let topLevel: Set<String> = ["name", "domain", "network", "directory", "store", "docroot", "origin", "pools", "director"]

    /// Reads a spec file; every error names the file, the line and the field.
    public static func load(path: String) throws(ConfigError) -> ApplianceSpec {
        try parse(ConfigDocument.load(path: path))
    }

    /// Reads spec text (tests, and `file` for the messages).
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ApplianceSpec {
        try parse(ConfigDocument.parse(text, file: file))
    }

    /// Builds a spec from a parsed document, filling in the defaults.
    ///
    /// ```yaml
    /// name: mail-cluster                 # default: the file's name without .yaml
    /// domain: shoal.test
    /// network: 127.0.42.0/24             # director .1, directory .2, origin .3, pools from .10
    /// directory:
    ///   kind: ldap                       # ldap (a real slapd) or sqlite (default)
    ///   users:
    ///     - {login: alice, password: s3cret}                  # address alice@DOMAIN
    ///     - {login: bob, password: s3cret, addresses: [bob@shoal.test, postmaster@shoal.test]}
    ///     - {login: root, password: s3cret, admin: true}       # may use the mail nodes' admin site
    /// store: /srv/mail                   # shared Maildir root (default: under the state directory)
    /// docroot: /srv/www                  # shared document root (default: under the state directory)
    /// origin: node                       # cache origin: a web node of the shared tier, or ADDRESS:PORT
    /// pools:
    ///   mail: 3                          # or {role: mail, replicas: 3}; the role defaults to the pool's name
    /// director:
    ///   admin_port: 9900
    ///   check_interval: 1
    ///   services: [smtp, {protocol: imap, port: 1143, pool: mail, scheduler: rr, persistence: 300}]
    /// ```
    public static func parse(_ root: ConfigNode) throws(ConfigError) -> ApplianceSpec {
        try root.allowOnly(topLevel)
        let fileName = ((root.file as NSString).lastPathComponent as NSString).deletingPathExtension
        let nameNode = try root.optional("name")
        let name = try nameNode?.string() ?? fileName
        guard Self.isValidName(name) else {
            throw (nameNode ?? root).error("'\(name)' is not an appliance name (1 to 32 of a-z 0-9 -, starting with a letter)")
        }
        var spec = ApplianceSpec(name: name, file: root.file)
        if let node = try root.optional("domain") {
            let domain = try node.string().lowercased()
            guard Self.isValidDomain(domain) else { throw node.error("'\(domain)' is not a domain name") }
            spec.domain = domain
        }
        if let node = try root.optional("network") { spec.network = try parseNetwork(node) }
        if let node = try root.optional("directory") { spec.directory = try parseDirectory(node, domain: spec.domain) }
        spec.storeRoot = try root.optional("store").map { (n) throws(ConfigError) in try absolutePath(n) }
        spec.docroot = try root.optional("docroot").map { (n) throws(ConfigError) in try absolutePath(n) }
        if let node = try root.optional("origin") {
            let text = try node.string()
            spec.origin = text == "node" ? .node : .external(try node.endpoint())
        }
        let poolsNode = try root.required("pools")
        let entries = try poolsNode.entries()
        guard !entries.isEmpty else { throw poolsNode.error("an appliance needs at least one pool") }
        guard entries.count <= PoolSpec.maximumPools else {
            throw poolsNode.error("at most \(PoolSpec.maximumPools) pools (each has a block of \(PoolSpec.maximumReplicas + 1) addresses)")
        }
        for (poolName, node) in entries {
            guard Self.isValidName(poolName) else { throw node.error("'\(poolName)' is not a pool name (a-z 0-9 -, starting with a letter)") }
            spec.pools.append(try parsePool(poolName, node))
        }
        if let node = try root.optional("director") {
            try node.allowOnly(["admin_port", "check_interval", "services"])
            if let port = try node.optional("admin_port") { spec.director.adminPort = try port.int(in: 0...65535) }
            if let interval = try node.optional("check_interval") { spec.director.checkInterval = try interval.seconds(in: 0.1...3600) }
            if let services = try node.optional("services") {
                var names: [String: Int] = [:], ports: [Int: Int] = [:]
                for item in try services.list() {
                    let service = try parseService(item, pools: spec.pools)
                    if let line = names[service.name] {
                        throw item.error("two services are named '\(service.name)' (the first on line \(line); give one a name:)")
                    }
                    if service.port != 0, let line = ports[service.port] {
                        throw item.error("two services use port \(service.port) (the first on line \(line))")
                    }
                    names[service.name] = item.line ?? 0
                    ports[service.port] = item.line ?? 0
                    spec.director.services.append(service)
                }
                guard !spec.director.services.isEmpty else { throw services.error("list at least one service (or leave services out)") }
            }
        }
        if spec.director.services.isEmpty { spec.director.services = defaultServices(spec.pools) }
        return spec
    }

    /// Every protocol of every pool, on the protocol's port (a second pool of one role gets the next ports).
    static func defaultServices(_ pools: [PoolSpec]) -> [VirtualServiceSpec] {
        var services: [VirtualServiceSpec] = []
        var used: Set<Int> = []
        for pool in pools {
            // Webmail is opt-in (it needs a certificate, made by `up`): list it in `director.services`.
            for proto in pool.role.protocols where proto != .webmail {
                var port = proto.defaultPort
                while used.contains(port) { port += 1 }
                used.insert(port)
                let name = pools.filter({ $0.role == pool.role }).count > 1 ? "\(pool.name)-\(proto.rawValue)" : proto.rawValue
                services.append(VirtualServiceSpec(name: name, proto: proto, port: port, pool: pool.name))
            }
        }
        return services
    }

    static func parseNetwork(_ node: ConfigNode) throws(ConfigError) -> ApplianceNetwork {
        let text = try node.string()
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1] == "24", case let .v4(address)? = IPAddress(parts[0]) else {
            throw node.error("'\(text)' is not an IPv4 /24 network (e.g. 127.0.42.0/24)")
        }
        guard address & 0xFF == 0 else { throw node.error("'\(text)': the network address of a /24 ends in .0") }
        return ApplianceNetwork(base: address)
    }

    static func parseDirectory(_ node: ConfigNode, domain: String) throws(ConfigError) -> SharedDirectory {
        try node.allowOnly(["kind", "users"])
        var directory = SharedDirectory()
        if let kind = try node.optional("kind") {
            directory.kind = SharedDirectory.Kind(rawValue: try kind.choice(["ldap", "sqlite"]))!
        }
        var logins: [String: Int] = [:]
        var addresses: [String: Int] = [:]
        for item in try node.optional("users")?.list() ?? [] {
            try item.allowOnly(["login", "password", "addresses", "admin"])
            let loginNode = try item.required("login")
            let login = try loginNode.string()
            guard Self.isValidLogin(login) else { throw loginNode.error("'\(login)' is not a login (1 to 64 of a-z A-Z 0-9 . _ -)") }
            if let line = logins[login.lowercased()] { throw loginNode.error("user '\(login)' is listed twice (first on line \(line))") }
            logins[login.lowercased()] = item.line ?? 0
            let password = try item.required("password").string()
            guard !password.isEmpty, !password.contains(where: \.isNewline) else {
                throw try item.required("password").error("a password is one non-empty line")
            }
            var list: [String] = []
            if let node = try item.optional("addresses") {
                for entry in try node.list() {
                    let address = try entry.string().lowercased()
                    guard Self.isValidAddress(address) else { throw entry.error("'\(address)' is not a mail address") }
                    if let line = addresses[address] { throw entry.error("address '\(address)' is taken (line \(line))") }
                    addresses[address] = entry.line ?? 0
                    list.append(address)
                }
                guard !list.isEmpty else { throw node.error("list at least one address (or leave addresses out)") }
            } else {
                let address = "\(login.lowercased())@\(domain)"
                if let line = addresses[address] { throw loginNode.error("address '\(address)' is taken (line \(line))") }
                addresses[address] = item.line ?? 0
                list = [address]
            }
            let admin = try item.optional("admin")?.bool()
            directory.users.append(ApplianceUser(login: login, password: password, addresses: list, admin: admin == true ? true : nil))
        }
        return directory
    }

    static func parsePool(_ name: String, _ node: ConfigNode) throws(ConfigError) -> PoolSpec {
        let replicasRange = 0...PoolSpec.maximumReplicas
        if case .some = try? node.string() {
            guard let role = NodeRole(rawValue: name) else {
                throw node.error("pool '\(name)' needs a role (\(NodeRole.allCases.map(\.rawValue).joined(separator: ", "))): write {role: ROLE, replicas: N}")
            }
            return PoolSpec(name: name, role: role, replicas: try node.int(in: replicasRange))
        }
        try node.allowOnly(["role", "replicas"])
        let role: NodeRole
        if let roleNode = try node.optional("role") {
            role = NodeRole(rawValue: try roleNode.choice(NodeRole.allCases.map(\.rawValue)))!
        } else if let named = NodeRole(rawValue: name) {
            role = named
        } else {
            throw node.error("required field 'role' is missing (\(NodeRole.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return PoolSpec(name: name, role: role, replicas: try node.optional("replicas")?.int(in: replicasRange) ?? 1)
    }

    static func parseService(_ node: ConfigNode, pools: [PoolSpec]) throws(ConfigError) -> VirtualServiceSpec {
        let protocols = ServiceProtocol.allCases.map(\.rawValue)
        if case .some = try? node.string() {
            let proto = ServiceProtocol(rawValue: try node.choice(protocols))!
            guard let pool = pools.first(where: { $0.role == proto.role }) else {
                throw node.error("no pool of role \(proto.role.rawValue) serves \(proto.rawValue)")
            }
            return VirtualServiceSpec(name: proto.rawValue, proto: proto, port: proto.defaultPort, pool: pool.name)
        }
        try node.allowOnly(["name", "protocol", "port", "pool", "scheduler", "persistence"])
        let proto = ServiceProtocol(rawValue: try node.required("protocol").choice(protocols))!
        let pool: PoolSpec
        if let poolNode = try node.optional("pool") {
            let poolName = try poolNode.string()
            guard let named = pools.first(where: { $0.name == poolName }) else {
                throw poolNode.error("no pool named '\(poolName)' (pools: \(pools.map(\.name).joined(separator: ", ")))")
            }
            guard named.role == proto.role else {
                throw poolNode.error("pool '\(poolName)' has role \(named.role.rawValue); \(proto.rawValue) needs a \(proto.role.rawValue) pool")
            }
            pool = named
        } else if let first = pools.first(where: { $0.role == proto.role }) {
            pool = first
        } else {
            throw node.error("no pool of role \(proto.role.rawValue) serves \(proto.rawValue)")
        }
        let nameNode = try node.optional("name")
        let name = try nameNode?.string() ?? proto.rawValue
        guard Self.isValidName(name) else { throw nameNode!.error("'\(name)' is not a service name (a-z 0-9 -, starting with a letter)") }
        var service = VirtualServiceSpec(name: name, proto: proto, port: try node.optional("port")?.int(in: 0...65535) ?? proto.defaultPort,
                                         pool: pool.name)
        if let scheduler = try node.optional("scheduler") {
            service.scheduler = try scheduler.choice(SchedulerName.allCases.map(\.rawValue))
        }
        service.persistence = try node.optional("persistence")?.int(in: 1...Int(Int32.max))
        return service
    }

    static func absolutePath(_ node: ConfigNode) throws(ConfigError) -> String {
        let path = try node.string()
        guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else { throw node.error("'\(path)' is not an absolute path") }
        return path
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), name.utf8.count <= 32 else { return false }
        return name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }

    static func isValidLogin(_ login: String) -> Bool {
        !login.isEmpty && login.utf8.count <= 64 && login.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    static func isValidDomain(_ domain: String) -> Bool {
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && domain.utf8.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
        }
    }

    static func isValidAddress(_ address: String) -> Bool {
        guard let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at], domain = String(address[address.index(after: at)...])
        return !local.isEmpty && local.utf8.count <= 64 && !local.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "@" })
            && isValidDomain(domain)
    }
}
