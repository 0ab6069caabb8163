@testable import IMAPServer
import MailStore
import Testing

/// How much one piece of FETCH/SEARCH/SORT work covers: bytes bound it when messages are read, at least one
/// message always goes, and summary-only work takes many.
@Suite struct IMAPBatchTests {
    static func messages(_ sizes: [Int]) -> [StoredMessage] {
        sizes.enumerated().map { index, size in
            StoredMessage(uid: UInt32(index + 1), filename: "m\(index)", path: "/x/m\(index)", size: UInt64(size),
                          virtualSize: nil, flags: [], keywords: [], isNew: false)
        }
    }

    @Test func batchesAreBoundedByBytesAndCount() {
        #expect(imapBatchCount(Self.messages(Array(repeating: 20, count: 1000)), needsContents: true) == imapContentsBatch)
        #expect(imapBatchCount(Self.messages(Array(repeating: 4000, count: 1000)), needsContents: true) == imapBatchBytes / 4000)
        #expect(imapBatchCount(Self.messages(Array(repeating: imapBatchBytes / 3, count: 10)), needsContents: true) == 3)
        #expect(imapBatchCount(Self.messages([5_000_000, 10]), needsContents: true) == 1)  // one large message still goes
        #expect(imapBatchCount(Self.messages([10, 5_000_000]), needsContents: true) == 1)
        #expect(imapBatchCount(Self.messages([]), needsContents: true) == 0)
        #expect(imapBatchCount(Self.messages(Array(repeating: 5_000_000, count: 3000)), needsContents: false) == imapSummaryBatch)
        #expect(imapBatchCount(Self.messages(Array(repeating: 10, count: 7)), needsContents: false) == 7)
    }
}
