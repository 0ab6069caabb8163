import Foundation
import ShoalCore
public import Logging

/// Which user directory to use, as given to `--directory`: `sqlite:PATH` or `ldap[s]://HOST[:PORT][,...]`.
public enum DirectorySpec: Hashable, Sendable, CustomStringConvertible {
    /// The embedded SQLite directory in this file.
    case sqlite(path: String)
    /// An LDAP directory; the URIs are tried in order (failover).
    case ldap(uris: [String])

    /// The default: the embedded database under /var/lib/shoal.
    public static let defaultArgument = "sqlite:/var/lib/shoal/users.db"

    /// The LDAP settings a command line gives besides the URIs (`--base`, `--bind-dn`, ...).
    public struct LDAPOptions: Hashable, Sendable {
        /// The search base (required for LDAP).
        public var base: String?
        /// The service account's DN.
        public var bindDN: String?
        /// A file whose first line is the service account's password.
        public var bindPasswordFile: String?
        /// `bind` (default) or `verify`.
        public var authMode: LDAPConfiguration.AuthMode?
        /// Upgrade ldap:// connections with StartTLS.
        public var startTLS: Bool
        /// CA certificates (PEM) to verify the server against.
        public var caFile: String?

        public init(base: String? = nil, bindDN: String? = nil, bindPasswordFile: String? = nil,
                    authMode: LDAPConfiguration.AuthMode? = nil, startTLS: Bool = false, caFile: String? = nil) {
            self.base = base
            self.bindDN = bindDN
            self.bindPasswordFile = bindPasswordFile
            self.authMode = authMode
            self.startTLS = startTLS
            self.caFile = caFile
        }

        /// The command-line names of the options that are set.
        var namesGiven: [String] {
            var names: [String] = []
            if base != nil { names.append("--base") }
            if bindDN != nil { names.append("--bind-dn") }
            if bindPasswordFile != nil { names.append("--bind-password-file") }
            if authMode != nil { names.append("--auth-mode") }
            if startTLS { names.append("--starttls") }
            if caFile != nil { names.append("--ca-file") }
            return names
        }
    }

    /// Parses a `--directory` argument; errors name the argument and what was expected.
    public init(parsing argument: String) throws(DirectoryError) {
        let expected = "expected sqlite:PATH or ldap://HOST[:PORT] / ldaps://HOST[:PORT] (comma-separated for failover)"
        func invalid(_ why: String) -> DirectoryError {
            DirectoryError(.configuration, "'\(argument)': \(why)", location: "--directory")
        }
        let lower = argument.lowercased()
        if lower.hasPrefix("sqlite:") {
            let path = String(argument.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw invalid("the path after sqlite: is empty; \(expected)") }
            guard !path.utf8.contains(0) else { throw invalid("the path contains a NUL character") }
            self = .sqlite(path: path)
        } else if lower.hasPrefix("ldap://") || lower.hasPrefix("ldaps://") {
            let uris = argument.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            for uri in uris {
                if let why = Self.problem(ldapURI: uri) { throw invalid("\(why); \(expected)") }
            }
            self = .ldap(uris: uris)
        } else {
            throw invalid(expected)
        }
    }

    public var description: String {
        switch self {
        case let .sqlite(path): return "sqlite:" + path
        case let .ldap(uris): return uris.joined(separator: ",")
        }
    }

    /// The LDAP configuration for these URIs and options, reading the bind password from its file.
    public func ldapConfiguration(_ options: LDAPOptions) throws(DirectoryError) -> LDAPConfiguration {
        guard case let .ldap(uris) = self else {
            throw DirectoryError(.configuration, "'\(self)' is not an LDAP directory", location: "--directory")
        }
        guard let base = options.base, !base.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw DirectoryError(.configuration, "--base is required with an LDAP directory (\(self))")
        }
        var configuration = LDAPConfiguration(uris: uris, base: base)
        switch (options.bindDN, options.bindPasswordFile) {
        case (nil, nil):
            break
        case (.some, nil):
            throw DirectoryError(.configuration, "--bind-dn needs --bind-password-file")
        case (nil, .some):
            throw DirectoryError(.configuration, "--bind-password-file needs --bind-dn")
        case let (dn?, file?):
            configuration.bindDN = dn
            configuration.bindPassword = try Self.readSecret(file)
        }
        if let mode = options.authMode { configuration.authMode = mode }
        if options.startTLS {
            if let ldaps = uris.first(where: { $0.lowercased().hasPrefix("ldaps://") }) {
                throw DirectoryError(.configuration, "--starttls cannot be used with \(ldaps), which is TLS already")
            }
            configuration.tls = .startTLS
        }
        if let caFile = options.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw DirectoryError(.configuration, "cannot read the CA file (--ca-file)", location: caFile)
            }
            configuration.caFile = caFile
        }
        return configuration
    }

    /// Opens the directory: a `SQLiteDirectory` or an `LDAPDirectory`, hashing new passwords with
    /// `passwordScheme` (default SSHA512). LDAP options given with an SQLite directory are an error.
    public func makeDirectory(ldap options: LDAPOptions = LDAPOptions(), passwordScheme: PasswordScheme? = nil,
                              logger: Logger = Logger(label: "shoal.directory")) throws(DirectoryError) -> any ManagedUserDirectory {
        switch self {
        case let .sqlite(path):
            if let name = options.namesGiven.first {
                throw DirectoryError(.configuration, "\(name) applies only to LDAP directories, not to \(self)")
            }
            return try SQLiteDirectory(path: path, passwordScheme: passwordScheme ?? .ssha512, logger: logger)
        case .ldap:
            let configuration = try ldapConfiguration(options)
            return LDAPDirectory(configuration: configuration, logger: logger, passwordScheme: passwordScheme ?? .ssha512)
        }
    }

    /// Opens the directory as `makeDirectory` does, but with the SQLite file opened on a thread pool
    /// (creating and migrating the database is blocking I/O); what async callers such as a mail node use.
    public func openDirectory(ldap options: LDAPOptions = LDAPOptions(), passwordScheme: PasswordScheme? = nil,
                              logger: Logger = Logger(label: "shoal.directory")) async throws(DirectoryError) -> any ManagedUserDirectory {
        guard case let .sqlite(path) = self else {
            return try makeDirectory(ldap: options, passwordScheme: passwordScheme, logger: logger)
        }
        if let name = options.namesGiven.first {
            throw DirectoryError(.configuration, "\(name) applies only to LDAP directories, not to \(self)")
        }
        return try await SQLiteDirectory.open(path: path, passwordScheme: passwordScheme ?? .ssha512, logger: logger)
    }

    /// Why `uri` is not an `ldap://` or `ldaps://` URI naming at most a host and port, or nil when it is.
    static func problem(ldapURI uri: String) -> String? {
        guard !uri.isEmpty else { return "an empty URI in the list" }
        let lower = uri.lowercased()
        let rest: Substring
        if lower.hasPrefix("ldap://") {
            rest = uri.dropFirst("ldap://".count)
        } else if lower.hasPrefix("ldaps://") {
            rest = uri.dropFirst("ldaps://".count)
        } else {
            return "'\(uri)' is not an ldap:// or ldaps:// URI"
        }
        var hostPort = rest
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...] == "/" else { return "'\(uri)': give the base with --base, not in the URI" }
            hostPort = rest[..<slash]
        }
        guard !hostPort.contains(where: { $0.isWhitespace || $0 == "@" || $0 == "?" || $0 == "#" }) else {
            return "'\(uri)' is not host[:port]"
        }
        var port: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { return "'\(uri)': unclosed [ in the host" }
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return "'\(uri)' is not host[:port]" }
                port = after.dropFirst()
            }
        } else if let colon = hostPort.firstIndex(of: ":") {
            port = hostPort[hostPort.index(after: colon)...]
            guard !port!.contains(":") else { return "'\(uri)': put an IPv6 address in brackets" }
        }
        if let port {
            guard let number = Int(port), (1...65535).contains(number) else { return "'\(uri)': '\(port)' is not a port" }
        }
        return nil
    }

    /// The bind password, read with the one secret-file reader (one line, its line ending dropped).
    static func readSecret(_ file: String) throws(DirectoryError) -> String {
        do {
            return try SecretFile.read(file, what: "bind password file")
        } catch {
            throw DirectoryError(.configuration, error.problem, location: file)
        }
    }
}
