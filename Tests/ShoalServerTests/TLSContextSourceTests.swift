import Foundation
import ShoalCore
import ShoalServer
import ShoalTestFixtures
import Testing

/// Loading PEM files with located errors, and reload keeping the running context on a bad file.
@Suite struct TLSContextSourceTests {
    @Test func loadsAPairAndReloadsANewOne() throws {
        let first = try SelfSignedCertificate.make()
        let source = try TLSContextSource(certificatePath: first.certificate, keyPath: first.key)
        let before = source.context
        let second = try SelfSignedCertificate.make()
        try FileManager.default.removeItem(atPath: first.certificate)
        try FileManager.default.removeItem(atPath: first.key)
        try FileManager.default.copyItem(atPath: second.certificate, toPath: first.certificate)
        try FileManager.default.copyItem(atPath: second.key, toPath: first.key)
        try source.reload()
        #expect(source.context !== before)
    }

    @Test func aBrokenFileOnReloadKeepsTheRunningContextAndNamesTheFile() throws {
        let files = try SelfSignedCertificate.make()
        let source = try TLSContextSource(certificatePath: files.certificate, keyPath: files.key)
        let before = source.context
        try "not a key".write(toFile: files.key, atomically: true, encoding: .utf8)
        #expect {
            try source.reload()
        } throws: { error in
            (error as? ConfigError)?.file == files.key && (error as? ConfigError)?.field == "tls.key"
        }
        #expect(source.context === before)
    }

    @Test func aMissingCertificateIsAConfigErrorNamingIt() {
        #expect {
            _ = try TLSContextSource(certificatePath: "/nonexistent/cert.pem", keyPath: "/nonexistent/key.pem")
        } throws: { error in
            (error as? ConfigError)?.file == "/nonexistent/cert.pem" && (error as? ConfigError)?.field == "tls.certificate"
        }
    }

    @Test func aKeyThatDoesNotMatchTheCertificateIsRefused() throws {
        let a = try SelfSignedCertificate.make(), b = try SelfSignedCertificate.make()
        #expect(throws: ConfigError.self) { _ = try TLSContextSource(certificatePath: a.certificate, keyPath: b.key) }
    }
}
