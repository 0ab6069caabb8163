import IMAPServer
import MailStore
import NIOCore
import Testing

/// LIST-EXTENDED (RFC 5258) and LIST-STATUS (RFC 5819) through the session: the folders answer in, LIST lines out.
@Suite struct ListExtendedTests {
    /// INBOX, Drafts, Trash, Fruit/Apple, Fruit/Banana (Fruit itself selectable), Tofu (no children).
    static let folders = [
        MailFolder(name: "INBOX", selectable: true, hasChildren: false),
        MailFolder(name: "Drafts", selectable: true, hasChildren: false),
        MailFolder(name: "Fruit", selectable: true, hasChildren: true),
        MailFolder(name: "Fruit/Apple", selectable: true, hasChildren: false),
        MailFolder(name: "Fruit/Banana", selectable: true, hasChildren: false),
        MailFolder(name: "Tofu", selectable: true, hasChildren: false),
        MailFolder(name: "Trash", selectable: true, hasChildren: false),
    ]
    /// Subscribed: INBOX, Fruit/Banana, Tofu, and Vegetable (which does not exist).
    static let subscribed = ["INBOX", "Fruit/Banana", "Tofu", "Vegetable"]

    /// The LIST lines (and the tagged answer) for a command, after the `.folders` work.
    static func list(_ command: String, subscribed: [String] = subscribed) -> [String] {
        var session = IMAPSessionTests.loggedIn()
        let asked = IMAPSessionTests.line(&session, command)
        guard asked == ["<folders>"] else { return asked }
        return IMAPSessionTests.render(session.receive(.worked(.folders(folders, subscribed: subscribed))))
    }

    @Test func capabilitiesAdvertiseListExtendedListStatusAndESearch() {
        var session = IMAPSessionTests.loggedIn()
        let capabilities = IMAPSessionTests.line(&session, "c CAPABILITY").joined()
        for name in ["LIST-EXTENDED", "LIST-STATUS", "ESEARCH", "CHILDREN", "SPECIAL-USE"] {
            #expect(capabilities.contains(" \(name)"), "\(name) in \(capabilities)")
        }
    }

    @Test func basicListIsUnchanged() {
        #expect(Self.list("a LIST \"\" %") == [
            "* LIST (\\HasNoChildren) \"/\" INBOX\r\n", "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n",
            "* LIST (\\HasChildren) \"/\" Fruit\r\n", "* LIST (\\HasNoChildren) \"/\" Tofu\r\n",
            "* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n", "a OK List completed.\r\n",
        ])
        #expect(Self.list("a LIST \"\" \"\"") == ["* LIST (\\Noselect) \"/\" \"\"\r\n", "a OK List completed.\r\n"])
    }

    @Test func subscribedSelectionListsSubscribedNamesIncludingNonExistentOnes() {
        // As Dovecot answers: extended LIST shows children only when RETURN (CHILDREN) asks.
        #expect(Self.list("a LIST (SUBSCRIBED) \"\" *") == [
            "* LIST (\\Subscribed) \"/\" INBOX\r\n", "* LIST (\\Subscribed) \"/\" Fruit/Banana\r\n",
            "* LIST (\\Subscribed) \"/\" Tofu\r\n", "* LIST (\\Subscribed \\NonExistent) \"/\" Vegetable\r\n",
            "a OK List completed.\r\n",
        ])
        #expect(Self.list("a LIST (SUBSCRIBED) \"\" V* RETURN (CHILDREN)")
            == ["* LIST (\\Subscribed \\NonExistent \\HasNoChildren) \"/\" Vegetable\r\n", "a OK List completed.\r\n"])
        // REMOTE changes nothing here (there are no remote mailboxes).
        #expect(Self.list("a LIST (SUBSCRIBED REMOTE) \"\" *") == Self.list("a LIST (SUBSCRIBED) \"\" *"))
    }

    @Test func recursiveMatchGivesChildInfoForParentsOfSubscribedNamesThePatternMisses() {
        // Fruit is not subscribed but Fruit/Banana is and `%` does not reach it: Fruit comes with CHILDINFO.
        #expect(Self.list("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" % RETURN (CHILDREN)") == [
            "* LIST (\\Subscribed \\HasNoChildren) \"/\" INBOX\r\n",
            "* LIST (\\HasChildren) \"/\" Fruit (CHILDINFO (\"SUBSCRIBED\"))\r\n",
            "* LIST (\\Subscribed \\HasNoChildren) \"/\" Tofu\r\n", "* LIST (\\Subscribed \\NonExistent \\HasNoChildren) \"/\" Vegetable\r\n",
            "a OK List completed.\r\n",
        ])
        // With `*` the subscribed child is listed itself, so the parent is left out (RFC 5258 §4: no redundant parents).
        let all = Self.list("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" *")
        #expect(!all.contains { $0.contains("\" Fruit ") || $0.hasSuffix("\" Fruit\r\n") }, "\(all)")
        #expect(all.contains("* LIST (\\Subscribed) \"/\" Fruit/Banana\r\n"), "\(all)")
        // A subscribed parent with a subscribed child keeps its own attributes and gets CHILDINFO too.
        let both = Self.list("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" Fruit", subscribed: ["Fruit", "Fruit/Apple"])
        #expect(both == ["* LIST (\\Subscribed) \"/\" Fruit (CHILDINFO (\"SUBSCRIBED\"))\r\n", "a OK List completed.\r\n"])
        // A missing parent of a subscribed name: \NonExistent with CHILDINFO.
        let missing = Self.list("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" %", subscribed: ["Archive/2020"])
        #expect(missing == ["* LIST (\\NonExistent) \"/\" Archive (CHILDINFO (\"SUBSCRIBED\"))\r\n", "a OK List completed.\r\n"])
    }

    @Test func returnOptionsSubscribedAndChildren() {
        let lines = Self.list("a LIST \"\" (INBOX Fruit/%) RETURN (SUBSCRIBED CHILDREN)")
        #expect(lines == [
            "* LIST (\\Subscribed \\HasNoChildren) \"/\" INBOX\r\n", "* LIST (\\HasNoChildren) \"/\" Fruit/Apple\r\n",
            "* LIST (\\Subscribed \\HasNoChildren) \"/\" Fruit/Banana\r\n", "a OK List completed.\r\n",
        ])
    }

    @Test func multiplePatternsListEachMailboxOnce() {
        let lines = Self.list("a LIST \"\" (\"*\" \"Fruit/*\" \"inbox\")")
        #expect(lines.filter { $0.hasSuffix("\" Fruit/Apple\r\n") }.count == 1 && lines.filter { $0.hasSuffix(" INBOX\r\n") }.count == 1, "\(lines)")
        #expect(lines.count == Self.folders.count + 1, "\(lines)")
    }

    @Test func specialUseSelection() {
        #expect(Self.list("a LIST (SPECIAL-USE) \"\" *") == [
            "* LIST (\\Drafts) \"/\" Drafts\r\n", "* LIST (\\Trash) \"/\" Trash\r\n", "a OK List completed.\r\n",
        ])
    }

    @Test func badOptionsAreBAD() {
        #expect(Self.list("a LIST (FROB) \"\" *").first?.hasPrefix("a BAD Unknown LIST selection option") == true)
        #expect(Self.list("a LIST \"\" * RETURN (FROB)").first?.hasPrefix("a BAD Unknown LIST return option") == true)
        #expect(Self.list("a LIST (REMOTE RECURSIVEMATCH) \"\" *").first?.hasPrefix("a BAD RECURSIVEMATCH") == true)
        let many = "(" + Array(repeating: "x", count: 65).joined(separator: " ") + ")"
        #expect(Self.list("a LIST \"\" \(many)").first == "a BAD Too many mailbox patterns.\r\n")
    }

    @Test func listStatusFollowsEachSelectableMailboxWithItsStatus() {
        var session = IMAPSessionTests.loggedIn()
        _ = IMAPSessionTests.line(&session, "a LIST (SUBSCRIBED) \"\" * RETURN (STATUS (MESSAGES UNSEEN UIDNEXT))")
        let asked = session.receive(.worked(.folders(Self.folders, subscribed: Self.subscribed)))
        // Vegetable does not exist: no STATUS asked for it.
        guard asked.count == 1, case let .perform(.listings(folders)) = asked[0] else {
            Issue.record("expected one listings work: \(IMAPSessionTests.render(asked))")
            return
        }
        #expect(folders == ["INBOX", "Fruit/Banana", "Tofu"])
        let inbox = FolderListing(uidValidity: 1, nextUID: 4, messages: [IMAPSessionTests.message(1, flags: [.seen]), IMAPSessionTests.message(3)])
        let lines = IMAPSessionTests.render(session.receive(.worked(.listings([inbox, nil, FolderListing(uidValidity: 2, nextUID: 1, messages: [])]))))
        #expect(lines == [
            "* LIST (\\Subscribed) \"/\" INBOX\r\n", "* STATUS INBOX (MESSAGES 2 UNSEEN 1 UIDNEXT 4)\r\n",
            "* LIST (\\Subscribed) \"/\" Fruit/Banana\r\n",  // unreadable: its STATUS is left out
            "* LIST (\\Subscribed) \"/\" Tofu\r\n", "* STATUS Tofu (MESSAGES 0 UNSEEN 0 UIDNEXT 1)\r\n",
            "* LIST (\\Subscribed \\NonExistent) \"/\" Vegetable\r\n", "a OK List completed.\r\n",
        ])
    }
}
