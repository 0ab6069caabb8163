import ArgumentParser
import Directory
import Foundation

// `shoal users enable|disable|quota|alias`: changes to existing users, each one directory update.
extension Shoal.Users {
    /// Applies `change` to `login`'s entry; exit status 1 when there is no such user.
    static func update(_ options: DirectoryOptions, _ login: String,
                       _ change: @escaping @Sendable (inout DirectoryUser) -> Void) async throws {
        try await running {
            guard try await options.open().update(login: login, change) != nil else { throw noSuchUser(login) }
        }
    }

    /// `shoal users enable LOGIN`: the account may log in and receive mail again.
    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a user: they may log in and receive mail.")
        @OptionGroup var options: DirectoryOptions
        @Argument(help: "The login.") var login: String

        func run() async throws { try await Shoal.Users.update(options, login) { $0.enabled = true } }
    }

    /// `shoal users disable LOGIN`: the account can no longer log in (IMAP, POP3, SMTP, webmail) or receive mail.
    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user: no login (IMAP, POP3, SMTP, webmail), no mail.")
        @OptionGroup var options: DirectoryOptions
        @Argument(help: "The login.") var login: String

        func run() async throws { try await Shoal.Users.update(options, login) { $0.enabled = false } }
    }

    /// `shoal users quota LOGIN [--bytes N|none] [--messages N|none]`.
    struct Quota: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's quotas in bytes and/or messages (none removes one).")
        @OptionGroup var options: DirectoryOptions
        @Argument(help: "The login.") var login: String

        @Option(name: .long, help: ArgumentHelp("Quota in bytes, or none.", valueName: "n|none"), transform: Quota.parse)
        var bytes: Limit?

        @Option(name: .long, help: ArgumentHelp("Quota in messages, or none.", valueName: "n|none"), transform: Quota.parse)
        var messages: Limit?

        /// A quota value from the command line: a count or `none`.
        enum Limit: Sendable { case none, value(UInt64) }

        static func parse(_ raw: String) throws -> Limit {
            if raw.lowercased() == "none" { return .none }
            guard let value = UInt64(raw), value <= UInt64(Int64.max) else { throw ValidationError("'\(raw)' is neither a count nor none") }
            return .value(value)
        }

        func validate() throws {
            guard bytes != nil || messages != nil else { throw ValidationError("give --bytes and/or --messages") }
        }

        func run() async throws {
            let bytes = bytes, messages = messages
            try await Shoal.Users.update(options, login) { user in
                if let bytes { user.quotaBytes = if case let .value(n) = bytes { n } else { nil } }
                if let messages { user.quotaMessages = if case let .value(n) = messages { n } else { nil } }
            }
        }
    }

    /// `shoal users alias LOGIN [--add A ...] [--remove A ...]`: aliases after the primary address.
    struct Alias: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add or remove a user's alias addresses (the primary address stays first).",
            discussion: "An address of another user is refused; removing the primary address makes the first alias primary.")
        @OptionGroup var options: DirectoryOptions
        @Argument(help: "The login.") var login: String

        @Option(name: .customLong("add"), help: ArgumentHelp("An address to add. Repeatable.", valueName: "address"))
        var added: [String] = []

        @Option(name: .customLong("remove"), help: ArgumentHelp("An address to remove. Repeatable.", valueName: "address"))
        var removed: [String] = []

        func validate() throws {
            guard !added.isEmpty || !removed.isEmpty else { throw ValidationError("give --add and/or --remove") }
        }

        func run() async throws {
            let added = added, removed = Set(removed.map { $0.lowercased() })
            try await Shoal.Users.update(options, login) { user in
                user.addresses.removeAll { removed.contains($0.lowercased()) }
                for address in added where !user.addresses.contains(where: { $0.lowercased() == address.lowercased() }) {
                    user.addresses.append(address)
                }
            }
        }
    }
}
