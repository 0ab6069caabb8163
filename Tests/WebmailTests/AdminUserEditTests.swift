import Directory
import Testing
@testable import Webmail

/// The administrator's user edit form: every field checked and limited before the directory sees it.
@Suite struct AdminUserEditTests {
    static func form(_ fields: [(String, String)]) -> FormFields { FormFields(fields) }

    @Test func parsesAndAppliesAnEdit() throws {
        let edit = try AdminUserEdit(Self.form([("login", "dave"), ("address", " dave@shoal.test, d@shoal.test ,"),
                                                ("quota_mb", "10"), ("quota_messages", ""), ("enabled", "no")]))
        #expect(edit == AdminUserEdit(login: "dave", addresses: ["dave@shoal.test", "d@shoal.test"], quotaBytes: 10 * 1024 * 1024,
                                      quotaMessages: nil, enabled: false))
        var user = DirectoryUser(login: "dave", addresses: ["dave@shoal.test"], mailbox: "/srv/dave", quotaMessages: 5)
        let before = user
        edit.apply(to: &user)
        #expect(user == DirectoryUser(login: "dave", addresses: ["dave@shoal.test", "d@shoal.test"], mailbox: "/srv/dave",
                                      quotaBytes: 10 * 1024 * 1024, quotaMessages: nil, enabled: false))
        #expect(AdminUserEdit.changes(from: before, to: user) == ["aliases", "quota", "disable"])
        #expect(AdminUserEdit.changes(from: user, to: before) == ["aliases", "quota", "enable"])
        #expect(AdminUserEdit.changes(from: user, to: user).isEmpty)
    }

    @Test(arguments: [
        ([("address", "dave@shoal.test"), ("enabled", "yes")], "login"),
        ([("login", "da ve"), ("enabled", "yes")], "login"),
        ([("login", "dave")], "enabled"),
        ([("login", "dave"), ("enabled", "on")], "enabled"),
        ([("login", "dave"), ("enabled", "yes"), ("address", "not-an-address")], "address"),
        ([("login", "dave"), ("enabled", "yes"), ("address", "a@x.test, A@X.test")], "address"),
        ([("login", "dave"), ("enabled", "yes"), ("address", "a\r\nBcc: evil@x.test")], "address"),
        ([("login", "dave"), ("enabled", "yes"), ("address", String(repeating: "a@x.test,", count: 120))], "address"),
        ([("login", "dave"), ("enabled", "yes"), ("quota_mb", "-1")], "quota_mb"),
        ([("login", "dave"), ("enabled", "yes"), ("quota_mb", "1e3")], "quota_mb"),
        ([("login", "dave"), ("enabled", "yes"), ("quota_mb", "1234567890")], "quota_mb"),
        ([("login", "dave"), ("enabled", "yes"), ("quota_messages", "ten")], "quota_messages"),
    ])
    func refusesBadFieldsNamingThem(fields: [(String, String)], field: String) {
        #expect(throws: AdminUserEdit.Invalid.self) { try AdminUserEdit(Self.form(fields)) }
        do {
            _ = try AdminUserEdit(Self.form(fields))
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }
}
