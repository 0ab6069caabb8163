import MIME
import MailStore

extension IMAPSession {
    /// Answers the work of mailbox and message commands.
    mutating func workedMailbox(_ pending: Pending, _ result: IMAPWorkResult) -> [IMAPAction] {
        switch pending {
        case let .select(tag, folder, readOnly):
            guard case let .listing(listing) = result else {
                if case let .failed(failure) = result, failure.code == "TRYCREATE" {
                    return [no(tag, "[NONEXISTENT] Mailbox doesn't exist: \(folder)")]
                }
                return failed(tag, result)
            }
            let box = SelectedMailbox(folder: folder, listing: listing, readOnly: readOnly)
            selected = box
            state = .selected
            return box.selectResponses.map { .send($0 + "\r\n") }
                + [ok(tag, readOnly ? "[READ-ONLY] Examine completed." : "[READ-WRITE] Select completed.")]
        case let .status(tag, name, attributes):
            guard case let .listing(listing) = result else { return failed(tag, result) }
            return [.send(Self.statusLine(IMAPString.renderMailbox(name), listing, attributes)), ok(tag, "Status completed.")]
        case let .simple(tag, command):
            guard case .done = result else { return failed(tag, result) }
            return [ok(tag, "\(command) completed.")]
        case let .list(tag, list, lsub):
            return listWorked(tag: tag, list, lsub: lsub, result)
        case let .listStatus(tag, entries, attributes):
            return listStatusWorked(tag: tag, entries, attributes, result)
        case let .sync(tag, command):
            guard case let .listing(listing) = result, selected != nil else { return failed(tag, result) }
            guard let responses = fold(listing, expungeAllowed: true) else { return invalidated() }
            return responses + [ok(tag, "\(command) completed.")]
        case let .expunge(tag, uids, closing):
            guard case .expunged = result else { return failed(tag, result) }
            if closing { return [ok(tag, "Close completed.")] }
            guard let box = selected else { return [ok(tag, "Expunge completed.")] }
            _ = uids
            self.pending = .sync(tag: tag, command: "Expunge")
            return [.perform(box.listingWork)]
        case let .append(tag, folder):
            guard case let .appended(validity, uid) = result else { return failed(tag, result) }
            // Appended to the selected folder: the new message is announced (EXISTS) before the tagged OK, as
            // RFC 3501 §6.3.11 asks ("the normal new message actions SHOULD occur").
            if let box = selected, box.folder == folder {
                self.pending = .sync(tag: tag, command: "[APPENDUID \(validity) \(uid)] Append")
                return [.perform(box.listingWork)]
            }
            return [ok(tag, "[APPENDUID \(validity) \(uid)] Append completed.")]
        case let .copy(tag, _, move, _):
            guard case let .copied(validity, pairs) = result else { return failed(tag, result) }
            let sources = Self.uidSet(pairs.map(\.source)), copies = Self.uidSet(pairs.map(\.copy))
            let code = pairs.isEmpty ? "" : "[COPYUID \(validity) \(sources) \(copies)] "
            guard move, let box = selected else { return [ok(tag, "\(code)Copy completed.")] }
            // RFC 6851: COPYUID goes untagged, then the EXPUNGEs, then the tagged OK.
            self.pending = .sync(tag: tag, command: "Move")
            return (pairs.isEmpty ? [] : [.send("* OK \(code)Moved.\r\n")]) + [.perform(box.listingWork)]
        case let .fetch(job):
            return fetchWorked(job, result)
        case let .store(job):
            return storeWorked(job, result)
        case let .search(job):
            return searchWorked(job, result)
        case let .sort(job):
            return sortWorked(job, result)
        case .login, .idle:
            return []
        }
    }

    /// Folds the folder as it is now into the selection: the untagged responses announcing what changed,
    /// or nil when UIDVALIDITY changed under the session.
    mutating func fold(_ listing: FolderListing, expungeAllowed: Bool) -> [IMAPAction]? {
        guard var box = selected else { return [] }
        let responses = box.sync(listing, expungeAllowed: expungeAllowed)
        selected = box
        return box.isInvalidated ? nil : responses.map { .send($0 + "\r\n") }
    }

    /// `1:3,7` for UIDPLUS codes (in the given order, ranges where consecutive).
    static func uidSet(_ uids: [UInt32]) -> String {
        var parts: [String] = []
        var index = 0
        while index < uids.count {
            var end = index
            while end + 1 < uids.count && uids[end + 1] == uids[end] &+ 1 { end += 1 }
            parts.append(end == index ? "\(uids[index])" : "\(uids[index]):\(uids[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }

    // MARK: FETCH

    private mutating func fetchWorked(_ job: IMAPFetchJob, _ result: IMAPWorkResult) -> [IMAPAction] {
        var job = job
        guard var box = selected else { return failed(job.tag, result) }
        switch (job.stage, result) {
        case let (.sync, .listing(listing)):
            // Expunges may not be announced during FETCH, but may during UID FETCH (RFC 3501 §7.4.1).
            guard let responses = fold(listing, expungeAllowed: job.uid), let folded = selected else { return invalidated() }
            box = folded
            job.targets = resolve(job.set, uid: job.uid, box)
            let unseen = job.targets.map(\.message).filter { !$0.flags.contains(.seen) }
            if !box.readOnly && job.renderer.attributes.contains(where: \.setsSeen) && !unseen.isEmpty {
                job.stage = .seen
                pending = .fetch(job)
                var withSeen = unseen.map { IMAPFlagUpdate(message: $0, flags: $0.flags.union([.seen]), keywords: $0.keywords) }
                withSeen.sort { $0.message.uid < $1.message.uid }
                return responses + [.perform(.setFlags(withSeen, folder: box.folder))]
            }
            return responses + fetchData(job)
        case let (.seen, .flagsSet(updated)):
            for message in updated.compactMap({ $0 }) {
                box.record(message)
                job.newlySeen.insert(message.uid)
            }
            selected = box
            job.targets = job.targets.map { ($0.sequenceNumber, box.message(at: $0.sequenceNumber) ?? $0.message) }
            return fetchData(job)
        case let (.data, .messageData(data)):
            let batch = job.batch
            let rendered = fetchRender(batch, job: &job, data: Dictionary(data.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a }))
            job.next += batch.count
            return rendered + fetchData(job)
        default:
            return failed(job.tag, result)
        }
    }

    /// Reads the next batch of messages, or ends the FETCH when all were sent.
    private mutating func fetchData(_ job: IMAPFetchJob) -> [IMAPAction] {
        var job = job
        guard let box = selected else { return [] }
        if job.renderer.needsContents || job.renderer.needsReceivedDate || job.renderer.needsSummary {
            guard job.next < job.targets.count else { return [fetchDone(job)] }
            job.stage = .data
            pending = .fetch(job)
            let batch = job.batch.map(\.message)
            return [.perform(.messageData(batch, folder: box.folder, contents: job.renderer.needsContents,
                                          receivedDates: job.renderer.needsReceivedDate, summaries: job.renderer.needsSummary))]
        }
        let rendered = fetchRender(job.targets[...], job: &job, data: [:])
        return rendered + [fetchDone(job)]
    }

    private func fetchDone(_ job: IMAPFetchJob) -> IMAPAction {
        job.missing ? no(job.tag, "[EXPUNGEISSUED] Some messages were expunged.") : ok(job.tag, "Fetch completed.")
    }

    private func fetchRender(_ batch: ArraySlice<(sequenceNumber: Int, message: StoredMessage)>, job: inout IMAPFetchJob,
                             data: [UInt32: IMAPMessageData]) -> [IMAPAction] {
        guard let box = selected else { return [] }
        var out: [UInt8] = []
        // Sized once for the contents read (so a batch of bodies is not copied as the array doubles).
        out.reserveCapacity(batch.reduce(0) { $0 + 160 + (data[$1.message.uid]?.contents?.count ?? 0) })
        for (number, message) in batch {
            let item = data[message.uid]
            if (job.renderer.needsContents && item?.contents == nil) || (job.renderer.needsSummary && item?.summary == nil) {
                job.missing = true  // removed by another session since it was listed
                continue
            }
            job.renderer.render(into: &out, sequenceNumber: number, message: message, flags: box.flags(message),
                                contents: item?.contents, receivedDate: item?.receivedDate, summary: item?.summary)
            if job.newlySeen.contains(message.uid) && !job.renderer.attributes.contains(.flags) {
                let uidItem = job.uid ? "UID \(message.uid) " : ""
                out += Array("* \(number) FETCH (\(uidItem)FLAGS \(IMAPFlag.renderList(box.flags(message))))\r\n".utf8)
            }
        }
        return out.isEmpty ? [] : [.sendBytes(out)]
    }

    // MARK: STORE

    private mutating func storeWorked(_ job: IMAPStoreJob, _ result: IMAPWorkResult) -> [IMAPAction] {
        var job = job
        guard var box = selected else { return failed(job.tag, result) }
        switch (job.stage, result) {
        case let (.sync, .listing(listing)):
            guard let responses = fold(listing, expungeAllowed: job.uid), let folded = selected else { return invalidated() }
            box = folded
            let (flags, keywords) = IMAPFlags.split(job.action.flags)
            let updates = resolve(job.set, uid: job.uid, box).map { _, message -> IMAPFlagUpdate in
                switch job.action.operation {
                case .replace:
                    return IMAPFlagUpdate(message: message, flags: flags.union(message.flags.subtracting(IMAPFlags.system.map(\.stored))),
                                          keywords: keywords)
                case .add:
                    let added = keywords.filter { keyword in !message.keywords.contains { $0.lowercased() == keyword.lowercased() } }
                    return IMAPFlagUpdate(message: message, flags: message.flags.union(flags), keywords: message.keywords + added)
                case .remove:
                    return IMAPFlagUpdate(message: message, flags: message.flags.subtracting(flags),
                                          keywords: message.keywords.filter { keyword in !keywords.contains { $0.lowercased() == keyword.lowercased() } })
                }
            }
            job.stage = .flags
            pending = .store(job)
            return responses + [.perform(.setFlags(updates, folder: box.folder))]
        case let (.flags, .flagsSet(updated)):
            var out: [IMAPAction] = box.announceKeywords(of: updated.compactMap { $0 }).map { .send($0 + "\r\n") }
            for message in updated.compactMap({ $0 }) {
                box.record(message)
                guard !job.action.silent, let n = box.sequenceNumber(ofUID: message.uid) else { continue }
                let uidItem = job.uid ? "UID \(message.uid) " : ""
                out.append(.send("* \(n) FETCH (\(uidItem)FLAGS \(IMAPFlag.renderList(box.flags(message))))\r\n"))
            }
            selected = box
            return out + [ok(job.tag, "Store completed.")]
        default:
            return failed(job.tag, result)
        }
    }
}
