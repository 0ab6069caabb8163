@testable import IMAPServer
import MIME
import MailStore
import Testing
import ShoalTestFixtures

/// SORT and THREAD (RFC 5256): base subjects, sent dates, the sort order and both threading algorithms.
@Suite(.offCooperativePool) struct SortThreadTests {
    static func base(_ subject: String?) -> (String, Bool) {
        let extracted = IMAPBaseSubject(subject)
        return (String(decoding: extracted.key, as: UTF8.self), extracted.isReplyOrForward)
    }

    @Test func baseSubjectsFollowRFC5256Section2_1() {
        #expect(Self.base("Re: hello") == ("HELLO", true))
        #expect(Self.base("re: RE:Re : x") == ("X", true))
        #expect(Self.base("Fwd: Re: [list] hello (fwd)") == ("HELLO", true))
        #expect(Self.base("Fw: x") == ("X", true))
        #expect(Self.base("[fwd: hello]") == ("HELLO", true))
        #expect(Self.base("Re: [fwd: Re: hello] (fwd) (FWD)") == ("HELLO", true))
        #expect(Self.base("Re [ticket 7]: status") == ("STATUS", true))
        #expect(Self.base("[a] [b] Re: x") == ("X", true))
        #expect(Self.base("[list] hello") == ("HELLO", false))
        #expect(Self.base("[list]") == ("[LIST]", false))  // a blob that would leave nothing stays
        #expect(Self.base("  hello \t  world  ") == ("HELLO WORLD", false))
        #expect(Self.base("Rebecca: hi") == ("REBECCA: HI", false))
        #expect(Self.base("Re:") == ("", true))
        #expect(Self.base("") == ("", false))
        #expect(Self.base(nil) == ("", false))
        #expect(Self.base("[unclosed Re: x") == ("[UNCLOSED RE: X", false))
    }

    /// Megabyte subjects built to make naive stripping quadratic finish at once, with the right answer.
    @Test(.timeLimit(.minutes(1))) func hugeSubjectsStayLinear() {
        let count = 250_000
        #expect(Self.base(String(repeating: "Re: ", count: count) + "x") == ("X", true))
        #expect(Self.base(String(repeating: "[a] ", count: count) + "x") == ("X", false))
        #expect(Self.base(String(repeating: "[a]", count: count)) == ("[A]", false))
        #expect(Self.base(String(repeating: "[fwd: ", count: count / 2) + "x" + String(repeating: "]", count: count / 2)) == ("X", true))
        #expect(Self.base("x" + String(repeating: " (fwd)", count: count)) == ("X", true))
        #expect(Self.base(String(repeating: "[", count: count * 4)).0.count == count * 4)
    }

    @Test func sentDatesParseRFC5322DatesIntoUTC() {
        let dec1 = Int64(IMAPDate(day: 1, month: 12, year: 2026)!.daysSince1970) * 86400
        #expect(IMAPSentDate.parse("Mon, 1 Dec 2026 10:00:00 +0100") == dec1 + 9 * 3600)
        #expect(IMAPSentDate.parse("1 Dec 2026 10:00 -0230") == dec1 + 12 * 3600 + 30 * 60)
        #expect(IMAPSentDate.parse("Tue, 01 Dec 26 10:00:00 GMT (comment)") == dec1 + 10 * 3600)
        #expect(IMAPSentDate.parse("1 Dec 2026 10:00:00 EST") == dec1 + 15 * 3600)
        #expect(IMAPSentDate.parse("1 Dec 99 00:00:00 +0000").map { $0 < 0 } == false)
        for bad in ["", "garbage", "31 Feb 2026 10:00:00 +0000", "1 Foo 2026 10:00 +0000", "1 Dec 2026 25:00 +0000",
                    String(repeating: "1 ", count: 500)] {
            #expect(IMAPSentDate.parse(bad) == nil, "\(bad)")
        }
    }

    /// A message's sort values from header lines.
    static func values(_ n: Int, arrival: Int64 = 0, size: UInt64 = 100, _ header: [String]) -> IMAPSortValues {
        IMAPSortValues(sequenceNumber: n, uid: UInt32(n * 10), arrival: arrival, size: size,
                       header: MessageHeader(Array((header.joined(separator: "\r\n") + "\r\n\r\n").utf8)))
    }

    @Test func sortValuesComeFromTheHeader() {
        let message = Self.values(1, arrival: 77, [
            "From: \"Zed Z\" <zed@x.test>, amy@x.test", "To: undisclosed:;, <Bob@y.test>", "Subject: =?utf-8?q?Re=3A_caf=C3=A9?=",
            "Message-ID: <a@x>", "References: <r1@x> <r2@x>", "In-Reply-To: <ignored@x>",
        ])
        // A group first: its name is the sort key, as in Dovecot (imaptest's sort-addresses and sort-display-to).
        #expect(message.from == Array("ZED".utf8) && message.to == Array("UNDISCLOSED".utf8) && message.cc.isEmpty)
        #expect(message.displayFrom == Array("ZED Z".utf8) && message.displayTo == Array("UNDISCLOSED".utf8))
        let grouped = Self.values(2, ["To: b@c.d", "Cc: user2: blah@domain1.org;"])
        #expect(grouped.cc == Array("USER2".utf8) && grouped.displayTo == Array("B@C.D".utf8))
        #expect(message.subject.key == IMAPBaseSubject("café").key && message.subject.isReplyOrForward, "Re: inside the encoded word")
        #expect(message.sent == 77, "no Date: the arrival")
        #expect(message.messageID == "a@x" && message.references == ["r1@x", "r2@x"])
        let reply = Self.values(2, ["In-Reply-To: <p@x> <q@x>", "Subject: Re: x"])
        #expect(reply.references == ["p@x"] && reply.subject.isReplyOrForward)
    }

    @Test func sortOrdersByEachCriterionThenMailboxOrder() {
        let messages = [
            Self.values(1, arrival: 30, size: 300, ["From: carol@x", "Subject: Re: beta", "Date: 1 Dec 2026 12:00 +0000", "Cc: b@x"]),
            Self.values(2, arrival: 10, size: 100, ["From: Amy@x", "Subject: alpha", "Date: 1 Dec 2026 13:00 +0200", "To: z@x"]),
            Self.values(3, arrival: 20, size: 100, ["From: bob@x", "Subject: [fwd: Beta]", "Date: bogus"]),
            Self.values(4, arrival: 20, size: 200, ["From: amy@x", "Subject: gamma", "To: a@x", "Cc: a@x"]),
        ]
        func order(_ criteria: [IMAPSortCriterion]) -> [Int] { IMAPSorter.sort(messages, by: criteria).map(\.sequenceNumber) }
        #expect(order([.init(.arrival)]) == [2, 3, 4, 1])
        #expect(order([.init(.size)]) == [2, 3, 4, 1])
        #expect(order([.init(.size, reversed: true)]) == [1, 4, 2, 3])
        #expect(order([.init(.from)]) == [2, 4, 3, 1])
        #expect(order([.init(.from, reversed: true), .init(.size, reversed: true)]) == [1, 3, 4, 2])
        #expect(order([.init(.subject)]) == [2, 1, 3, 4])
        #expect(order([.init(.subject), .init(.arrival, reversed: true)]) == [2, 1, 3, 4])
        #expect(order([.init(.to)]) == [1, 3, 4, 2])  // missing To sorts as empty
        #expect(order([.init(.cc)]) == [2, 3, 4, 1])
        // Date: message 3 has none that parses (its arrival, 20, counts), 2 is 11:00 UTC.
        #expect(order([.init(.date)]) == [3, 4, 2, 1])
    }

    @Test func orderedSubjectGroupsBySubjectAndDate() {
        let messages = [
            Self.values(1, ["Subject: a", "Date: 1 Dec 2026 10:00 +0000"]),
            Self.values(2, ["Subject: b", "Date: 1 Dec 2026 09:00 +0000"]),
            Self.values(3, ["Subject: Re: a", "Date: 1 Dec 2026 11:00 +0000"]),
            Self.values(4, ["Subject: re: a", "Date: 1 Dec 2026 10:30 +0000"]),
            Self.values(5, ["Subject: Re: b", "Date: 1 Dec 2026 12:00 +0000"]),
            Self.values(6, ["Subject: c", "Date: 1 Dec 2026 08:00 +0000"]),
        ]
        #expect(IMAPThreader.render(IMAPThreader.orderedSubject(messages, uid: false)) == "(6)(2 5)(1 (4)(3))")
        #expect(IMAPThreader.render(IMAPThreader.orderedSubject(messages, uid: true)) == "(60)(20 50)(10 (40)(30))")
    }

    @Test func renderingFollowsRFC5256Section4() {
        let tree = IMAPThreadNode(id: 3, children: [IMAPThreadNode(id: 6, children: [
            IMAPThreadNode(id: 4, children: [IMAPThreadNode(id: 23)]),
            IMAPThreadNode(id: 44, children: [IMAPThreadNode(id: 7, children: [IMAPThreadNode(id: 96)])]),
        ])])
        #expect(IMAPThreader.render([IMAPThreadNode(id: 2), tree]) == "(2)(3 6 (4 23)(44 7 96))")
        #expect(IMAPThreader.render([IMAPThreadNode(id: nil, children: [IMAPThreadNode(id: 1), IMAPThreadNode(id: 2)])]) == "((1)(2))")
        #expect(IMAPThreader.render([]) == "")
    }

    @Test func referencesLinksRepliesPrunesDummiesAndMergesSubjects() {
        let messages = [
            Self.values(1, ["Message-ID: <a@x>", "Subject: topic", "Date: 1 Dec 2026 10:00 +0000"]),
            Self.values(2, ["Message-ID: <b@x>", "References: <a@x>", "Subject: Re: topic", "Date: 1 Dec 2026 11:00 +0000"]),
            // Replies to a message that is not here: a dummy parent with two children stays at the root.
            Self.values(3, ["Message-ID: <c@x>", "References: <gone@x>", "Subject: Re: lost", "Date: 1 Dec 2026 09:00 +0000"]),
            Self.values(4, ["Message-ID: <d@x>", "In-Reply-To: <gone@x>", "Subject: Re: lost", "Date: 1 Dec 2026 09:30 +0000"]),
            // A reply whose parent is in another thread's chain, through a missing middle message.
            Self.values(5, ["Message-ID: <e@x>", "References: <a@x> <missing@x>", "Subject: Re: topic", "Date: 1 Dec 2026 12:00 +0000"]),
            // No references, but the same base subject as thread 1 and a Re: — put under it.
            Self.values(6, ["Message-ID: <f@x>", "Subject: Re: topic", "Date: 1 Dec 2026 13:00 +0000"]),
            // Same subject, neither a reply: siblings under a dummy.
            Self.values(7, ["Message-ID: <g@x>", "Subject: other", "Date: 1 Dec 2026 08:00 +0000"]),
            Self.values(8, ["Message-ID: <h@x>", "Subject: other", "Date: 1 Dec 2026 08:30 +0000"]),
            // A duplicate Message-ID is a message of its own; a reference to itself is no link.
            Self.values(9, ["Message-ID: <a@x>", "References: <z@x> <z@x>", "Subject: dup", "Date: 1 Dec 2026 14:00 +0000"]),
        ]
        #expect(IMAPThreader.render(IMAPThreader.references(messages, uid: false)) == "((7)(8))((3)(4))(1 (2)(5)(6))(9)")
    }
}

/// Header text from the network never crashes the sort values: mutated headers give some values, always.
@Suite(.offCooperativePool) struct SortValuesFuzzTests {
    static let seeds = [
        "From: \"Zed\" <zed@x>, a@b\r\nSubject: Re: [x] Fwd: y (fwd)\r\nDate: Mon, 1 Dec 2026 10:00:00 +0100\r\n",
        "Message-ID: <a@x>\r\nReferences: <b@x>\r\n <c@x>\r\nIn-Reply-To: <d@x>\r\nSubject: [fwd: [a] re: b]\r\n",
        "To: g:;, <q@r>\r\nCc: =?utf-8?q?x?= <c@d>\r\nDate: 1 Dec 99 10:00 EST\r\nSubject: =?utf-8?b?UmU6IGhp?=\r\n",
    ]
    static let alphabet = Array("()[]<>\":;,@ \t\r\nReFwd0123456789+-=?".utf8) + [0xC3, 0xFF, 0x00]

    @Test func mutatedHeadersNeverCrash() {
        var random = ParserFuzzTests.SplitMix(state: 0xD47E)
        var messages: [IMAPSortValues] = []
        for iteration in 0..<3000 {
            var bytes = Array(Self.seeds[iteration % Self.seeds.count].utf8)
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let position = Int.random(in: 0...bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0 where position < bytes.count: bytes.remove(at: position)
                case 1: bytes.insert(Self.alphabet.randomElement(using: &random)!, at: position)
                default: bytes.insert(contentsOf: bytes[position...].prefix(12), at: position)
                }
            }
            let values = IMAPSortValues(sequenceNumber: iteration + 1, uid: UInt32(iteration + 1), arrival: 5, size: 1,
                                        header: MessageHeader(bytes + Array("\r\n".utf8)))
            #expect(values.sequenceNumber == iteration + 1)
            messages.append(values)
        }
        // Every message appears exactly once in each answer.
        for threads in [IMAPThreader.references(messages, uid: false), IMAPThreader.orderedSubject(messages, uid: false)] {
            var seen: [UInt32] = [], stack = threads
            while let node = stack.popLast() {
                if let id = node.id { seen.append(id) }
                stack += node.children
            }
            #expect(seen.sorted() == (1...3000).map(UInt32.init))
        }
        #expect(IMAPSorter.sort(messages, by: [.init(.subject), .init(.date, reversed: true)]).count == 3000)
    }
}

/// SORT and THREAD through the session: the folder, then the messages read in batches, then one answer.
@Suite(.offCooperativePool) struct SortThreadSessionTests {
    static func selected(_ count: Int) -> (IMAPSession, FolderListing) {
        var session = IMAPSessionTests.loggedIn()
        let listing = FolderListing(uidValidity: 3, nextUID: UInt32(count + 1), messages: (1...count).map { IMAPSessionTests.message(UInt32($0)) })
        _ = IMAPSessionTests.line(&session, "s SELECT INBOX")
        _ = session.receive(.worked(.listing(listing)))
        return (session, listing)
    }

    /// Answers every batch of message reads with `header(uid)`; returns the text sent at the end.
    static func run(_ session: inout IMAPSession, _ listing: FolderListing, header: (UInt32) -> String) -> (batches: [Int], sent: [String]) {
        var actions = session.receive(.worked(.listing(listing)))
        var batches: [Int] = []
        while case let .perform(.messageData(batch, _, contents, dates, _))? = actions.last, contents, dates {
            batches.append(batch.count)
            actions = session.receive(.worked(.messageData(batch.map {
                IMAPMessageData(uid: $0.uid, contents: Array((header($0.uid) + "\r\n\r\nbody\r\n").utf8), receivedDate: Int64($0.uid))
            })))
        }
        return (batches, IMAPSessionTests.render(actions))
    }

    @Test func sortReadsInBatchesAndAnswersOnce() {
        var (session, listing) = Self.selected(300)
        #expect(IMAPSessionTests.line(&session, "a SORT (REVERSE ARRIVAL) UTF-8 NOT SUBJECT odd").first?.hasPrefix("<listing") == true)
        let (batches, sent) = Self.run(&session, listing) { uid in "Subject: \(uid % 2 == 1 ? "odd" : "even")" }
        #expect(batches == [imapContentsBatch, 300 - imapContentsBatch])
        #expect(sent == ["* SORT " + stride(from: 300, to: 0, by: -2).map(String.init).joined(separator: " ") + "\r\n", "a OK Sort completed.\r\n"])
    }

    @Test func uidThreadAnswersWithUIDs() {
        var (session, listing) = Self.selected(3)
        _ = IMAPSessionTests.line(&session, "a UID THREAD REFERENCES UTF-8 ALL")
        let (_, sent) = Self.run(&session, listing) { uid in
            ["Message-ID: <1@x>\r\nSubject: x", "Message-ID: <2@x>\r\nReferences: <1@x>\r\nSubject: Re: x", "Subject: y"][Int(uid) - 1]
        }
        // No Date: headers, so the arrival (the UID here) orders the threads.
        #expect(sent == ["* THREAD (1 2)(3)\r\n", "a OK Thread completed.\r\n"])
    }

    @Test func nothingMatchingAndBadCharsets() {
        var (session, listing) = Self.selected(2)
        _ = IMAPSessionTests.line(&session, "a THREAD ORDEREDSUBJECT US-ASCII DELETED")
        #expect(Self.run(&session, listing) { _ in "Subject: z" }.sent == ["* THREAD\r\n", "a OK Thread completed.\r\n"])
        #expect(IMAPSessionTests.line(&session, "b SORT (DATE) KOI8-R ALL") == ["b NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset.\r\n"])
        #expect(IMAPSessionTests.line(&session, "c SORT (FROB) UTF-8 ALL").first?.hasPrefix("c BAD") == true)
    }
}
