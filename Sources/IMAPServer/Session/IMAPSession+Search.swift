import MIME
import MailStore

/// SEARCH and UID SEARCH, with ESEARCH results (RFC 4731).
extension IMAPSession {
    // MARK: SEARCH

    mutating func searchWorked(_ job: IMAPSearchJob, _ result: IMAPWorkResult) -> [IMAPAction] {
        var job = job
        guard var box = selected else { return failed(job.tag, result) }
        switch (job.stage, result) {
        case let (.sync, .listing(listing)):
            guard let responses = fold(listing, expungeAllowed: job.uid), let folded = selected else { return invalidated() }
            box = folded
            job.remaining = box.messages.filter { !box.isExpunged($0.uid) }
            let needs = IMAPSearchEvaluator.needs(job.command.key)
            if needs.contents || needs.receivedDate { return responses + searchNext(job) }
            searchEvaluate(job.remaining[...], job: &job, data: [:])
            return responses + searchDone(job)
        case let (.data, .messageData(data)):
            let batch = job.batch
            searchEvaluate(batch, job: &job, data: Dictionary(data.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a }))
            job.remaining.removeFirst(batch.count)
            return searchNext(job)
        default:
            return failed(job.tag, result)
        }
    }

    /// Reads the next batch of messages for the keys that need their bytes, or answers.
    private mutating func searchNext(_ job: IMAPSearchJob) -> [IMAPAction] {
        var job = job
        guard let box = selected, !job.remaining.isEmpty else { return searchDone(job) }
        let needs = IMAPSearchEvaluator.needs(job.command.key)
        job.stage = .data
        pending = .search(job)
        return [.perform(.messageData(Array(job.batch), folder: box.folder,
                                      contents: needs.contents, receivedDates: needs.receivedDate))]
    }

    private func searchEvaluate(_ batch: ArraySlice<StoredMessage>, job: inout IMAPSearchJob, data: [UInt32: IMAPMessageData]) {
        guard let box = selected else { return }
        let evaluator = IMAPSearchEvaluator(box: box)
        for message in batch {
            guard let number = box.sequenceNumber(ofUID: message.uid) else { continue }
            let item = data[message.uid]
            let parsed = item?.contents.map { MIMEMessage(bytes: MIMEBytes.crlfNormalized($0)) }
            if evaluator.matches(job.command.key, sequenceNumber: number, message: message, contents: parsed,
                                 receivedDate: item?.receivedDate) {
                job.matches.append(job.uid ? message.uid : UInt32(number))
            }
        }
    }

    private func searchDone(_ job: IMAPSearchJob) -> [IMAPAction] {
        guard let options = job.command.returnOptions else {
            return [.send("* SEARCH" + job.matches.map { " \($0)" }.joined() + "\r\n"), ok(job.tag, "Search completed.")]
        }
        return [.send(Self.esearchLine(tag: job.tag, uid: job.uid, matches: job.matches, options: options)), ok(job.tag, "Search completed.")]
    }

    /// `* ESEARCH (TAG "t") [UID] [MIN n] [MAX n] [ALL set] [COUNT n]` (RFC 4731 §3.1); `RETURN ()` means ALL.
    /// MIN, MAX and ALL are left out when nothing matched; COUNT is always given when asked for.
    public static func esearchLine(tag: String, uid: Bool, matches: [UInt32], options: [IMAPSearchReturnOption]) -> String {
        let wanted = options.isEmpty ? [.all] : Set(options)
        let sorted = matches.sorted()
        var line = "* ESEARCH (TAG \"\(tag)\")" + (uid ? " UID" : "")
        if let first = sorted.first, let last = sorted.last {
            if wanted.contains(.min) { line += " MIN \(first)" }
            if wanted.contains(.max) { line += " MAX \(last)" }
            if wanted.contains(.all) { line += " ALL " + uidSet(sorted) }
        }
        if wanted.contains(.count) { line += " COUNT \(sorted.count)" }
        return line + "\r\n"
    }
}
