import IMAPServer
import Testing

/// Sequence sets: parsing, rendering, membership in both number spaces.
@Suite struct SequenceSetTests {
    @Test func parsesAndRenders() {
        for text in ["1", "1:*", "*", "2,4:7,9", "*:4", "7:4", "$", "4294967295", "1,1,1"] {
            #expect(IMAPSequenceSet(parsing: text)?.description == text)
        }
        for bad in ["", "0", "1:0", "01", "a", "1,", ",1", "1::2", "4294967296", "1:*:2", "$,1", "1 2", "-1", "**"] {
            #expect(IMAPSequenceSet(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func membershipInSequenceNumbers() {
        let s = set("2,4:7,9")
        #expect((1...10).filter { s.contains(sequenceNumber: $0, messageCount: 10) } == [2, 4, 5, 6, 7, 9])
        #expect(!s.contains(sequenceNumber: 9, messageCount: 8))
        let tail = set("5:*")
        #expect((1...7).filter { tail.contains(sequenceNumber: $0, messageCount: 7) } == [5, 6, 7])
        // `*:4` with 3 messages is 3:4: only 3 exists.
        #expect((1...3).filter { set("*:4").contains(sequenceNumber: $0, messageCount: 3) } == [3])
        #expect(set("*").contains(sequenceNumber: 3, messageCount: 3))
        #expect(!set("*").contains(sequenceNumber: 2, messageCount: 3))
        #expect(!IMAPSequenceSet.savedResult.contains(sequenceNumber: 1, messageCount: 3))
    }

    @Test func membershipInUIDs() {
        let s = set("100:*")
        #expect(!s.contains(uid: 150, largestUID: 120))  // 100:* with largest 120 is 100:120
        #expect(s.contains(uid: 110, largestUID: 120))
        // RFC 3501 §6.4.8: with largest UID 50, `100:*` is 50:100, so UID 50 matches.
        #expect(s.contains(uid: 50, largestUID: 50))
        #expect(set("4294967295").contains(uid: 4294967295, largestUID: 10))
    }

    @Test func normalizes() {
        #expect(set("9,2,3:5,4,6,*").normalized(largest: 20) == [2...6, 9...9, 20...20])
        #expect(set("1:*").normalized(largest: 0) == [0...1])
        #expect(IMAPSequenceSet(numbers: [1...1, 3...5]).description == "1,3:5")
    }
}
