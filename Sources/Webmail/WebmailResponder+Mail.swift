import Foundation
import HTMLSanitizer
import MIME
import MailAccess
import MailStore
import NIOCore
import SMTPServer
import ShoalHTTP

extension WebmailResponder {
    /// The notices a redirect may ask the list page to show (fixed texts: nothing from the query is echoed).
    static let notices = ["sent": "Message sent.", "moved": "Moved.", "deleted": "Deleted.", "changed": "Updated."]

    func mailList(_ session: WebSession, _ fields: FormFields) async throws(MailStoreError) -> HTTPServerResponse {
        let box = try mailbox(session.user)
        let query = MessageListQuery(fields)
        let folders = try await box.folders()
        guard folders.contains(where: { $0.name == query.folder }) else {
            return WebmailResponse.html(.notFound, WebmailPages.message(session: session, title: "Not found", text: "No such folder."), secure: settings.secure)
        }
        let (rows, total) = try await box.list(query, pageSize: settings.pageSize)
        let page = WebmailPages.mailbox(session: session, folders: folders, query: query, rows: rows, total: total,
                                        pageSize: settings.pageSize, notice: fields["notice"].flatMap { Self.notices[$0] })
        return WebmailResponse.html(.ok, page, secure: settings.secure)
    }

    /// The folder and UID a request names, or nil.
    static func messageReference(_ fields: FormFields) -> (folder: String, uid: UInt32)? {
        guard let uid = fields["uid"].flatMap({ UInt32($0) }) else { return nil }
        return (fields["folder"] ?? "INBOX", uid)
    }

    func read(_ session: WebSession, _ fields: FormFields) async throws(MailStoreError) -> HTTPServerResponse {
        let box = try mailbox(session.user)
        guard let (folder, uid) = Self.messageReference(fields), let (message, bytes) = try await box.message(folder: folder, uid: uid) else {
            return WebmailResponse.html(.notFound, WebmailPages.message(session: session, title: "Not found", text: "No such message."), secure: settings.secure)
        }
        if !message.flags.contains(.seen) { try await box.markSeen(message, folder: folder) }
        let remote = fields["images"] == "1"
        let parsed = MIMEMessage.parse(bytes)
        let partBase = "/part?folder=\(FormFields.escape(folder))&uid=\(uid)&inline=1&part="
        let view = MessageView(message: parsed) { ids in
            HTMLSanitizer(allowsRemoteImages: remote, contentIDURL: { id in ids[id].map { partBase + String($0) } })
        }
        var shown = message
        shown.flags.insert(.seen)
        let folders = try await box.folders()
        let page = WebmailPages.read(session: session, folders: folders, folder: folder, message: shown, view: view, remoteImagesAllowed: remote)
        return WebmailResponse.html(.ok, page, secure: settings.secure, remoteImages: remote)
    }

    /// Image types shown inline (for `cid:` images); everything else downloads as octets.
    static let inlineImageTypes: Set<String> = ["image/png", "image/gif", "image/jpeg", "image/webp"]

    func part(_ session: WebSession, _ fields: FormFields) async throws(MailStoreError) -> HTTPServerResponse {
        let box = try mailbox(session.user)
        guard let (folder, uid) = Self.messageReference(fields), let index = fields["part"].flatMap({ Int($0) }),
              let (_, bytes) = try await box.message(folder: folder, uid: uid) else {
            return WebmailResponse.html(.notFound, WebmailPages.message(session: session, title: "Not found", text: "No such part."), secure: settings.secure)
        }
        let message = MIMEMessage.parse(bytes)
        guard index > 0, message.parts.indices.contains(index), message.parts[index].kind != .multipart else {
            return WebmailResponse.html(.notFound, WebmailPages.message(session: session, title: "Not found", text: "No such part."), secure: settings.secure)
        }
        let info = MessageView.attachment(message, index, defaultName: "part-\(index)")
        let body = message.parts[index].kind == .leaf ? message.decodedBody(ofPart: index) ?? [] : Array(message.bytes[message.parts[index].bodyRange])
        let inline = fields["inline"] == "1" && Self.inlineImageTypes.contains(info.contentType) ? info.contentType : nil
        return WebmailResponse.download(body, filename: info.filename, inlineImageType: inline, secure: settings.secure)
    }

    func action(_ session: WebSession, _ form: FormFields) async throws(MailStoreError) -> HTTPServerResponse {
        let box = try mailbox(session.user)
        let folder = form["folder"] ?? "INBOX"
        let uids = Set(form.all("uid").compactMap { UInt32($0) })
        let back = "/mail?folder=\(FormFields.escape(folder))"
        guard !uids.isEmpty else { return WebmailResponse.redirect(back, secure: settings.secure) }
        var notice = "changed"
        switch form["op"] ?? "" {
        case "seen": try await box.changeFlags(folder: folder, uids: uids, add: [.seen])
        case "unseen": try await box.changeFlags(folder: folder, uids: uids, remove: [.seen])
        case "flag": try await box.changeFlags(folder: folder, uids: uids, add: [.flagged])
        case "unflag": try await box.changeFlags(folder: folder, uids: uids, remove: [.flagged])
        case "delete":
            try await box.delete(folder: folder, uids: uids)
            notice = "deleted"
        case "move":
            guard let target = form["target"], try await box.folders().contains(where: { $0.name == target }) else {
                return WebmailResponse.html(.badRequest, WebmailPages.message(session: session, title: "Refused", text: "No such folder."), secure: settings.secure)
            }
            try await box.move(folder: folder, uids: uids, to: target)
            notice = "moved"
        default:
            return WebmailResponse.html(.badRequest, WebmailPages.message(session: session, title: "Refused", text: "Unknown action."), secure: settings.secure)
        }
        logger.info("webmail action", metadata: ["login": "\(session.login)", "op": "\(form["op"] ?? "")", "folder": "\(folder)", "count": "\(uids.count)"])
        return WebmailResponse.redirect(back + "&notice=\(notice)", secure: settings.secure)
    }

    func compose(_ session: WebSession, _ fields: FormFields) async throws(MailStoreError) -> HTTPServerResponse {
        var draft = WebmailPages.Draft()
        if let mode = fields["mode"], let (folder, uid) = Self.messageReference(fields),
           let (_, bytes) = try await mailbox(session.user).message(folder: folder, uid: uid) {
            let message = MIMEMessage.parse(bytes)
            let view = MessageView(message: message) { _ in HTMLSanitizer() }
            let original = MessageReplyText(view: view, message: message)
            switch mode {
            case "reply", "replyall":
                draft.to = original.replyTo
                if mode == "replyall" {
                    draft.cc = original.others(excluding: session.user.addresses + [session.address]).joined(separator: ", ")
                }
                draft.subject = MessageReplyText.prefixed("Re: ", view.subject)
                draft.text = original.quoted
                draft.inReplyTo = view.messageID ?? ""
                draft.references = (view.references + [view.messageID].compactMap { $0 }).joined(separator: " ")
            case "forward":
                draft.subject = MessageReplyText.prefixed("Fwd: ", view.subject)
                draft.forward = "\(folder):\(uid)"
            default: break
            }
        }
        return WebmailResponse.html(.ok, WebmailPages.compose(session: session, draft: draft, error: nil), secure: settings.secure)
    }

    func send(_ session: WebSession, _ form: FormFields, files: [MultipartFormData.File] = [], peer: String) async -> HTTPServerResponse {
        var draft = WebmailPages.Draft(to: form["to"] ?? "", cc: form["cc"] ?? "", subject: form["subject"] ?? "", text: form["text"] ?? "",
                                       inReplyTo: form["in_reply_to"] ?? "", references: form["references"] ?? "", forward: form["forward"] ?? "")
        func refuse(_ text: String) -> HTTPServerResponse {
            WebmailResponse.html(.badRequest, WebmailPages.compose(session: session, draft: draft, error: text), secure: settings.secure)
        }
        let to: [String], cc: [String]
        do throws(MessageComposer.CompositionError) {
            to = try MessageComposer.addresses(draft.to)
            cc = try MessageComposer.addresses(draft.cc)
        } catch {
            return refuse(error.description)
        }
        guard !(to + cc).isEmpty, (to + cc).count <= 100 else { return refuse("Give between 1 and 100 recipients.") }
        var attachments: [MessageComposer.Attachment] = []
        do throws(MailStoreError) {
            if !draft.forward.isEmpty {
                let parts = draft.forward.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let uid = UInt32(parts[1]),
                      let (_, bytes) = try await mailbox(session.user).message(folder: String(parts[0]), uid: uid) else {
                    return refuse("The message to forward is gone.")
                }
                attachments.append(.init(filename: "forwarded.eml", contentType: "message/rfc822", bytes: bytes))
            }
        } catch {
            return refuse("The message to forward could not be read.")
        }
        attachments += files.map { MessageComposer.Attachment(filename: $0.filename, contentType: $0.contentType, bytes: $0.bytes) }
        let composer = MessageComposer(from: session.address, to: to, cc: cc, subject: draft.subject, text: draft.text,
                                       inReplyTo: draft.inReplyTo.isEmpty ? nil : draft.inReplyTo,
                                       references: draft.references.split(separator: " ").map(String.init), attachments: attachments)
        let id = CookieSigner.randomToken().prefix(16)
        let bytes: [UInt8]
        do throws(MessageComposer.CompositionError) {
            bytes = try composer.render(date: Date(), messageID: "<\(id)@\(settings.hostname)>", boundary: "=_shoal_\(CookieSigner.randomToken().prefix(24))")
        } catch {
            return refuse(error.description)
        }
        guard bytes.count <= settings.maximumMessageBytes else { return refuse("The message is larger than \(settings.maximumMessageBytes) bytes.") }
        var recipients: [SMTPRecipient] = []
        for address in composer.recipients {
            let at = address.lastIndex(of: "@")!
            let mailbox = SMTPMailbox(localPart: String(address[..<at]), domain: String(address[address.index(after: at)...]))
            switch await agent.checkRecipient(address: address, mailFrom: session.address) {
            case let .local(user, overQuota: false): recipients.append(SMTPRecipient(mailbox: mailbox, destination: .local(user)))
            case .local(_, overQuota: true): return refuse("The mailbox of \(address) is full.")
            case .remote: recipients.append(SMTPRecipient(mailbox: mailbox, destination: .relay))
            case .unknown: return refuse("No such user: \(address).")
            case .disabled: return refuse("\(address) does not receive mail.")
            case .temporaryFailure: return refuse("The directory cannot be reached; try again.")
            }
        }
        let envelope = SMTPEnvelope.submission(id: String(id), from: session.address, recipients: recipients, message: bytes, via: "webmail",
                                               peer: peer, hostname: settings.hostname, user: session.login, secure: settings.secure)
        let outcomes = await agent.deliver(envelope)
        let failed = zip(composer.recipients, outcomes).filter { $0.1 != .delivered }
        if !failed.isEmpty {
            return refuse("Not sent to: " + failed.map(\.0).joined(separator: ", "))
        }
        do {
            try await mailbox(session.user).storeSent(bytes)
        } catch {
            logger.error("sent message not stored", metadata: ["login": "\(session.login)", "error": "\(error)"])
        }
        logger.info("webmail sent", metadata: ["login": "\(session.login)", "id": "\(id)", "recipients": "\(recipients.count)"])
        draft = WebmailPages.Draft()
        return WebmailResponse.redirect("/mail?folder=\(WebmailMailbox.sent)&notice=sent", secure: settings.secure)
    }
}

/// What a reply starts with: whom to answer, the others of a reply-all, the quoted text.
struct MessageReplyText {
    let replyTo: String
    let allAddresses: [String]
    let quoted: String

    init(view: MessageView, message: MIMEMessage) {
        let envelope = message.envelope
        let address = { (a: EnvelopeAddress) -> String? in
            guard let mailbox = a.mailbox?.string, let host = a.host?.string else { return nil }
            return "\(mailbox)@\(host)"
        }
        let replyAddresses = (envelope.replyTo.isEmpty ? envelope.from : envelope.replyTo).compactMap(address)
        replyTo = replyAddresses.joined(separator: ", ")
        allAddresses = replyAddresses + (envelope.to + envelope.cc).compactMap(address)
        let text = view.text ?? ""
        quoted = "\n\nOn \(view.date), \(view.from) wrote:\n" + text.split(separator: "\n", omittingEmptySubsequences: false).map { "> " + $0 }.joined(separator: "\n")
    }

    /// The reply-all Cc: every address but the sender's own and those already in To.
    func others(excluding own: [String]) -> [String] {
        let skip = Set(own.map { $0.lowercased() } + replyTo.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        var seen = Set<String>()
        return allAddresses.filter { !skip.contains($0.lowercased()) && seen.insert($0.lowercased()).inserted }
    }

    static func prefixed(_ prefix: String, _ subject: String) -> String {
        subject.lowercased().hasPrefix(prefix.lowercased()) ? subject : prefix + subject
    }
}
