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

    /// Forms with one bad field each, and the field the refusal must name.
    static let badForms: [(fields: [(String, String)], field: String)] = [
        (fields: [("address", "dave@shoal.test"), ("enabled", "yes")], field: "login"),
        (fields: [("login", "da ve"), ("enabled", "yes")], field: "login"),
        (fields: [("login", "dave")], field: "enabled"),
        (fields: [("login", "dave"), ("enabled", "on")], field: "enabled"),
        (fields: [("login", "dave"), ("enabled", "yes"), ("address", "not-an-address")], field: "address"),
        (fields: [("login", "dave"), ("enabled", "yes"), ("address", "a@x.test, A@X.test")], field: "address"),
        (fields: [("login", "dave"), ("enabled", "yes"), ("address", "a\r\nBcc: evil@x.test")], field: "address"),
        (fields: [("login", "dave"), ("enabled", "yes"), ("address", String(repeating: "a@x.test,", count: 120))], field: "address"),
        (fields: [("login", "dave"), ("enabled", "yes"), ("quota_mb", "-1")], field: "quota_mb"),
        (fields: [("login", "dave"), ("enabled", "yes"), ("quota_mb", "1e3")], field: "quota_mb"),
        (fields: [("login", "dave"), ("enabled", "yes"), ("quota_mb", "1234567890")], field: "quota_mb"),
        (fields: [("login", "dave"), ("enabled", "yes"), ("quota_messages", "ten")], field: "quota_messages"),
    ]

    @Test func refusesBadFieldsNamingThem() {
        for bad in Self.badForms {
            do {
                let edit = try AdminUserEdit(Self.form(bad.fields))
                Issue.record("accepted \(bad.fields) as \(edit)")
            } catch {
                #expect(error.field == bad.field, "\(error)")
            }
        }
    }
}
