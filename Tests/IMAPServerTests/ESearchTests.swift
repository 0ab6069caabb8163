import IMAPServer
import MailStore
import NIOCore
import Testing

/// ESEARCH (RFC 4731): SEARCH RETURN (MIN MAX ALL COUNT) and its UID form, answered as `* ESEARCH`.
@Suite struct ESearchTests {
    /// Seven messages with UIDs 1 2 3 5 8 9 10; the ones with UIDs 2, 3, 5 and 10 unseen.
    static let listing = FolderListing(uidValidity: 7, nextUID: 11, messages: [1, 2, 3, 5, 8, 9, 10].map { uid in
        IMAPSessionTests.message(uid, flags: [2, 3, 5, 10].contains(uid) ? [] : [.seen])
    })

    /// The lines a SEARCH command gets with ``listing`` selected.
    static func search(_ command: String) -> [String] {
        var session = IMAPSessionTests.loggedIn()
        _ = IMAPSessionTests.line(&session, "s SELECT INBOX")
        _ = session.receive(.worked(.listing(listing)))
        let asked = IMAPSessionTests.line(&session, command)
        guard asked.first?.hasPrefix("<listing") == true else { return asked }
        return IMAPSessionTests.render(session.receive(.worked(.listing(listing))))
    }

    @Test func plainSearchStaysASearchResponse() {
        #expect(Self.search("a SEARCH UNSEEN") == ["* SEARCH 2 3 4 7\r\n", "a OK Search completed.\r\n"])
    }

    @Test func everyReturnOptionWithSequenceNumbers() {
        #expect(Self.search("a SEARCH RETURN (MIN MAX ALL COUNT) UNSEEN")
            == ["* ESEARCH (TAG \"a\") MIN 2 MAX 7 ALL 2:4,7 COUNT 4\r\n", "a OK Search completed.\r\n"])
        #expect(Self.search("b SEARCH RETURN (COUNT) ALL") == ["* ESEARCH (TAG \"b\") COUNT 7\r\n", "b OK Search completed.\r\n"])
        #expect(Self.search("c SEARCH RETURN (MAX) SEEN") == ["* ESEARCH (TAG \"c\") MAX 6\r\n", "c OK Search completed.\r\n"])
    }

    @Test func uidSearchSaysUIDAndAnswersWithUIDs() {
        #expect(Self.search("a UID SEARCH RETURN (MIN MAX ALL COUNT) UNSEEN")
            == ["* ESEARCH (TAG \"a\") UID MIN 2 MAX 10 ALL 2:3,5,10 COUNT 4\r\n", "a OK Search completed.\r\n"])
        #expect(Self.search("b UID SEARCH RETURN (ALL) 1:*") == ["* ESEARCH (TAG \"b\") UID ALL 1:3,5,8:10\r\n", "b OK Search completed.\r\n"])
    }

    @Test func emptyReturnMeansAll() {
        #expect(Self.search("a SEARCH RETURN () SEEN") == ["* ESEARCH (TAG \"a\") ALL 1,5:6\r\n", "a OK Search completed.\r\n"])
    }

    @Test func noMatchesLeaveOutMinMaxAndAllButNotCount() {
        #expect(Self.search("a SEARCH RETURN (MIN MAX ALL COUNT) DELETED") == ["* ESEARCH (TAG \"a\") COUNT 0\r\n", "a OK Search completed.\r\n"])
        #expect(Self.search("b UID SEARCH RETURN (MIN) DELETED") == ["* ESEARCH (TAG \"b\") UID\r\n", "b OK Search completed.\r\n"])
    }

    @Test func saveIsRefusedWithoutSearchres() {
        #expect(Self.search("a SEARCH RETURN (SAVE) ALL") == ["a BAD SEARCHRES (RETURN SAVE) is not supported.\r\n"])
        #expect(Self.search("a SEARCH RETURN (FROB) ALL").first?.hasPrefix("a BAD") == true)
    }

    @Test func theESearchLineOnItsOwn() {
        #expect(IMAPSession.esearchLine(tag: "x", uid: false, matches: [9, 1, 2, 3], options: [.all, .min])
            == "* ESEARCH (TAG \"x\") MIN 1 ALL 1:3,9\r\n")
    }
}
