public import NIOSSL

/// TLS from the director to the mail nodes (their implicit-TLS ports: 993, 995, 465), so that a replayed
/// login and the session after it never cross the network in the clear. The PROXY header, when sent, goes
/// before the handshake (as the protocol says; a Shoal node reads it before TLS).
public struct MailNodeTLS: Sendable {
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
}
