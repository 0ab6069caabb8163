import MIME
import MailStore
import IMAPServer
import Testing

/// Modified UTF-7, mailbox names, dates, and the string and response rendering.
@Suite struct StringsAndDatesTests {
    @Test func modifiedUTF7RoundTrips() {
        let pairs = [
            ("日本語", "&ZeVnLIqe-"), ("&", "&-"), ("a&b", "a&-b"), ("Entwürfe", "Entw&APw-rfe"), ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("plain", "plain"), ("", ""), ("Ж", "&BBY-"), ("😀", "&2D3eAA-"),
        ]
        for (decoded, wire) in pairs {
            #expect(ModifiedUTF7.encode(decoded) == wire)
            #expect(ModifiedUTF7.decode(wire) == decoded)
        }
        for bad in ["&", "&ZeVnLIqe", "&AGE-", "&Jjo!-", "\u{e9}", "&2D0-", "&ZeV-"] {
            #expect(ModifiedUTF7.decode(bad) == nil, "\(bad)")
        }
    }

    @Test func mailboxNames() {
        #expect(IMAPMailboxName(wire: "inbox").wire == "INBOX")
        #expect(IMAPMailboxName(wire: "InBoX").isInbox)
        #expect(IMAPMailboxName(wire: "INBOX.Sent").wire == "INBOX.Sent")
        #expect(IMAPMailboxName(wire: "&ZeVnLIqe-").decoded == "日本語")
        #expect(IMAPMailboxName(decoded: "日本語").wire == "&ZeVnLIqe-")
        #expect(IMAPMailboxName(wire: "&bad").decoded == nil)
        #expect(kind("a SELECT &ZeVnLIqe-") == .select(IMAPMailboxName(wire: "&ZeVnLIqe-"), parameters: []))
    }

    @Test func dates() {
        #expect(IMAPDate(parsing: "1-Feb-1994") == IMAPDate(day: 1, month: 2, year: 1994))
        #expect(IMAPDate(parsing: "29-feb-2000") != nil)
        #expect(IMAPDate(parsing: "29-Feb-1900") == nil)
        #expect(IMAPDate(parsing: "32-Jan-2000") == nil)
        #expect(IMAPDate(parsing: "1-Feb-94") == nil)
        #expect(IMAPDate(parsing: "001-Feb-1994") == nil)
        #expect(IMAPDate(parsing: "1-February-1994") == nil)
        #expect(date("1-Feb-1994").description == "1-Feb-1994")
        #expect(date("1-Jan-1970").daysSince1970 == 0)
        #expect(IMAPDate(daysSince1970: -1) == date("31-Dec-1969"))
        #expect(date("1-Mar-2000") > date("29-Feb-2000"))
    }

    @Test func dateTimes() {
        let t = IMAPDateTime(secondsSince1970: 837_596_665, zoneOffsetMinutes: -420)
        #expect(t.description == "17-Jul-1996 02:44:25 -0700")
        #expect(t.rendered == "\"17-Jul-1996 02:44:25 -0700\"")
        #expect(t.secondsSince1970 == 837_596_665)
        #expect(IMAPDateTime(parsing: "17-Jul-1996 02:44:25 -0700") == t)
        #expect(IMAPDateTime(secondsSince1970: 0, zoneOffsetMinutes: 0).description == "01-Jan-1970 00:00:00 +0000")
        #expect(IMAPDateTime(secondsSince1970: -1, zoneOffsetMinutes: 90).description == "01-Jan-1970 01:29:59 +0130")
        #expect(IMAPDateTime(parsing: " 7-Jul-1996 02:44:25 +0200")?.date.day == 7)
        #expect(IMAPDateTime(parsing: "07-Jul-1996 02:44:25 +0200")?.date.day == 7)
        for bad in ["17-Jul-1996 24:00:00 +0000", "17-Jul-1996 02:44 +0000", "17-Jul-1996 02:44:25", "17-Jul-1996 02:44:25 0700",
                    "17-Jul-1996 02:44:25 +07000", "17-Jul-1996  02:44:25 +0000", "17-Jul-1996 02:44:25 +0060", "x"] {
            #expect(IMAPDateTime(parsing: bad) == nil, "\(bad)")
        }
        for seconds: Int64 in [0, 1, 86_399, 951_782_400, 4_102_444_800, -86_400 * 365] {
            for zone in [0, -420, 330, 840] {
                let value = IMAPDateTime(secondsSince1970: seconds, zoneOffsetMinutes: zone)
                #expect(value.secondsSince1970 == seconds)
                #expect(IMAPDateTime(parsing: value.description) == value)
            }
        }
    }

    @Test func stringRendering() {
        func render(_ bytes: [UInt8]) -> String { String(decoding: IMAPString.render(bytes), as: UTF8.self) }
        #expect(render(Array("hello world".utf8)) == "\"hello world\"")
        #expect(render(Array("a\"b\\c".utf8)) == "\"a\\\"b\\\\c\"")
        #expect(render([]) == "\"\"")
        #expect(render(Array("two\r\nlines".utf8)) == "{10}\r\ntwo\r\nlines")
        #expect(IMAPString.render([0xC3, 0xA9]) == Array("{2}\r\n".utf8) + [0xC3, 0xA9])
        #expect(render([0x61, 0x00]) == "{2}\r\na\0")
        #expect(render(Array(String(repeating: "\"", count: 20).utf8)).hasPrefix("{20}\r\n"))
        #expect(String(decoding: IMAPString.renderNString(nil), as: UTF8.self) == "NIL")
        #expect(IMAPString.render(nil as String?) == "NIL")
        #expect(IMAPString.render("café") == "{5}\r\ncafé")
        #expect(IMAPString.renderAString("INBOX") == "INBOX")
        #expect(IMAPString.renderAString("a b") == "\"a b\"")
        #expect(IMAPString.renderAString("") == "\"\"")
        #expect(IMAPString.renderAString("nil") == "\"nil\"")
        #expect(IMAPString.renderAString("a%") == "\"a%\"")
        #expect(IMAPString.renderMailbox(IMAPMailboxName(decoded: "日本語")) == "&ZeVnLIqe-")
    }

    @Test func responses() {
        #expect(IMAPFlag.renderList([.seen, .answered, .keyword("$Junk")]) == "(\\Seen \\Answered $Junk)")
        #expect(IMAPFlag.renderList([]) == "()")
        #expect(IMAPFlag("\\SEEN") == .seen)
        #expect(IMAPFlag("\\recent") == .recent)
        #expect(IMAPFlag("$x") == .keyword("$x"))
        #expect(IMAPFlag("a b") == nil)
        #expect(IMAPFlag("\\") == nil)
        let r: (String?, IMAPStatus, IMAPResponseCode?, String) -> String = { IMAPStatusResponse(tag: $0, status: $1, code: $2, text: $3).rendered }
        #expect(r(nil, .ok, .uidValidity(3857529045), "UIDs valid") == "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n")
        #expect(r("a1", .no, .tryCreate, "No such mailbox") == "a1 NO [TRYCREATE] No such mailbox\r\n")
        #expect(r("a2", .ok, .copyUID(uidValidity: 38505, source: set("304,319:320"), destination: set("3956:3958")), "Done")
            == "a2 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n")
        #expect(r("a3", .ok, .appendUID(uidValidity: 38505, uids: set("3955")), "APPEND completed") == "a3 OK [APPENDUID 38505 3955] APPEND completed\r\n")
        #expect(r(nil, .ok, .permanentFlags([.deleted, .seen], allowsNewKeywords: true), "Limited") == "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n")
        #expect(r(nil, .ok, .uidNext(4392), "x") == "* OK [UIDNEXT 4392] x\r\n")
        #expect(r(nil, .ok, .capability(["IMAP4rev1", "IDLE"]), "ready") == "* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n")
        #expect(r(nil, .no, .alert, "disk full") == "* NO [ALERT] disk full\r\n")
        #expect(r("b", .no, .tooBig, "too big") == "b NO [TOOBIG] too big\r\n")
        #expect(r("b", .no, .nonexistent, "x") == "b NO [NONEXISTENT] x\r\n")
        #expect(r("b", .no, .alreadyExists, "x") == "b NO [ALREADYEXISTS] x\r\n")
        #expect(r(nil, .ok, .closed, "x") == "* OK [CLOSED] x\r\n")
        #expect(r(nil, .bye, nil, "bye\r\nnow") == "* BYE bye  now\r\n")
        #expect(r("c", .bad, nil, "") == "c BAD BAD\r\n")
        #expect(IMAPContinuation.readyForLiteral == "+ Ready for literal data\r\n")
    }
}
