import Directory
import Yams

/// Where `shoal render` targets: Kubernetes manifests or a compose file.
public enum RenderTarget: String, Sendable, Hashable, CaseIterable {
    case kubernetes, compose
}

/// What both renderers share: the spec planned for containers (a 10/8 network, state under `/var/lib/shoal`),
/// each node's configuration from `NodeConfigRenderer` (checked by the node's own parser), the slapd seed, and
/// YAML building helpers. Pure: nothing is started or written.
public struct ManifestRenderer: Sendable {
    public var spec: ApplianceSpec
    public var plan: AppliancePlan
    /// The node image (`Images/`: Debian with the shoal binary and slapd).
    public var image: String

    /// Where state lives inside a container.
    public static let stateDirectory = "/var/lib/shoal"
    /// Where a node's configuration file is mounted.
    public static let configPath = "/etc/shoal/config.yaml"

    public init(spec: ApplianceSpec, image: String = "localhost/shoal-node:latest") throws {
        self.spec = spec
        self.image = image
        // Webmail needs the appliance's certificate and cookie key, which `up` makes and manifests do not ship yet.
        plan = try AppliancePlan.make(spec, hosts: .podman, stateDirectory: Self.stateDirectory).withoutWebmail()
    }

    /// The manifests for `target`, as YAML text.
    public func render(_ target: RenderTarget) throws -> String {
        switch target {
        case .kubernetes: return try KubernetesManifests(renderer: self).text()
        case .compose: return try ComposeManifest(renderer: self).text()
        }
    }

    var layout: ApplianceLayout { ApplianceLayout(root: plan.stateDirectory) }

    /// `node`'s configuration as rendered for `plan`, checked by the node's parser.
    func config(_ node: PlannedNode, in plan: AppliancePlan) throws -> String? {
        guard let text = try NodeConfigRenderer(plan: plan, checkInterval: spec.director.checkInterval).config(for: node) else { return nil }
        try Self.check(text, kind: node.kind, file: "\(plan.name)/\(node.name)/config.yaml", docroot: plan.docroot)
        return text
    }

    /// Checks a container's configuration with its node's parser. The web node's parser also checks that its
    /// document root is a directory, which exists in the container, not here: that path is checked as `/`.
    public static func check(_ text: String, kind: NodeKind, file: String, docroot: String) throws {
        let local = kind == .web || kind == .origin ? text.replacingOccurrences(of: "root: \(docroot)\n", with: "root: /\n") : text
        try ApplianceSetup.check(local, kind: kind, file: file)
    }

    /// The slapd files of the directory tier (slapd.conf, the schema, the users' LDIF, the reader's password) by
    /// file name, and the directory they belong in.
    func slapdFiles() -> (directory: String, files: [(String, String)]) {
        let reader = ApplianceSetup.randomSecret()
        let (database, users) = ApplianceSetup.slapd(spec: spec, plan: plan, reader: reader)
        return (database.directory, [("slapd.conf", database.config()), ("shoal.schema", SlapdDatabase.schema),
                                     ("data.ldif", database.ldif(users: users)), ("reader.secret", reader + "\n")])
    }

    /// The command that seeds and runs slapd in the directory container (`-h` on every address, the port planned).
    func slapdCommand(directory: String, port: Int) -> String {
        "mkdir -p \(directory)/data && slapadd -q -f \(directory)/slapd.conf -l \(directory)/data.ldif"
            + " && exec slapd -f \(directory)/slapd.conf -h ldap://0.0.0.0:\(port)/ -d 0"
    }

    /// The program and arguments of a node of `kind` (the slapd node runs `slapdCommand` under sh).
    func command(_ kind: NodeKind) -> [String] {
        switch kind {
        case .director: return ["shoal", "director", "--config", Self.configPath]
        case .mail: return ["shoal", "mail-node", "--config", Self.configPath]
        case .web, .origin: return ["shoal", "web-node", "--config", Self.configPath]
        case .cache: return ["shoal", "cache-node", "--config", Self.configPath]
        case .ldap: return []
        }
    }
}

/// A refused render names the spec and why.
public struct RenderError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Building YAML nodes: mappings in order, sequences, scalars (numbers plain, strings quoted when YAML would
/// read them as something else).
enum YAMLBuild {
    static func map(_ pairs: [(String, Node)]) -> Node { .mapping(.init(pairs.map { (Node($0.0), $0.1) })) }
    static func list(_ nodes: [Node]) -> Node { .sequence(.init(nodes)) }
    static func string(_ text: String) -> Node { Node(text, Tag(.str), text.contains("\n") ? .literal : .doubleQuoted) }
    static func int(_ value: Int) -> Node { Node(String(value), Tag(.int)) }
    static func strings(_ texts: [String]) -> Node { list(texts.map(string)) }
    static func documents(_ nodes: [Node]) throws -> String {
        try nodes.map { try Yams.serialize(node: $0, width: -1) }.joined(separator: "---\n")
    }
}
