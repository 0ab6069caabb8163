import IMAPServer
import MIME
import Testing
@testable import Webmail

/// The thread view's order: newest thread first, each depth-first, dummies dropped, depth capped.
@Suite struct MessageThreadsTests {
    @Test func threadsAreListedNewestFirstDepthFirstWithoutDummies() {
        // (1 (2 (4)(5)))(3) as REFERENCES answers it, oldest thread first; 6 and 7 hang below a dummy.
        let threads = [
            IMAPThreadNode(id: 1, children: [IMAPThreadNode(id: 2, children: [IMAPThreadNode(id: 4), IMAPThreadNode(id: 5)])]),
            IMAPThreadNode(id: 3),
            IMAPThreadNode(id: nil, children: [IMAPThreadNode(id: 6), IMAPThreadNode(id: 7)]),
        ]
        let rows = MessageThreads.rows(threads)
        #expect(rows.map(\.uid) == [6, 7, 3, 1, 2, 4, 5])
        #expect(rows.map(\.depth) == [0, 0, 0, 0, 1, 2, 2])
    }

    @Test func deepThreadsAreShownAtTheMaximumDepth() {
        var node = IMAPThreadNode(id: 1_000)
        for id in stride(from: UInt32(999), through: 1, by: -1) { node = IMAPThreadNode(id: id, children: [node]) }
        let rows = MessageThreads.rows([node])
        #expect(rows.count == 1_000 && rows.first?.uid == 1 && rows.last?.uid == 1_000)
        #expect(rows.last?.depth == MessageThreads.maximumDepth)
    }

    @Test func theWebmailThreadsWithTheIMAPServersValues() {
        func values(_ uid: UInt32, _ header: String) -> IMAPSortValues {
            IMAPSortValues(sequenceNumber: Int(uid), uid: uid, arrival: 0, size: 1, header: MessageHeader(Array((header + "\r\n").utf8)))
        }
        let messages = [
            values(1, "Message-ID: <a@x>\r\nSubject: Plan\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"),
            values(2, "Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nSubject: Re: Plan\r\nDate: Tue, 2 Jan 2024 10:00:00 +0000\r\n"),
            values(3, "Message-ID: <c@x>\r\nSubject: Other\r\nDate: Wed, 3 Jan 2024 10:00:00 +0000\r\n"),
            values(4, "Message-ID: <d@x>\r\nReferences: <a@x> <b@x>\r\nSubject: Re: Plan\r\nDate: Thu, 4 Jan 2024 10:00:00 +0000\r\n"),
        ]
        let rows = MessageThreads.rows(IMAPThreader.references(messages, uid: true))
        #expect(rows.map(\.uid) == [3, 1, 2, 4] && rows.map(\.depth) == [0, 0, 1, 2], "\(rows)")
    }
}
