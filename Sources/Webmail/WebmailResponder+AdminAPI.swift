import Directory
import Foundation
import MailAccess
import MailStore
import NIOHTTP1
import ShoalHTTP

extension WebmailResponder {
    /// The user administration as JSON for scripts, beside `GET /api/admin/users[?q=]` and
    /// `POST /api/admin/users/update`: a signed-in administrator's session cookie, and on every POST the session's
    /// CSRF token (`csrf`, from `GET /api/admin/session`) with form-encoded fields, as the pages send them.
    ///
    /// - `GET /api/admin/users/sizes[?q=]`: `[{login, bytes, messages, quotaBytes, quotaMessages}]`
    /// - `POST /api/admin/users/add` (`login`, `password`, `address`, `quota_mb`): 201 and the user
    /// - `POST /api/admin/users/delete` (`login`), `.../password` (`login`, `password`)
    /// - `POST /api/admin/users/enable`, `.../disable` (`login`)
    /// - `POST /api/admin/users/quota` (`login`, `quota_mb`, `quota_messages`: digits, or empty for none)
    /// - `POST /api/admin/users/aliases` (`login`, `add`, `remove`: comma-separated addresses)
    ///
    /// Changes go to the directory and the audit log as the pages' do. Errors are `{"error": ...}` with 400 (the
    /// reason names the field), 404 (no such user), 409 (the user or an address exists) or 503 (the directory).
    func adminAPI(_ session: WebSession, _ directory: any ManagedUserDirectory, method: HTTPMethod, path: String,
                  query: FormFields, form: FormFields) async -> HTTPServerResponse {
        do throws(DirectoryError) {
            let login = form["login"] ?? ""
            switch (method, path) {
            case (.GET, "/api/admin/users/sizes"):
                let users = Self.matching(try await directory.allUsers(), String((query["q"] ?? "").prefix(200)))
                var sizes: [MailboxSize] = []
                for user in users {
                    let used = try? await store.mailbox(for: MailboxLocator.owner(of: user)).usage()
                    sizes.append(MailboxSize(login: user.login, bytes: used?.bytes ?? 0, messages: used?.messages ?? 0,
                                             quotaBytes: user.quotaBytes, quotaMessages: user.quotaMessages))
                }
                return json(.ok, sizes)
            case (.POST, "/api/admin/users/add"):
                return outcome(try await addUser(session, directory, form), success: .created)
            case (.POST, "/api/admin/users/delete"):
                guard login != session.login else { return jsonError(.badRequest, "login: you cannot delete yourself") }
                guard try await directory.delete(login: login) else { return jsonError(.notFound, "no such user") }
                sessions.withLockedValue { $0.end(login: login) }
                await audit(session, "delete", login)
                return WebmailResponse.json(.ok, Self.jsonObject(["deleted": login]), secure: settings.secure)
            case (.POST, "/api/admin/users/password"):
                let password = form["password"] ?? ""
                guard password.count >= 8 else { return jsonError(.badRequest, "password: at least 8 characters") }
                guard try await directory.setPassword(login: login, password: password) else { return jsonError(.notFound, "no such user") }
                sessions.withLockedValue { $0.end(login: login) }
                await audit(session, "password", login)
                return WebmailResponse.json(.ok, Self.jsonObject(["password": login]), secure: settings.secure)
            case (.POST, "/api/admin/users/enable"), (.POST, "/api/admin/users/disable"):
                let enabled = path.hasSuffix("/enable")
                guard enabled || login != session.login else { return jsonError(.badRequest, "login: you cannot disable yourself") }
                return outcome(try await changeUser(session, directory, login: login) { $0.enabled = enabled })
            case (.POST, "/api/admin/users/quota"):
                let bytes: UInt64?, messages: UInt64?
                do {
                    bytes = try AdminUserEdit.quota(form["quota_mb"], field: "quota_mb").map { $0 * 1024 * 1024 }
                    messages = try AdminUserEdit.quota(form["quota_messages"], field: "quota_messages")
                } catch {
                    return jsonError(.badRequest, error.description)
                }
                return outcome(try await changeUser(session, directory, login: login) {
                    $0.quotaBytes = bytes
                    $0.quotaMessages = messages
                })
            case (.POST, "/api/admin/users/aliases"):
                let add: [String], remove: [String]
                do {
                    add = try Self.addressList(form["add"], field: "add")
                    remove = try Self.addressList(form["remove"], field: "remove")
                } catch {
                    return jsonError(.badRequest, error.description)
                }
                return outcome(try await changeUser(session, directory, login: login) { user in
                    let removed = Set(remove.map { $0.lowercased() })
                    user.addresses.removeAll { removed.contains($0.lowercased()) }
                    for address in add where !user.addresses.contains(where: { $0.lowercased() == address.lowercased() }) {
                        user.addresses.append(address)
                    }
                })
            default:
                return jsonError(.notFound, "no such API")
            }
        } catch {
            logger.warning("user administration failed", metadata: ["admin": "\(session.login)", "path": "\(path)", "error": "\(error)"])
            switch error.kind {
            case .conflict: return jsonError(.conflict, error.description)
            case .invalidRequest: return jsonError(.badRequest, error.description)
            default: return jsonError(.serviceUnavailable, error.description)
            }
        }
    }

    /// A user's mailbox size and quotas, as `/api/admin/users/sizes` lists them.
    struct MailboxSize: Codable, Hashable, Sendable {
        var login: String
        var bytes: UInt64
        var messages: UInt64
        var quotaBytes: UInt64?
        var quotaMessages: UInt64?
    }

    /// Comma-separated mail addresses of a field (at most `AdminUserEdit.maximumAddressesBytes`).
    static func addressList(_ text: String?, field: String) throws(AdminUserEdit.Invalid) -> [String] {
        let text = text ?? ""
        guard text.utf8.count <= AdminUserEdit.maximumAddressesBytes else {
            throw AdminUserEdit.Invalid(field: field, reason: "longer than \(AdminUserEdit.maximumAddressesBytes) bytes")
        }
        var addresses: [String] = []
        for address in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !address.isEmpty {
            guard MessageComposer.isAddress(address) else { throw AdminUserEdit.Invalid(field: field, reason: "not a mail address: \(address)") }
            addresses.append(address)
        }
        return addresses
    }

    func outcome(_ outcome: UserEditOutcome, success: HTTPResponseStatus = .ok) -> HTTPServerResponse {
        switch outcome {
        case let .refused(reason): return jsonError(.badRequest, reason)
        case .noSuchUser: return jsonError(.notFound, "no such user")
        case let .updated(user): return json(success, user)
        }
    }

    func json(_ status: HTTPResponseStatus, _ value: some Encodable) -> HTTPServerResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        return WebmailResponse.json(status, data, secure: settings.secure)
    }

    func jsonError(_ status: HTTPResponseStatus, _ reason: String) -> HTTPServerResponse {
        WebmailResponse.json(status, Self.jsonObject(["error": reason]), secure: settings.secure)
    }
}
