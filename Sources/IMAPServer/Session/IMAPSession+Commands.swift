import MailStore

extension IMAPSession {
    /// Commands of the authenticated and selected states.
    mutating func authenticatedCommand(_ command: IMAPCommand) -> [IMAPAction] {
        let tag = command.tag
        switch command.kind {
        case .namespace:
            return [.send("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"), ok(tag, "Namespace completed.")]
        case .enable:
            return [.send("* ENABLED\r\n"), ok(tag, "Enabled.")]
        case let .select(name, _), let .examine(name, _):
            if case .examine = command.kind { return select(tag: tag, name, readOnly: true) }
            return select(tag: tag, name, readOnly: false)
        case let .create(name, _):
            // A trailing separator declares that names will be created under this one (RFC 3501 §6.3.3):
            // the folder is created without it.
            var folder = Self.folder(name)
            if folder.count > 1 && folder.hasSuffix("/") { folder.removeLast() }
            return simple(tag, "CREATE", .create(folder: folder))
        case let .delete(name):
            return simple(tag, "DELETE", .delete(folder: Self.folder(name)))
        case let .rename(from, to):
            return simple(tag, "RENAME", .rename(folder: Self.folder(from), to: Self.folder(to)))
        case let .subscribe(name):
            return simple(tag, "SUBSCRIBE", .subscribe(folder: Self.folder(name), subscribed: true))
        case let .unsubscribe(name):
            return simple(tag, "UNSUBSCRIBE", .subscribe(folder: Self.folder(name), subscribed: false))
        case let .list(list):
            return self.list(tag: tag, list)
        case let .lsub(reference, pattern):
            pending = .list(tag: tag, IMAPListCommand(reference: reference, patterns: [pattern]), lsub: true)
            return [.perform(.folders)]
        case let .status(name, attributes):
            pending = .status(tag: tag, mailbox: name, attributes: attributes)
            return [.perform(.listing(folder: Self.folder(name)))]
        case let .append(append):
            let (flags, keywords) = IMAPFlags.split(append.flags)
            pending = .append(tag: tag, folder: Self.folder(append.mailbox))
            return [.perform(.append(Array(append.message.readableBytesView), folder: Self.folder(append.mailbox), flags: flags,
                                     keywords: keywords, receivedDate: append.internalDate?.secondsSince1970))]
        case .idle:
            idleTag = tag
            return [.send(IMAPContinuation.line("idling"))] + idlePoll()
        default:
            guard case .selected = state, let box = selected else { return bad(tag, "No mailbox selected.") }
            return selectedCommand(command, box)
        }
    }

    private mutating func selectedCommand(_ command: IMAPCommand, _ box: SelectedMailbox) -> [IMAPAction] {
        let tag = command.tag
        switch command.kind {
        case .close:
            state = .authenticated
            selected = nil
            let deleted = box.messages.filter { $0.flags.contains(.trashed) }
            if box.readOnly || deleted.isEmpty { return [ok(tag, "Close completed.")] }
            pending = .expunge(tag: tag, uids: nil, closing: true)
            return [.perform(.expunge(deleted, folder: box.folder))]
        case .unselect:
            state = .authenticated
            selected = nil
            return [ok(tag, "Unselect completed.")]
        case .expunge:
            return expunge(tag: tag, box, uids: nil)
        case let .uidExpunge(set):
            return expunge(tag: tag, box, uids: set)
        case let .fetch(set, attributes, _, uid):
            if let problem = invalidSet(set, uid: uid, box) { return bad(tag, problem) }
            pending = .fetch(IMAPFetchJob(tag: tag, set: set, renderer: IMAPFetchRenderer(attributes: attributes, includeUID: uid), uid: uid))
            return [.perform(box.listingWork)]
        case let .store(set, action, uid):
            if let problem = invalidSet(set, uid: uid, box) { return bad(tag, problem) }
            if box.readOnly { return [no(tag, "[READ-ONLY] The mailbox is read-only.")] }
            if action.flags.contains(where: { !$0.isStorable }) { return bad(tag, "\\Recent cannot be stored.") }
            pending = .store(IMAPStoreJob(tag: tag, set: set, action: action, uid: uid))
            return [.perform(box.listingWork)]
        case let .search(search, uid):
            if let charset = search.charset, !["UTF-8", "US-ASCII"].contains(charset.uppercased()) {
                return [no(tag, "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset.")]
            }
            if search.returnOptions?.contains(.save) == true { return bad(tag, "SEARCHRES (RETURN SAVE) is not supported.") }
            pending = .search(IMAPSearchJob(tag: tag, command: search, uid: uid))
            return [.perform(box.listingWork)]
        case let .copy(set, target, uid), let .move(set, target, uid):
            if let problem = invalidSet(set, uid: uid, box) { return bad(tag, problem) }
            var move = false
            if case .move = command.kind {
                if box.readOnly { return [no(tag, "[READ-ONLY] The mailbox is read-only.")] }
                move = true
            }
            let messages = resolve(set, uid: uid, box).map(\.message)
            if messages.isEmpty { return [ok(tag, "No messages.")] }
            pending = .copy(tag: tag, messages: messages, move: move, uid: uid)
            return [.perform(.copy(messages, from: box.folder, to: Self.folder(target), move: move))]
        case let .sort(criteria, charset, key, uid):
            return sortCommand(tag: tag, .sort(criteria), charset: charset, key: key, uid: uid, box)
        case let .thread(algorithm, charset, key, uid):
            return sortCommand(tag: tag, .thread(algorithm), charset: charset, key: key, uid: uid, box)
        default:
            return bad(tag, "Command not allowed now.")
        }
    }

    /// The folder name the store uses for a mailbox name (decoded from modified UTF-7, INBOX in any case).
    static func folder(_ name: IMAPMailboxName) -> String {
        name.isInbox ? "INBOX" : (name.decoded ?? name.wire)
    }

    private mutating func select(tag: String, _ name: IMAPMailboxName, readOnly: Bool) -> [IMAPAction] {
        // Selecting always leaves the current mailbox first, even when the new one fails (RFC 3501 §6.3.1).
        var actions: [IMAPAction] = []
        if selected != nil { actions.append(.send("* OK [CLOSED] Previous mailbox closed.\r\n")) }
        selected = nil
        state = .authenticated
        pending = .select(tag: tag, folder: Self.folder(name), readOnly: readOnly)
        // SELECT claims the messages still in new/ as its \Recent ones; EXAMINE leaves them (RFC 3501 §6.3.2).
        return actions + [.perform(.listing(folder: Self.folder(name), claimRecent: !readOnly))]
    }

    private mutating func simple(_ tag: String, _ command: String, _ work: IMAPWork) -> [IMAPAction] {
        pending = .simple(tag: tag, command: command)
        return [.perform(work)]
    }

    mutating func syncSelected(tag: String, command: String) -> [IMAPAction] {
        guard let box = selected else { return [ok(tag, "\(command) completed.")] }
        pending = .sync(tag: tag, command: command)
        return [.perform(box.listingWork)]
    }

    private mutating func expunge(tag: String, _ box: SelectedMailbox, uids: IMAPSequenceSet?) -> [IMAPAction] {
        if box.readOnly { return [no(tag, "[READ-ONLY] The mailbox is read-only.")] }
        let largest = box.messages.last?.uid ?? 0
        let deleted = box.messages.filter { message in
            message.flags.contains(.trashed) && (uids.map { $0.contains(uid: message.uid, largestUID: largest) } ?? true)
        }
        pending = .expunge(tag: tag, uids: uids, closing: false)
        return [.perform(.expunge(deleted, folder: box.folder))]
    }

    /// A sequence set naming message numbers past the end is an error (UID sets may name any UID).
    func invalidSet(_ set: IMAPSequenceSet, uid: Bool, _ box: SelectedMailbox) -> String? {
        guard !uid else { return nil }
        for range in set.ranges {
            for bound in [range.first, range.last] {
                if case let .number(n) = bound, n == 0 || Int(n) > box.count { return "Invalid message sequence number: \(n)" }
            }
        }
        return nil
    }

    /// The messages a set names, with their sequence numbers, in sequence order.
    func resolve(_ set: IMAPSequenceSet, uid: Bool, _ box: SelectedMailbox) -> [(sequenceNumber: Int, message: StoredMessage)] {
        let largestUID = box.messages.last?.uid ?? 0
        let count = UInt32(box.count)
        return box.messages.enumerated().compactMap { index, message in
            let included = uid ? set.contains(uid: message.uid, largestUID: largestUID)
                : set.contains(sequenceNumber: UInt32(index + 1), messageCount: count)
            return included && !box.isExpunged(message.uid) ? (index + 1, message) : nil
        }
    }
}
