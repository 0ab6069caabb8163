import Foundation
import ShoalCore
import Testing

/// The one secret-file reader: one trailing line ending dropped, nothing else trimmed, clear refusals.
@Suite struct SecretFileTests {
    static func file(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "shoal-secret-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func dropsOneTrailingLineEnding() throws {
        #expect(try SecretFile.decode(Array("s3cret\n".utf8)) == "s3cret")
        #expect(try SecretFile.decode(Array("s3cret\r\n".utf8)) == "s3cret")
        #expect(try SecretFile.decode(Array("s3cret".utf8)) == "s3cret")
        #expect(try SecretFile.decode(Array(" spaced pass \n".utf8)) == " spaced pass ")
        #expect(throws: SecretFileError.Reason.multipleLines) { try SecretFile.decode(Array("a\n\n".utf8)) }
        #expect(throws: SecretFileError.Reason.multipleLines) { try SecretFile.decode(Array("a\nb\n".utf8)) }
        #expect(throws: SecretFileError.Reason.multipleLines) { try SecretFile.decode(Array("a\rb".utf8)) }
    }

    @Test func readsAFileAndNamesItInErrors() throws {
        let good = try Self.file(Array("token-1\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: good) }
        #expect(try SecretFile.read(good, what: "admin token file") == "token-1")

        let empty = try Self.file(Array("\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(throws: SecretFileError(path: empty, what: "admin token file", reason: .empty)) {
            try SecretFile.read(empty, what: "admin token file")
        }
        #expect(try SecretFile.read(empty, allowEmpty: true) == "")
        #expect(SecretFileError(path: empty, what: "admin token file", reason: .empty).description == "\(empty): the admin token file is empty")

        do {
            _ = try SecretFile.read("/nonexistent/shoal-token", what: "password file")
            Issue.record("read a missing file")
        } catch {
            #expect(error.description == "/nonexistent/shoal-token: cannot read the password file: No such file or directory")
        }
        do {
            _ = try SecretFile.read(NSTemporaryDirectory(), what: "password file")
            Issue.record("read a directory")
        } catch {
            #expect(error.problem.hasPrefix("cannot read the password file"))
        }
        let big = try Self.file(Array(repeating: 0x61, count: SecretFile.maximumBytes + 10))
        defer { try? FileManager.default.removeItem(atPath: big) }
        #expect(throws: SecretFileError(path: big, what: "secret file", reason: .tooLarge)) { try SecretFile.read(big) }
    }

    @Test func ipv4Netmasks() {
        #expect(IPv4Netmask.mask(prefixLength: 24) == 0xffff_ff00)
        #expect(IPv4Netmask.mask(prefixLength: 0) == 0)
        #expect(IPv4Netmask.mask(prefixLength: 32) == 0xffff_ffff)
        #expect(IPv4Netmask.mask(prefixLength: 33) == nil)
        #expect(IPv4Netmask.prefixLength(0xffff_ff00) == 24)
        #expect(IPv4Netmask.prefixLength(0) == 0)
        #expect(IPv4Netmask.prefixLength(0xffff_ffff) == 32)
        #expect(IPv4Netmask.prefixLength(0xff00_ff00) == nil)
        #expect(IPv4Netmask.prefixLength(0x00ff_ffff) == nil)
    }
}
