import IMAPServer
import NIOCore
import Testing
import ShoalTestFixtures

/// SEARCH arguments and the search key tree.
@Suite(.offCooperativePool) struct SearchKeyTests {
    func key(_ keys: String) -> IMAPSearchKey? {
        guard case let .search(search, _) = kind("a SEARCH \(keys)") else { return nil }
        return search.key
    }

    @Test func everyFlagKey() {
        let flags: [(String, IMAPSearchKey)] = [
            ("ALL", .all), ("ANSWERED", .answered), ("DELETED", .deleted), ("DRAFT", .draft), ("FLAGGED", .flagged),
            ("NEW", .new), ("OLD", .old), ("RECENT", .recent), ("SEEN", .seen), ("UNANSWERED", .unanswered),
            ("UNDELETED", .undeleted), ("UNDRAFT", .undraft), ("UNFLAGGED", .unflagged), ("UNSEEN", .unseen),
        ]
        for (name, expected) in flags {
            #expect(key(name) == expected)
            #expect(key(name.lowercased()) == expected)
        }
    }

    @Test func everyKeyWithArguments() {
        let cases: [(String, IMAPSearchKey)] = [
            ("BCC x", .bcc("x")), ("BODY \"two words\"", .body("two words")), ("CC y", .cc("y")), ("FROM Smith", .from("Smith")),
            ("SUBJECT \"\"", .subject("")), ("TEXT t", .text("t")), ("TO z", .to("z")),
            ("HEADER Message-ID <a@b>", .header(field: "Message-ID", value: "<a@b>")), ("HEADER X-Y \"\"", .header(field: "X-Y", value: "")),
            ("KEYWORD $Junk", .keyword("$Junk")), ("UNKEYWORD NonJunk", .unkeyword("NonJunk")),
            ("BEFORE 1-Feb-1994", .before(date("1-Feb-1994"))), ("ON \"01-feb-1994\"", .on(date("1-Feb-1994"))),
            ("SINCE 29-Feb-2024", .since(date("29-Feb-2024"))), ("SENTBEFORE 1-Jan-2000", .sentBefore(date("1-Jan-2000"))),
            ("SENTON 31-Dec-1999", .sentOn(date("31-Dec-1999"))), ("SENTSINCE 1-Jan-1970", .sentSince(date("1-Jan-1970"))),
            ("LARGER 1000", .larger(1000)), ("SMALLER 0", .smaller(0)), ("UID 1:100,200", .uid(set("1:100,200"))),
            ("2,4:7,9", .sequenceNumbers(set("2,4:7,9"))), ("*", .sequenceNumbers(set("*"))), ("$", .sequenceNumbers(.savedResult)),
            ("MODSEQ 620162338", .modSeq(nil, 620162338)),
            ("MODSEQ \"/flags/\\\\draft\" all 620162338", .modSeq(IMAPModSeqEntry(name: "/flags/\\draft", type: "all"), 620162338)),
        ]
        for (text, expected) in cases { #expect(key(text) == expected, "\(text)") }
    }

    @Test func nestedTrees() {
        #expect(key("FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"") == .and([.flagged, .since(date("1-Feb-1994")), .not(.from("Smith"))]))
        #expect(key("OR (SEEN FLAGGED) NOT (DELETED OR ANSWERED DRAFT)")
            == .or(.and([.seen, .flagged]), .not(.and([.deleted, .or(.answered, .draft)]))))
        #expect(key("NOT NOT OR OR SEEN DRAFT (UID 5)") == .not(.not(.or(.or(.seen, .draft), .uid(set("5"))))))
        #expect(key("((((ALL))))") == .all)
        #expect(key("(SEEN) (UNSEEN)") == .and([.seen, .unseen]))
    }

    @Test func charsetAndReturn() {
        #expect(kind("a SEARCH CHARSET UTF-8 TEXT x") == .search(IMAPSearchCommand(charset: "UTF-8", key: .text("x")), uid: false))
        #expect(kind("a UID SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN") == .search(IMAPSearchCommand(returnOptions: [.min, .max, .count, .all], key: .unseen), uid: true))
        #expect(kind("a SEARCH RETURN () ALL") == .search(IMAPSearchCommand(returnOptions: [], key: .all), uid: false))
        #expect(kind("a SEARCH RETURN (SAVE) CHARSET us-ascii ALL") == .search(IMAPSearchCommand(charset: "US-ASCII", returnOptions: [.save], key: .all), uid: false))
        #expect(kind("a SEARCH CHARSET UTF-8 RETURN (COUNT) ALL") == .search(IMAPSearchCommand(charset: "UTF-8", returnOptions: [.count], key: .all), uid: false))
        let literalText = Array("a SEARCH CHARSET UTF-8 SUBJECT {6}\r\n".utf8)
        #expect(IMAPCommand.parse(text: literalText, literals: [buffer("日本")]).map(\.kind) == .success(.search(IMAPSearchCommand(charset: "UTF-8", key: .subject("日本")), uid: false)))
    }

    @Test func invalidSearches() {
        for bad in [
            "", " ", "FOO", "BEFORE", "BEFORE 30-Feb-2000", "BEFORE 1-Foo-2000", "BEFORE 1-Feb-94", "LARGER", "LARGER -1",
            "LARGER 99999999999", "UID", "UID x", "NOT", "OR SEEN", "(SEEN", "SEEN)", "()", "HEADER X", "KEYWORD", "KEYWORD \\Seen",
            "SEEN  UNSEEN", "0", "1:0", "RETURN (BOGUS) ALL", "CHARSET", "MODSEQ", "MODSEQ \"x\" bogus 1", "MODSEQ 99999999999999999999",
            "SUBJECT \"a\\b\"", "ALL ",
        ] {
            #expect(key(bad) == nil, "\(bad)")
            #expect(failure("t1 SEARCH \(bad)")?.tag == "t1")
        }
        #expect(kind("a SEARCH") == nil)
    }

    @Test func deepNestingIsRefusedNotOverflowed() {
        let deep = String(repeating: "NOT ", count: 10_000) + "ALL"
        #expect(failure("a SEARCH \(deep)")?.text.contains("nested too deeply") == true)
        let parens = String(repeating: "(", count: 10_000) + "ALL" + String(repeating: ")", count: 10_000)
        #expect(failure("a SEARCH \(parens)")?.tag == "a")
        let ors = String(repeating: "OR ALL ", count: 10_000) + "ALL"
        #expect(failure("a SEARCH \(ors)")?.tag == "a")
        #expect(key(String(repeating: "NOT ", count: 40) + "ALL") != nil)
    }
}
