import Directory
import MailStore

/// The administration pages.
enum AdminPages {
    static let notices = ["added": "User added.", "password": "Password changed.", "deleted": "User deleted.", "updated": "User changed."]

    static func users(session: WebSession, users: [DirectoryUser], usage: [String: QuotaUsage], search: String, notice: String?, error: String?) -> String {
        let h: (String) -> String = { WebmailPages.h($0) }
        let csrf = "<input type=\"hidden\" name=\"csrf\" value=\(quoted(session.csrfToken))>"
        var body = "<section class=\"list\"><h2>Users</h2>"
        if let notice { body += "<p class=\"notice\" role=\"status\">\(h(notice))</p>" }
        if let error { body += "<p class=\"error\" role=\"alert\" id=\"error\">\(h(error))</p>" }
        body += """
        <form method="get" action="/admin" role="search"><label for="q">Search users</label><input id="q" name="q" value="\(h(search))" maxlength="200"><button>Search</button></form>
        <table class="messages"><thead><tr><th scope="col">Login</th><th scope="col">Addresses</th><th scope="col">Quota</th><th scope="col">Mailbox</th><th scope="col">Change</th></tr></thead><tbody>
        """
        for user in users {
            let used = usage[user.login].map { "\($0.bytes) bytes, \($0.messages) messages" } ?? "–"
            body += "<tr><td class=\"login\">\(h(user.login))\(user.enabled ? "" : " (disabled)")</td><td>\(h(user.addresses.joined(separator: ", ")))</td>"
            body += "<td>\(user.quotaBytes.map { "\($0 / 1024 / 1024) MiB" } ?? "none")</td><td>\(h(used))</td><td>"
            body += "<a class=\"edit\" href=\"/admin/user?login=\(WebmailPages.q(user.login))\">Edit</a> "
            body += "<form method=\"post\" action=\"/admin/password\" class=\"inline\">\(csrf)<input type=\"hidden\" name=\"login\" value=\(quoted(user.login))>"
            body += "<label>New password <input type=\"password\" name=\"password\" minlength=\"8\" maxlength=\"1024\" required></label><button>Set</button></form> "
            body += "<form method=\"post\" action=\"/admin/delete\" class=\"inline\">\(csrf)<input type=\"hidden\" name=\"login\" value=\(quoted(user.login))><button>Delete</button></form></td></tr>"
        }
        body += "</tbody></table><h3>Add a user</h3>"
        body += """
        <form method="post" action="/admin/add" class="compose">\(csrf)
        <label for="login">Login</label><input id="login" name="login" maxlength="64" required>
        <label for="address">Addresses (comma-separated)</label><input id="address" name="address" maxlength="1000">
        <label for="newpassword">Password</label><input id="newpassword" name="password" type="password" minlength="8" maxlength="1024" required>
        <label for="quota">Quota (MiB, empty for none)</label><input id="quota" name="quota_mb" inputmode="numeric" maxlength="9">
        <button type="submit" id="add">Add user</button></form></section>
        """
        return WebmailPages.layout(title: "Users", session: session, body: body)
    }

    /// One user's page: addresses, quotas and enabled (one form, `/admin/update`), a new password, mailbox size.
    static func edit(session: WebSession, user: DirectoryUser, usage: QuotaUsage?, notice: String?, error: String?) -> String {
        let h: (String) -> String = { WebmailPages.h($0) }
        let csrf = "<input type=\"hidden\" name=\"csrf\" value=\(quoted(session.csrfToken))>"
        let login = "<input type=\"hidden\" name=\"login\" value=\(quoted(user.login))>"
        var body = "<section class=\"list\"><h2>User \(h(user.login))\(user.enabled ? "" : " (disabled)")</h2>"
        if let notice { body += "<p class=\"notice\" role=\"status\">\(h(notice))</p>" }
        if let error { body += "<p class=\"error\" role=\"alert\" id=\"error\">\(h(error))</p>" }
        body += "<p>Mailbox: \(h(usage.map { "\($0.bytes) bytes, \($0.messages) messages" } ?? "not created yet"))</p>"
        let megabytes = user.quotaBytes.map { String($0 / 1024 / 1024) } ?? ""
        let messages = user.quotaMessages.map(String.init) ?? ""
        body += """
        <form method="post" action="/admin/update" class="compose">\(csrf)\(login)
        <label for="address">Addresses, primary first (comma-separated)</label><input id="address" name="address" value=\(quoted(user.addresses.joined(separator: ", "))) maxlength="\(AdminUserEdit.maximumAddressesBytes)">
        <label for="quota">Quota (MiB, empty for none)</label><input id="quota" name="quota_mb" value=\(quoted(megabytes)) inputmode="numeric" pattern="[0-9]*" maxlength="\(AdminUserEdit.maximumQuotaDigits)">
        <label for="quota_messages">Quota (messages, empty for none)</label><input id="quota_messages" name="quota_messages" value=\(quoted(messages)) inputmode="numeric" pattern="[0-9]*" maxlength="\(AdminUserEdit.maximumQuotaDigits)">
        <label for="enabled">Account</label><select id="enabled" name="enabled"><option value="yes"\(user.enabled ? " selected" : "")>enabled</option><option value="no"\(user.enabled ? "" : " selected")>disabled (no sign-in, no mail)</option></select>
        <button type="submit" id="update">Save</button></form>
        <h3>Password</h3>
        <form method="post" action="/admin/password" class="compose">\(csrf)\(login)
        <label for="newpassword">New password</label><input id="newpassword" type="password" name="password" minlength="8" maxlength="1024" required>
        <button type="submit">Set password</button></form>
        <p><a href="/admin">All users</a></p></section>
        """
        return WebmailPages.layout(title: "User \(user.login)", session: session, body: body)
    }

    static func quoted(_ text: String) -> String { "\"" + WebmailPages.h(text) + "\"" }
}
