import ArgumentParser
import Directory
import Foundation
import ShoalCore

extension Shoal {
    /// `shoal users add|del|passwd|list|show|check|enable|disable|quota|alias`: manages the mail users of a directory.
    struct Users: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage mail users in the embedded SQLite directory or in LDAP.",
            discussion: """
                Every subcommand takes --directory SPEC: sqlite:PATH for the embedded directory, or \
                ldap://HOST[:PORT] / ldaps://HOST[:PORT] (comma-separated, tried in order) with --base and \
                the other LDAP options. Without --directory, $SHOAL_DIRECTORY is used, else \
                \(DirectorySpec.defaultArgument) (created on first use, readable by its owner only).

                Passwords are read from the first line of standard input (prompted for without echo on a \
                terminal) or of --password-file.

                Exit status: 0 done; 1 no such user, or (check) the password did not authenticate; 2 errors.
                """,
            subcommands: [Add.self, Del.self, Passwd.self, List.self, Show.self, Check.self, Enable.self, Disable.self, Quota.self, Alias.self]
        )
    }
}

extension Shoal.Users {
    /// `--directory` and the LDAP settings, shared by every `shoal users` subcommand.
    struct DirectoryOptions: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp(
            "The user directory: sqlite:PATH or ldap[s]://HOST[:PORT][,...]. Default: $SHOAL_DIRECTORY, else \(DirectorySpec.defaultArgument).",
            valueName: "spec"))
        var directory: String?

        @Option(name: .long, help: "LDAP: the search base (required for LDAP).")
        var base: String?

        @Option(name: .customLong("bind-dn"), help: "LDAP: the service account's DN (anonymous without it).")
        var bindDN: String?

        @Option(name: .customLong("bind-password-file"), help: ArgumentHelp("LDAP: a file whose first line is the service account's password.", valueName: "file"))
        var bindPasswordFile: String?

        @Option(name: .customLong("auth-mode"), help: ArgumentHelp("LDAP: how passwords are checked: bind (as the user, default) or verify (read userPassword and compare).", valueName: "bind|verify"),
                transform: { raw in
                    guard let mode = LDAPConfiguration.AuthMode(rawValue: raw.lowercased()) else {
                        throw ValidationError("--auth-mode: '\(raw)' is neither bind nor verify")
                    }
                    return mode
                })
        var authMode: LDAPConfiguration.AuthMode?

        @Flag(name: .customLong("starttls"), help: "LDAP: upgrade ldap:// connections with StartTLS.")
        var startTLS = false

        @Option(name: .customLong("ca-file"), help: ArgumentHelp("LDAP: CA certificates (PEM) to verify the server with.", valueName: "file"))
        var caFile: String?

        /// The directory named by `--directory`, `$SHOAL_DIRECTORY` or the default.
        func spec() throws(DirectoryError) -> DirectorySpec {
            let argument = directory ?? ProcessInfo.processInfo.environment["SHOAL_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
                ?? DirectorySpec.defaultArgument
            return try DirectorySpec(parsing: argument)
        }

        /// Opens the directory, hashing new passwords with `passwordScheme` (default SSHA512).
        func open(passwordScheme: PasswordScheme? = nil) throws(DirectoryError) -> any ManagedUserDirectory {
            let ldap = DirectorySpec.LDAPOptions(base: base, bindDN: bindDN, bindPasswordFile: bindPasswordFile,
                                                 authMode: authMode, startTLS: startTLS, caFile: caFile)
            return try spec().makeDirectory(ldap: ldap, passwordScheme: passwordScheme)
        }
    }

    /// Runs a subcommand's body: `ExitCode`s pass through, other errors print `shoal: message` and exit 2.
    static func running(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            try exitWithError(error)
        }
    }

    /// Reports a login the directory does not know: `shoal: no such user 'x'`, exit status 1.
    static func noSuchUser(_ login: String) -> ExitCode {
        FileHandle.standardError.write(Data("shoal: no such user '\(login)'\n".utf8))
        return ExitCode(1)
    }

    /// `--password-scheme ssha512|crypt`.
    static func parseScheme(_ raw: String) throws -> PasswordScheme {
        guard let scheme = PasswordScheme(rawValue: raw.uppercased()), SQLiteDirectory.storageSchemes.contains(scheme) else {
            throw ValidationError("--password-scheme: '\(raw)' is neither ssha512 nor crypt")
        }
        return scheme
    }
}

// MARK: - Subcommands

extension Shoal.Users {
    /// `shoal users add LOGIN --address A [--address B ...]`: adds a user; the password comes from stdin or a file.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user (password from stdin's first line or --password-file).")

        @OptionGroup var options: DirectoryOptions

        @Argument(help: "The login: 1 to 64 of A-Z a-z 0-9 . _ -, optionally followed by @domain.")
        var login: String

        @Option(name: .customLong("address"), help: ArgumentHelp("A mail address; the first is the primary one, the others aliases. Repeatable.", valueName: "address"))
        var addresses: [String] = []

        @Option(name: .long, help: "Where the mailbox lives (default: the mail store's ROOT/domain/user).")
        var mailbox: String?

        @Option(name: .customLong("quota-bytes"), help: "Mailbox quota in bytes.")
        var quotaBytes: UInt64?

        @Option(name: .customLong("quota-messages"), help: "Mailbox quota in messages.")
        var quotaMessages: UInt64?

        @Flag(name: .long, help: "Create the account disabled: it cannot log in or receive mail.")
        var disabled = false

        @Option(name: .customLong("password-file"), help: ArgumentHelp("Read the password from this file's first line instead of stdin.", valueName: "file"))
        var passwordFile: String?

        @Option(name: .customLong("password-scheme"), help: ArgumentHelp("How the new password is stored: ssha512 (default) or crypt (SHA-512 crypt).", valueName: "ssha512|crypt"),
                transform: Shoal.Users.parseScheme)
        var passwordScheme: PasswordScheme?

        func validate() throws {
            guard !addresses.isEmpty else { throw ValidationError("give at least one --address") }
        }

        func run() async throws {
            try await Shoal.Users.running {
                let directory = try options.open(passwordScheme: passwordScheme)
                let password = try PasswordInput.read(file: passwordFile, prompt: "Password for \(login): ", confirm: true)
                let user = DirectoryUser(login: login, addresses: addresses, mailbox: mailbox, quotaBytes: quotaBytes,
                                         quotaMessages: quotaMessages, enabled: !disabled)
                try await directory.add(user, password: password)
            }
        }
    }

    /// `shoal users del LOGIN`: removes a user and their addresses.
    struct Del: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a user and their addresses.")

        @OptionGroup var options: DirectoryOptions

        @Argument(help: "The login.")
        var login: String

        func run() async throws {
            try await Shoal.Users.running {
                guard try await options.open().delete(login: login) else { throw Shoal.Users.noSuchUser(login) }
            }
        }
    }

    /// `shoal users passwd LOGIN`: sets a new password, read from stdin or a file.
    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password (from stdin's first line or --password-file).")

        @OptionGroup var options: DirectoryOptions

        @Argument(help: "The login.")
        var login: String

        @Option(name: .customLong("password-file"), help: ArgumentHelp("Read the password from this file's first line instead of stdin.", valueName: "file"))
        var passwordFile: String?

        @Option(name: .customLong("password-scheme"), help: ArgumentHelp("How the new password is stored: ssha512 (default) or crypt.", valueName: "ssha512|crypt"),
                transform: Shoal.Users.parseScheme)
        var passwordScheme: PasswordScheme?

        func run() async throws {
            try await Shoal.Users.running {
                let directory = try options.open(passwordScheme: passwordScheme)
                guard try await directory.user(login: login) != nil else { throw Shoal.Users.noSuchUser(login) }
                let password = try PasswordInput.read(file: passwordFile, prompt: "New password for \(login): ", confirm: true)
                guard try await directory.setPassword(login: login, password: password) else { throw Shoal.Users.noSuchUser(login) }
            }
        }
    }

    /// `shoal users list`: one line per user, `LOGIN<TAB>ADDRESS,ADDRESS<TAB>enabled|disabled`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the users, one per line: login, addresses (comma-separated, primary first, - for none), enabled|disabled; tab-separated.")

        @OptionGroup var options: DirectoryOptions

        func run() async throws {
            try await Shoal.Users.running {
                var out = ""
                for user in try await options.open().allUsers() {
                    let addresses = user.addresses.isEmpty ? "-" : user.addresses.joined(separator: ",")
                    out += "\(user.login)\t\(addresses)\t\(user.enabled ? "enabled" : "disabled")\n"
                }
                FileHandle.standardOutput.write(Data(out.utf8))
            }
        }
    }

    /// `shoal users show LOGIN`: every field of one user, `name: value` per line.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a user's fields (by login, or by mail address when no login matches).",
            discussion: """
                Lines: login, address (the primary one), alias (one line each), mailbox, quota-bytes, \
                quota-messages, enabled (yes|no); "-" stands for none.
                """)

        @OptionGroup var options: DirectoryOptions

        @Argument(help: "The login, or one of the user's addresses.")
        var login: String

        func run() async throws {
            try await Shoal.Users.running {
                let directory = try options.open()
                var found = try await directory.user(login: login)
                if found == nil, login.contains("@") { found = try await directory.user(address: login) }
                guard let user = found else { throw Shoal.Users.noSuchUser(login) }
                var out = "login: \(user.login)\n"
                out += "address: \(user.primaryAddress ?? "-")\n"
                for alias in user.addresses.dropFirst() { out += "alias: \(alias)\n" }
                out += "mailbox: \(user.mailbox ?? "-")\n"
                out += "quota-bytes: \(user.quotaBytes.map(String.init) ?? "-")\n"
                out += "quota-messages: \(user.quotaMessages.map(String.init) ?? "-")\n"
                out += "enabled: \(user.enabled ? "yes" : "no")\n"
                FileHandle.standardOutput.write(Data(out.utf8))
            }
        }
    }

    /// `shoal users check LOGIN`: exit 0 when the password on stdin authenticates, 1 when not, 2 on errors.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a password (stdin's first line): exit 0 when it authenticates, 1 when not, 2 on errors.",
            discussion: "Prints LOGIN: ok, or the reason: unknown user, wrong password, disabled.")

        @OptionGroup var options: DirectoryOptions

        @Argument(help: "The login.")
        var login: String

        @Option(name: .customLong("password-file"), help: ArgumentHelp("Read the password from this file's first line instead of stdin.", valueName: "file"))
        var passwordFile: String?

        func run() async throws {
            try await Shoal.Users.running {
                let directory = try options.open()
                let password = try PasswordInput.read(file: passwordFile, prompt: "Password for \(login): ", confirm: false,
                                                      allowEmpty: true)
                let verdict: String
                switch try await directory.authenticate(login: login, password: password) {
                case .success: verdict = "ok"
                case .unknownUser: verdict = "unknown user"
                case .wrongPassword: verdict = "wrong password"
                case .disabled: verdict = "disabled"
                }
                FileHandle.standardOutput.write(Data("\(login): \(verdict)\n".utf8))
                if verdict != "ok" { throw ExitCode(1) }
            }
        }
    }
}

// MARK: - Passwords

extension Shoal.Users {
    /// Reads a password: the first line of a file, of piped stdin, or typed without echo at a terminal.
    enum PasswordInput {
        struct Failure: Error, CustomStringConvertible {
            var description: String
        }

        static func read(file: String?, prompt: String, confirm: Bool, allowEmpty: Bool = false) throws -> String {
            let password: String
            if let file {
                password = try SecretFile.read(file, what: "password file", allowEmpty: allowEmpty)
            } else if isatty(STDIN_FILENO) == 1 {
                password = try typed(prompt)
                if password.isEmpty, !allowEmpty { throw Failure(description: "empty password") }
                if confirm, try typed("Again: ") != password { throw Failure(description: "the passwords do not match") }
            } else {
                password = readLine(strippingNewline: true).map(firstLine) ?? ""
                if password.isEmpty, !allowEmpty { throw Failure(description: "no password on standard input") }
            }
            return password
        }

        static func firstLine(_ text: String) -> String {
            var line = Substring(text)
            if let end = line.firstIndex(where: { $0 == "\n" || $0 == "\r\n" }) { line = line[..<end] }
            if line.hasSuffix("\r") { line = line.dropLast() }
            return String(line)
        }

        /// A line typed at the terminal with echo off; echo is restored whatever happens.
        static func typed(_ prompt: String) throws -> String {
            FileHandle.standardError.write(Data(prompt.utf8))
            var saved = termios()
            let haveTerminal = tcgetattr(STDIN_FILENO, &saved) == 0
            if haveTerminal {
                var quiet = saved
                quiet.c_lflag &= ~tcflag_t(ECHO)
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
            }
            defer {
                if haveTerminal { tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
                FileHandle.standardError.write(Data("\n".utf8))
            }
            guard let line = readLine(strippingNewline: true) else { throw Failure(description: "no password typed") }
            return firstLine(line)
        }
    }
}
