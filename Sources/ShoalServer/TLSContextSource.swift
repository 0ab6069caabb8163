import NIOConcurrencyHelpers
public import NIOSSL
public import ShoalCore

/// A server TLS context loaded from PEM files, replaced in place on reload (SIGHUP) so that new connections
/// get the new certificate while established ones keep theirs.
public final class TLSContextSource: Sendable {
    /// The certificate chain and private key files, PEM.
    public let certificatePath: String
    public let keyPath: String
    private let current: NIOLockedValueBox<NIOSSLContext>

    /// Loads both files; errors name the file and the field.
    public init(certificatePath: String, keyPath: String) throws(ConfigError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        current = NIOLockedValueBox(try Self.load(certificatePath: certificatePath, keyPath: keyPath))
    }

    /// Wraps an existing context (tests, or a context built in memory).
    public init(context: NIOSSLContext) {
        certificatePath = ""
        keyPath = ""
        current = NIOLockedValueBox(context)
    }

    /// The context new connections use.
    public var context: NIOSSLContext { current.withLockedValue { $0 } }

    /// Reads the files again; on any error the running context stays and the error is thrown.
    public func reload() throws(ConfigError) {
        guard !certificatePath.isEmpty else { return }
        let next = try Self.load(certificatePath: certificatePath, keyPath: keyPath)
        current.withLockedValue { $0 = next }
    }

    static func load(certificatePath: String, keyPath: String) throws(ConfigError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw ConfigError(file: certificatePath, field: "tls.certificate", "cannot read the certificate: \(error)")
        }
        guard !chain.isEmpty else { throw ConfigError(file: certificatePath, field: "tls.certificate", "no certificate in the file") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw ConfigError(file: keyPath, field: "tls.key", "cannot read the private key: \(error)")
        }
        do {
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                         privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConfigError(file: certificatePath, field: "tls", "the certificate and key do not make a TLS context: \(error)")
        }
    }
}
