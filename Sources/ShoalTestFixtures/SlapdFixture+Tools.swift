import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tools run for the slapd fixture, and password values made by OpenLDAP's own tool.
extension SlapdFixture {
    /// A `userPassword` value made by `slappasswd -h {SCHEME}` (SSHA256/SSHA512 through the pw-sha2 module),
    /// independent of Shoal's PasswordHash.
    public static func slappasswd(_ password: String, scheme: String) throws -> String {
        var arguments = ["-o", "module-path=/usr/lib/ldap", "-o", "module-load=pw-sha2.so", "-h", scheme, "-s", password]
        if scheme.uppercased() == "{CRYPT}" { arguments += ["-c", "$6$%.16s"] }
        return try run("/usr/sbin/slappasswd", arguments).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs a tool to completion; its stdout, or an error with its stdout and stderr when it fails.
    public static func run(_ tool: String, _ arguments: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw SlapdFixtureError("\(tool) not found: install the Debian packages slapd ldap-utils openssl")
        }
        let result = try TestProcess.runBlocking(tool, arguments)
        guard result.status == 0 else {
            throw SlapdFixtureError("\(tool) \(arguments.joined(separator: " ")) exited with status "
                + "\(result.status): \(result.stderr)\(result.stdout)")
        }
        return result.stdout
    }
}
