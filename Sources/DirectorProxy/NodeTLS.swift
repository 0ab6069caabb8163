public import NIOSSL
public import ShoalCore

/// TLS from the director to its real servers (the mail nodes' implicit-TLS ports, the web nodes' HTTPS
/// ports), so that a replayed login, a session cookie and the session after it never cross the network in
/// the clear. The PROXY header, when sent, goes before the handshake (as the protocol says; a Shoal node
/// reads it before TLS).
public struct NodeTLS: Sendable {
    public let context: NIOSSLContext
    /// The name the node's certificate must carry (nil: nodes are reached by address, so only the chain is
    /// checked, as with a private CA that signs every node).
    public let serverName: String?

    /// - Parameters:
    ///   - caFile: PEM bundle the nodes' certificates chain to (nil: the system's trust store).
    ///   - verify: false accepts any certificate (encryption without authentication; for tests and labs).
    public init(caFile: String?, serverName: String?, verify: Bool) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile { configuration.trustRoots = .file(caFile) }
        if !verify {
            configuration.certificateVerification = .none
        } else if serverName == nil {
            configuration.certificateVerification = .noHostnameVerification
        }
        context = try NIOSSLContext(configuration: configuration)
        self.serverName = serverName
    }

    /// Reads a `node_tls:` mapping (`ca_file`, `server_name`, `verify`, all optional); errors name the
    /// file, line and field.
    public static func parse(_ node: ConfigNode) throws(ConfigError) -> NodeTLS {
        try node.allowOnly(["ca_file", "server_name", "verify"])
        let caNode = try node.optional("ca_file")
        do {
            return try NodeTLS(caFile: try caNode?.string(), serverName: try node.optional("server_name")?.string(),
                               verify: try node.optional("verify")?.bool() ?? true)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw (caNode ?? node).error("cannot set up TLS to the nodes: \(error)")
        }
    }
}
