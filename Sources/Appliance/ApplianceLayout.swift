/// The files of one running appliance, all under its state directory.
public struct ApplianceLayout: Sendable, Hashable {
    public var root: String

    public init(root: String) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    /// The plan the supervisor runs (JSON), rewritten by `scale`.
    public var planFile: String { root + "/plan.json" }
    /// A copy of the spec `up` was given.
    public var specFile: String { root + "/spec.yaml" }
    /// What the supervisor last wrote about each node (JSON).
    public var stateFile: String { root + "/state.json" }
    /// The netns host's namespace prefix, written before the first namespace is made (read by `down` and `up`).
    public var namespacePrefixFile: String { root + "/netns-prefix" }
    /// The podman host's container prefix, written before the first container starts (read by `down` and `up`).
    public var containerPrefixFile: String { root + "/podman-prefix" }
    /// The supervisor's pid.
    public var supervisorPidFile: String { root + "/supervisor.pid" }
    public var logDirectory: String { root + "/logs" }
    public var nodesDirectory: String { root + "/nodes" }
    public var sharedDirectory: String { root + "/shared" }
    public var defaultStoreRoot: String { sharedDirectory + "/mail" }
    public var defaultDocroot: String { sharedDirectory + "/www" }
    public var sqliteFile: String { sharedDirectory + "/users.db" }
    public var ldapDirectory: String { sharedDirectory + "/ldap" }
    /// The LDAP reader account's password, which mail nodes bind with.
    public var ldapReaderSecret: String { ldapDirectory + "/reader.secret" }
    /// The directory's admin (rootdn) password: mail nodes bind with it when the spec names admins, since the
    /// admin site on every mail node writes users (the reader may only read).
    public var ldapAdminSecret: String { ldapDirectory + "/admin.secret" }

    /// The appliance's TLS certificate (self-signed, made by `up` when absent): the webmail VIP's and the mail
    /// nodes' webmail listeners', and the trust root the director checks the nodes against.
    public var tlsCertificate: String { sharedDirectory + "/tls/cluster.pem" }
    public var tlsKey: String { sharedDirectory + "/tls/cluster.key" }
    /// The webmail cookie key the mail nodes share, so the director may move a browser between them.
    public var webmailSecret: String { sharedDirectory + "/webmail.secret" }
    /// The admin site's audit log (one file for every mail node).
    public var webmailAuditLog: String { logDirectory + "/admin-audit.log" }

    public func nodeDirectory(_ node: String) -> String { nodesDirectory + "/" + node }
    public func configFile(_ node: String) -> String { nodeDirectory(node) + "/config.yaml" }
    public func logFile(_ node: String) -> String { logDirectory + "/" + node + ".log" }
}
