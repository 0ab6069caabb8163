import Foundation

/// A self-signed certificate for 127.0.0.1 and localhost, made by openssl in a temporary directory, for
/// servers under test that speak TLS.
public enum SelfSignedCertificate {
    /// Creates the key and certificate (PEM) and returns their paths; `names` is the subjectAltName list.
    public static func make(names: String = "IP:127.0.0.1,DNS:localhost") throws -> (certificate: String, key: String) {
        let openssl = try requiredTool("openssl", package: "openssl")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = directory.appendingPathComponent("node.key").path, certificate = directory.appendingPathComponent("node.pem").path
        let result = try TestProcess.runBlocking(openssl, [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", certificate, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=" + names,
        ])
        guard result.status == 0 else {
            throw CertificateFailed(description: "openssl req exited with \(result.status): \(result.stderr)")
        }
        return (certificate, key)
    }
}

/// openssl could not make the certificate.
public struct CertificateFailed: Error, CustomStringConvertible {
    public var description: String
}
