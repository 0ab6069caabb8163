import Directory
import Foundation
import MailAccess
import MailStore
import NIOCore
import NIOHTTP1
import ShoalHTTP

extension WebmailResponder {
    /// The user administration (administrators only; the caller checked): list and search users with their
    /// mailbox sizes, add users, set passwords, delete users; `/api/admin/users` lists them as JSON. Every change
    /// goes to the directory and to the audit log.
    func administer(_ session: WebSession, method: HTTPMethod, path: String, query: FormFields, form: FormFields) async -> HTTPServerResponse {
        guard let directory = authenticator.directory as? any ManagedUserDirectory else {
            return WebmailResponse.html(.notImplemented, WebmailPages.message(session: session, title: "Users", text: "This directory cannot be changed from here."),
                                        secure: settings.secure)
        }
        do throws(DirectoryError) {
            switch (method, path) {
            case (.GET, "/admin"), (.HEAD, "/admin"):
                let search = String((query["q"] ?? "").prefix(200))
                let users = Self.matching(try await directory.allUsers(), search)
                var usage: [String: QuotaUsage] = [:]
                for user in users.prefix(200) {
                    if let box = try? store.mailbox(for: MailboxLocator.owner(of: user)), let used = try? await box.usage() { usage[user.login] = used }
                }
                return WebmailResponse.html(.ok, AdminPages.users(session: session, users: Array(users.prefix(200)), usage: usage, search: search,
                                                                   notice: query["notice"].flatMap { AdminPages.notices[$0] }, error: nil),
                                            secure: settings.secure)
            case (.GET, "/api/admin/users"):
                let users = Self.matching(try await directory.allUsers(), String((query["q"] ?? "").prefix(200)))
                let data = (try? JSONEncoder().encode(users)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
                return WebmailResponse.json(.ok, data, secure: settings.secure)
            case (.POST, "/admin/add"):
                if case let .refused(reason) = try await addUser(session, directory, form) { return adminError(session, reason) }
                return WebmailResponse.redirect("/admin?notice=added", secure: settings.secure)
            case (.POST, "/admin/password"):
                let login = form["login"] ?? "", password = form["password"] ?? ""
                guard password.count >= 8 else { return adminError(session, "A password needs at least 8 characters.") }
                guard try await directory.setPassword(login: login, password: password) else { return adminError(session, "No such user.") }
                sessions.withLockedValue { $0.end(login: login) }
                await audit(session, "password", login)
                return WebmailResponse.redirect("/admin?notice=password", secure: settings.secure)
            case (.GET, "/admin/user"):
                guard let user = try await directory.user(login: String((query["login"] ?? "").prefix(64))) else {
                    return adminError(session, "No such user.")
                }
                let used = try? await store.mailbox(for: MailboxLocator.owner(of: user)).usage()
                return WebmailResponse.html(.ok, AdminPages.edit(session: session, user: user, usage: used, notice: query["notice"].flatMap { AdminPages.notices[$0] }, error: nil), secure: settings.secure)
            case (.POST, "/admin/update"):
                return try await updateUser(session, directory, form)
            case (.GET, "/api/admin/session"):
                return WebmailResponse.json(.ok, Self.jsonObject(["login": session.login, "csrf": session.csrfToken]), secure: settings.secure)
            case (.POST, "/api/admin/users/update"):
                return try await updateUserJSON(session, directory, form)
            case (_, let api) where api.hasPrefix("/api/admin/"):
                return await adminAPI(session, directory, method: method, path: path, query: query, form: form)
            case (.POST, "/admin/delete"):
                let login = form["login"] ?? ""
                guard login != session.login else { return adminError(session, "You cannot delete yourself.") }
                guard try await directory.delete(login: login) else { return adminError(session, "No such user.") }
                sessions.withLockedValue { $0.end(login: login) }
                await audit(session, "delete", login)
                return WebmailResponse.redirect("/admin?notice=deleted", secure: settings.secure)
            default:
                return WebmailResponse.html(.notFound, WebmailPages.message(session: session, title: "Not found", text: "No such page."), secure: settings.secure)
            }
        } catch {
            logger.warning("user administration failed", metadata: ["admin": "\(session.login)", "path": "\(path)", "error": "\(error)"])
            return adminError(session, error.description)
        }
    }

    /// What an edit came to: refused (the reason names the field), no such user, or the user as stored.
    enum UserEditOutcome {
        case refused(String)
        case noSuchUser
        case updated(DirectoryUser)
    }

    /// Addresses, quotas and whether the account is enabled, from the edit form, written as one directory update;
    /// a disabled user's webmail sessions end at once (IMAP, POP3 and SMTP refuse their next login).
    func editUser(_ session: WebSession, _ directory: any ManagedUserDirectory, _ form: FormFields) async throws(DirectoryError) -> UserEditOutcome {
        let edit: AdminUserEdit
        do {
            edit = try AdminUserEdit(form)
        } catch {
            return .refused(error.description)
        }
        guard edit.enabled || edit.login != session.login else { return .refused("You cannot disable yourself.") }
        return try await changeUser(session, directory, login: edit.login) { edit.apply(to: &$0) }
    }

    /// One directory update of a user (`change` runs on the user as stored), each resulting change audited; a
    /// disabled user's webmail sessions end at once.
    func changeUser(_ session: WebSession, _ directory: any ManagedUserDirectory, login: String,
                    _ change: @escaping @Sendable (inout DirectoryUser) -> Void) async throws(DirectoryError) -> UserEditOutcome {
        let before = try await directory.user(login: login)
        guard let after = try await directory.update(login: login, change), let before else { return .noSuchUser }
        if !after.enabled { sessions.withLockedValue { $0.end(login: after.login) } }
        for change in AdminUserEdit.changes(from: before, to: after) { await audit(session, change, after.login) }
        return .updated(after)
    }

    /// Adds the user of the add form (`login`, `password`, `address` comma-separated, `quota_mb`), audited.
    func addUser(_ session: WebSession, _ directory: any ManagedUserDirectory, _ form: FormFields) async throws(DirectoryError) -> UserEditOutcome {
        let login = form["login"] ?? "", password = form["password"] ?? ""
        guard Self.isLogin(login), password.count >= 8 else {
            return .refused("A login of letters, digits, . _ - @ and a password of at least 8 characters are needed.")
        }
        var addresses: [String] = []
        for address in (form["address"] ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !address.isEmpty {
            guard MessageComposer.isAddress(address) else { return .refused("Not a mail address: \(address)") }
            addresses.append(address)
        }
        let quota: UInt64?
        do {
            quota = try AdminUserEdit.quota(form["quota_mb"], field: "quota_mb").map { $0 * 1024 * 1024 }
        } catch {
            return .refused(error.description)
        }
        let user = DirectoryUser(login: login, addresses: addresses, quotaBytes: quota)
        try await directory.add(user, password: password)
        await audit(session, "add", login)
        return .updated(try await directory.user(login: login) ?? user)
    }

    /// The edit page's form: back to the user's page, or the users page with the reason.
    func updateUser(_ session: WebSession, _ directory: any ManagedUserDirectory, _ form: FormFields) async throws(DirectoryError) -> HTTPServerResponse {
        switch try await editUser(session, directory, form) {
        case let .refused(reason): return adminError(session, reason)
        case .noSuchUser: return adminError(session, "No such user.")
        case let .updated(user):
            return WebmailResponse.redirect("/admin/user?login=\(FormFields.escape(user.login))&notice=updated", secure: settings.secure)
        }
    }

    /// The same edit for scripts (`POST /api/admin/users/update`, the form's fields and the session's CSRF token,
    /// which `GET /api/admin/session` gives): the user as JSON, or `{"error": ...}` with 400 or 404.
    func updateUserJSON(_ session: WebSession, _ directory: any ManagedUserDirectory, _ form: FormFields) async throws(DirectoryError) -> HTTPServerResponse {
        switch try await editUser(session, directory, form) {
        case let .refused(reason): return WebmailResponse.json(.badRequest, Self.jsonObject(["error": reason]), secure: settings.secure)
        case .noSuchUser: return WebmailResponse.json(.notFound, Self.jsonObject(["error": "no such user"]), secure: settings.secure)
        case let .updated(user):
            let data = (try? JSONEncoder().encode(user)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return WebmailResponse.json(.ok, data, secure: settings.secure)
        }
    }

    /// A flat JSON object of strings.
    static func jsonObject(_ fields: [String: String]) -> String {
        (try? JSONEncoder().encode(fields)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    func adminError(_ session: WebSession, _ text: String) -> HTTPServerResponse {
        WebmailResponse.html(.badRequest, AdminPages.users(session: session, users: [], usage: [:], search: "", notice: nil, error: text), secure: settings.secure)
    }

    /// One line per change: time, administrator, action, user; to the log and, when configured, the audit file.
    func audit(_ session: WebSession, _ action: String, _ login: String) async {
        logger.notice("user administration", metadata: ["admin": "\(session.login)", "action": "\(action)", "user": "\(login)"])
        guard let path = settings.auditLogPath else { return }
        let line = "\(ISO8601DateFormatter().string(from: Date())) admin=\(session.login) action=\(action) user=\(login)\n"
        _ = try? await MailStore.fileThreadPool.runIfActive {
            guard let handle = FileHandle(forWritingAtPath: path) ?? {
                FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
                return FileHandle(forWritingAtPath: path)
            }() else { return }
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            try? handle.close()
        }
    }

    static func matching(_ users: [DirectoryUser], _ search: String) -> [DirectoryUser] {
        let words = search.lowercased().split(separator: " ").map(String.init)
        guard !words.isEmpty else { return users }
        return users.filter { user in
            let text = ([user.login] + user.addresses).joined(separator: " ").lowercased()
            return words.allSatisfy { text.contains($0) }
        }
    }

    static func isLogin(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.unicodeScalars.allSatisfy { c in
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || "._-@".unicodeScalars.contains(c)
        }
    }
}
