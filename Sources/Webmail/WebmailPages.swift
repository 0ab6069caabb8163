import Directory
import HTMLSanitizer
import MailStore

/// The server-rendered pages: plain HTML forms that work without JavaScript, labelled controls, one column on a
/// phone-width screen. Every value written into a page goes through ``HTMLEscaping``.
enum WebmailPages {
    static func h(_ text: some StringProtocol) -> String { HTMLEscaping.escape(text) }
    static func q(_ text: String) -> String { FormFields.escape(text) }

    /// The frame of every page.
    static func layout(title: String, session: WebSession?, body: String) -> String {
        var nav = ""
        if let session {
            nav = """
            <nav aria-label="Account"><a href="/mail">Mail</a> <a href="/compose">Compose</a>\
            \(session.isAdmin ? " <a href=\"/admin\">Users</a>" : "")
            <form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="\(h(session.csrfToken))">\
            <button type="submit">Sign out</button></form> <span class="who">\(h(session.address))</span></nav>
            """
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(h(title)) – Shoal webmail</title><link rel="stylesheet" href="/static/webmail.css"></head>
        <body><header><h1>Shoal webmail</h1>\(nav)</header><main id="main">
        \(body)
        </main></body></html>
        """
    }

    static func signIn(error: String?) -> String {
        layout(title: "Sign in", session: nil, body: """
        <h2>Sign in</h2>
        \(error.map { "<p class=\"error\" role=\"alert\" id=\"error\">\(h($0))</p>" } ?? "")
        <form method="post" action="/login" class="signin">
        <label for="user">User</label><input id="user" name="user" autocomplete="username" maxlength="256" required>
        <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" maxlength="1024" required>
        <button type="submit" id="signin">Sign in</button>
        </form>
        """)
    }

    static func folderList(_ folders: [WebmailMailbox.FolderInfo], current: String) -> String {
        var out = "<nav aria-label=\"Folders\" class=\"folders\"><ul>"
        for folder in folders {
            let label = folder.unread > 0 ? "\(h(folder.name)) <span class=\"unread\" aria-label=\"unread\">(\(folder.unread))</span>" : h(folder.name)
            out += "<li\(folder.name == current ? " aria-current=\"page\"" : "")><a href=\"/mail?folder=\(q(folder.name))\">\(label)</a></li>"
        }
        return out + "</ul></nav>"
    }

    static func mailbox(session: WebSession, folders: [WebmailMailbox.FolderInfo], query: MessageListQuery,
                        rows: [WebmailMailbox.Row], total: Int, pageSize: Int, notice: String?) -> String {
        let base = "/mail?folder=\(q(query.folder))&q=\(q(query.search))"
        var body = folderList(folders, current: query.folder)
        body += "<section class=\"list\"><h2>\(h(query.folder))</h2>"
        if let notice { body += "<p class=\"notice\" role=\"status\">\(h(notice))</p>" }
        body += """
        <form method="get" action="/mail" role="search"><input type="hidden" name="folder" value="\(h(query.folder))">
        <label for="q">Search</label><input id="q" name="q" value="\(h(query.search))" maxlength="200">
        <button type="submit">Search</button></form>
        <p class="sort">Sort: \(MessageSort.allCases.map { "<a href=\"\(base)&sort=\($0.rawValue)\">\(sortLabel($0))</a>" }.joined(separator: " · "))</p>
        <form method="post" action="/action"><input type="hidden" name="csrf" value="\(h(session.csrfToken))">
        <input type="hidden" name="folder" value="\(h(query.folder))">
        <table class="messages"><thead><tr><th scope="col"><span class="sr">Select</span></th><th scope="col">From</th><th scope="col">Subject</th><th scope="col">Date</th></tr></thead><tbody>
        """
        for row in rows {
            let unread = !row.message.flags.contains(.seen)
            let flagged = row.message.flags.contains(.flagged)
            let subject = row.summary.subject.isEmpty ? "(no subject)" : row.summary.subject
            body += "<tr class=\"\(unread ? "unread" : "read")\"><td><input type=\"checkbox\" name=\"uid\" value=\"\(row.message.uid)\" aria-label=\"Select message \(row.message.uid)\"></td>"
            let cell = row.depth > 0 ? "<td class=\"t\(row.depth)\"><span aria-label=\"reply\">↳</span> " : "<td>"
            body += "<td>\(h(row.summary.from))</td>\(cell)\(flagged ? "<span aria-label=\"flagged\">★</span> " : "")<a class=\"subject\" href=\"/read?folder=\(q(query.folder))&uid=\(row.message.uid)\">\(h(subject))</a></td><td>\(h(row.summary.date))</td></tr>"
        }
        body += "</tbody></table>"
        body += actionControls(folders: folders, current: query.folder)
        body += "</form>"
        let pages = max(1, (total + pageSize - 1) / pageSize)
        body += "<nav aria-label=\"Pages\" class=\"pages\">"
        if query.page > 1 { body += "<a rel=\"prev\" href=\"\(base)&sort=\(query.sort.rawValue)&page=\(query.page - 1)\">Previous</a> " }
        body += "Page \(query.page) of \(pages) (\(total) messages)"
        if query.page < pages { body += " <a rel=\"next\" href=\"\(base)&sort=\(query.sort.rawValue)&page=\(query.page + 1)\">Next</a>" }
        body += "</nav></section>"
        return layout(title: query.folder, session: session, body: body)
    }

    static func actionControls(folders: [WebmailMailbox.FolderInfo], current: String) -> String {
        let targets = folders.filter { $0.name != current }.map { "<option value=\"\(h($0.name))\">\(h($0.name))</option>" }.joined()
        return """
        <div class="actions"><button name="op" value="seen">Mark read</button> <button name="op" value="unseen">Mark unread</button>
        <button name="op" value="flag">Flag</button> <button name="op" value="unflag">Unflag</button>
        <button name="op" value="delete">Delete</button>
        <label for="target">Move to</label><select id="target" name="target">\(targets)</select> <button name="op" value="move">Move</button></div>
        """
    }

    static func sortLabel(_ sort: MessageSort) -> String {
        switch sort {
        case .arrivalDescending: "newest"
        case .arrivalAscending: "oldest"
        case .subject: "subject"
        case .from: "sender"
        case .thread: "thread"
        }
    }

    static func read(session: WebSession, folders: [WebmailMailbox.FolderInfo], folder: String, message: StoredMessage,
                     view: MessageView, remoteImagesAllowed: Bool) -> String {
        let uid = message.uid
        var body = folderList(folders, current: folder)
        body += "<article class=\"message\"><h2 id=\"subject\">\(h(view.subject.isEmpty ? "(no subject)" : view.subject))</h2><dl class=\"headers\">"
        for (label, value) in [("From", view.from), ("To", view.to), ("Cc", view.cc), ("Date", view.date)] where !value.isEmpty {
            body += "<dt>\(label)</dt><dd>\(h(value))</dd>"
        }
        body += "</dl>"
        let compose = "folder=\(q(folder))&uid=\(uid)"
        body += "<p class=\"reply\"><a href=\"/compose?mode=reply&\(compose)\">Reply</a> <a href=\"/compose?mode=replyall&\(compose)\">Reply all</a> <a href=\"/compose?mode=forward&\(compose)\">Forward</a></p>"
        body += "<form method=\"post\" action=\"/action\"><input type=\"hidden\" name=\"csrf\" value=\"\(h(session.csrfToken))\">"
        body += "<input type=\"hidden\" name=\"folder\" value=\"\(h(folder))\"><input type=\"hidden\" name=\"uid\" value=\"\(uid)\">"
        body += actionControls(folders: folders, current: folder) + "</form>"
        if let html = view.html {
            if html.blockedRemoteImages > 0 && !remoteImagesAllowed {
                body += "<p class=\"notice\">\(html.blockedRemoteImages) remote image(s) blocked. <a id=\"load-images\" href=\"/read?\(compose)&images=1\">Load them</a></p>"
            }
            body += "<div class=\"body html\" id=\"body\">\(html.html)</div>"
        } else {
            body += "<pre class=\"body text\" id=\"body\">\(h(view.text ?? ""))</pre>"
        }
        if !view.attachments.isEmpty {
            body += "<h3>Attachments</h3><ul class=\"attachments\">"
            for attachment in view.attachments {
                body += "<li><a href=\"/part?\(compose)&part=\(attachment.part)\">\(h(attachment.filename))</a> (\(h(attachment.contentType)), \(attachment.size) bytes)</li>"
            }
            body += "</ul>"
        }
        body += "</article>"
        return layout(title: view.subject, session: session, body: body)
    }

    /// What the compose form starts with.
    struct Draft {
        var to = ""
        var cc = ""
        var subject = ""
        var text = ""
        var inReplyTo = ""
        var references = ""
        var forward = ""
    }

    static func compose(session: WebSession, draft: Draft, error: String?) -> String {
        layout(title: "Compose", session: session, body: """
        <h2>Compose</h2>
        \(error.map { "<p class=\"error\" role=\"alert\" id=\"error\">\(h($0))</p>" } ?? "")
        <form method="post" action="/send" class="compose" enctype="multipart/form-data"><input type="hidden" name="csrf" value="\(h(session.csrfToken))">
        <input type="hidden" name="in_reply_to" value="\(h(draft.inReplyTo))"><input type="hidden" name="references" value="\(h(draft.references))">
        <input type="hidden" name="forward" value="\(h(draft.forward))">
        <label for="to">To</label><input id="to" name="to" value="\(h(draft.to))" maxlength="1000" required>
        <label for="cc">Cc</label><input id="cc" name="cc" value="\(h(draft.cc))" maxlength="1000">
        <label for="subject">Subject</label><input id="subject" name="subject" value="\(h(draft.subject))" maxlength="500">
        <label for="text">Message</label><textarea id="text" name="text" rows="16" maxlength="500000">\(h(draft.text))</textarea>
        <label for="attachment">Attachments (up to 10 files, 10 MiB each, 15 MiB in all)</label><input id="attachment" name="attachment" type="file" multiple>
        \(draft.forward.isEmpty ? "" : "<p>The original message is attached.</p>")
        <button type="submit" id="send">Send</button>
        </form>
        """)
    }

    static func message(session: WebSession?, title: String, text: String) -> String {
        layout(title: title, session: session, body: "<h2>\(h(title))</h2><p role=\"alert\">\(h(text))</p><p><a href=\"/mail\">Back to mail</a></p>")
    }

    static let stylesheet = """
    *{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:0;color:#111;background:#fff}
    header{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;padding:.5rem 1rem;background:#234;color:#fff}
    header h1{font-size:1.2rem;margin:0}header a{color:#fff}header button{color:#fff;background:#456;border:1px solid #9ab;border-radius:3px}header nav a{margin-right:.6rem}
    .inline{display:inline}button{font:inherit;padding:.3rem .6rem;margin:.1rem}
    main{display:flex;flex-wrap:wrap;gap:1rem;padding:1rem}.folders{min-width:10rem}.folders ul{list-style:none;padding:0;margin:0}
    .folders li{padding:.2rem 0}.folders [aria-current] a{font-weight:bold}.list,.message{flex:1;min-width:18rem}
    table.messages{width:100%;border-collapse:collapse}table.messages td,table.messages th{padding:.3rem;border-bottom:1px solid #ddd;text-align:left}
    tr.unread .subject{font-weight:bold}\(stride(from: 1, through: MessageThreads.maximumDepth, by: 1).map { "td.t\($0){padding-left:\($0)em}" }.joined()).error{color:#a00}.notice{background:#ffd;padding:.4rem}
    form.signin,form.compose{display:flex;flex-direction:column;max-width:40rem;width:100%}form.signin input,form.compose input,form.compose textarea{font:inherit;padding:.4rem;margin-bottom:.6rem}
    .body{border-top:1px solid #ccc;padding-top:.6rem;overflow-wrap:anywhere;max-width:100%;overflow-x:auto}pre.body{white-space:pre-wrap}
    .sr{position:absolute;left:-10000px}dl.headers dt{font-weight:bold;float:left;clear:left;margin-right:.5rem}dl.headers dd{margin:0 0 .2rem 4rem}
    @media (max-width:600px){main{flex-direction:column;padding:.5rem}table.messages th:nth-child(4),table.messages td:nth-child(4){display:none}}
    """
}
