import MIME
import MailStore

/// A SORT or THREAD under way: the folder is looked at, then every message read a batch at a time, the search
/// key decided and, for matches, what sorting and threading compare kept (``IMAPSortValues``).
struct IMAPSortJob: Sendable {
    enum Order: Sendable {
        case sort([IMAPSortCriterion])
        case thread(IMAPThreadAlgorithm)
    }

    var tag: String
    var order: Order
    var key: IMAPSearchKey
    var uid: Bool
    var remaining: [StoredMessage] = []
    var values: [IMAPSortValues] = []
}

/// SORT and THREAD (RFC 5256).
extension IMAPSession {
    mutating func sortCommand(tag: String, _ order: IMAPSortJob.Order, charset: String, key: IMAPSearchKey, uid: Bool,
                              _ box: SelectedMailbox) -> [IMAPAction] {
        guard ["UTF-8", "US-ASCII"].contains(charset.uppercased()) else {
            return [no(tag, "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset.")]
        }
        pending = .sort(IMAPSortJob(tag: tag, order: order, key: key, uid: uid))
        return [.perform(box.listingWork)]
    }

    mutating func sortWorked(_ job: IMAPSortJob, _ result: IMAPWorkResult) -> [IMAPAction] {
        var job = job
        switch result {
        case let .listing(listing):
            guard let responses = fold(listing, expungeAllowed: job.uid), let box = selected else { return invalidated() }
            job.remaining = box.messages.filter { !box.isExpunged($0.uid) }
            return responses + sortNext(job)
        case let .messageData(data):
            guard let box = selected else { return failed(job.tag, result) }
            let byUID = Dictionary(data.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
            let evaluator = IMAPSearchEvaluator(box: box)
            let batch = job.remaining.prefix(imapBatchCount(job.remaining, needsContents: true))
            for message in batch {
                guard let number = box.sequenceNumber(ofUID: message.uid), let item = byUID[message.uid], let bytes = item.contents else { continue }
                let parsed = MIMEMessage(bytes: MIMEBytes.crlfNormalized(bytes))
                guard evaluator.matches(job.key, sequenceNumber: number, message: message, contents: parsed, receivedDate: item.receivedDate)
                else { continue }
                job.values.append(IMAPSortValues(sequenceNumber: number, uid: message.uid, arrival: item.receivedDate ?? 0,
                                                 size: message.virtualSize ?? message.size, header: parsed.header))
            }
            job.remaining.removeFirst(batch.count)
            return sortNext(job)
        default:
            return failed(job.tag, result)
        }
    }

    /// Reads the next batch, or answers.
    private mutating func sortNext(_ job: IMAPSortJob) -> [IMAPAction] {
        guard let box = selected, !job.remaining.isEmpty else { return [sortAnswer(job), ok(job.tag, "\(job.name) completed.")] }
        pending = .sort(job)
        return [.perform(.messageData(Array(job.remaining.prefix(imapBatchCount(job.remaining, needsContents: true))), folder: box.folder, contents: true, receivedDates: true))]
    }

    private func sortAnswer(_ job: IMAPSortJob) -> IMAPAction {
        switch job.order {
        case let .sort(criteria):
            let sorted = IMAPSorter.sort(job.values, by: criteria)
            return .send("* SORT" + sorted.map { " \(job.uid ? $0.uid : UInt32($0.sequenceNumber))" }.joined() + "\r\n")
        case .thread(.orderedSubject):
            return .send(Self.threadLine(IMAPThreader.orderedSubject(job.values, uid: job.uid)))
        case .thread(.references):
            return .send(Self.threadLine(IMAPThreader.references(job.values, uid: job.uid)))
        }
    }
}

extension IMAPSession {
    /// `* THREAD (1)(2 3)`, or `* THREAD` when nothing matched.
    static func threadLine(_ threads: [IMAPThreadNode]) -> String {
        threads.isEmpty ? "* THREAD\r\n" : "* THREAD " + IMAPThreader.render(threads) + "\r\n"
    }
}

extension IMAPSortJob {
    var name: String { if case .sort = order { "Sort" } else { "Thread" } }
}
