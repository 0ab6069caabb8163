import Foundation
import ShoalTestFixtures
import Testing

/// The IMAP extensions end to end against Dovecot 2.3 on the same store: LIST-EXTENDED, LIST-STATUS, ESEARCH and
/// INTERNALDATE answered the same way by both; and mutt reading the mailbox over IMAPS.
@Suite(.serialized)
struct IMAPExtensionsIntegrationTests {
    /// The commands both servers get, in one session each (the folders were made through Shoal first).
    static let commands = [
        "LIST (SUBSCRIBED RECURSIVEMATCH) \"\" %",                 // 0
        "LIST (SUBSCRIBED) \"\" *",                                 // 1
        "LIST (SUBSCRIBED RECURSIVEMATCH) \"\" * RETURN (CHILDREN)", // 2
        "LIST \"\" (INBOX F* T*) RETURN (SUBSCRIBED CHILDREN)",      // 3
        "LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))",              // 4
        "LIST \"\" *",                                              // 5
        "LIST (SUBSCRIBED RECURSIVEMATCH) \"\" % RETURN (SUBSCRIBED STATUS (MESSAGES))", // 6
        "SELECT INBOX",                                             // 7 (not compared)
        "SEARCH RETURN (MIN MAX ALL COUNT) UNSEEN",                 // 8
        "UID SEARCH RETURN () 1:*",                                 // 9
        "SEARCH RETURN (COUNT) DELETED",                            // 10
        "UID SEARCH RETURN (MIN MAX) SEEN",                         // 11
        "SEARCH RETURN (MIN MAX ALL) 2:4",                          // 12
        "FETCH 1:* (INTERNALDATE)",                                 // 13
    ]

    @Test func listExtendedListStatusESearchAndInternalDateAgreeWithDovecot() async throws {
        let bed = try MailTestbed("imap-ext-dovecot")
        defer { bed.shutdown() }
        let node = try await IMAPIntegrationTests.node("imap-ext-dovecot", bed: bed, messages: 5)
        let port = try #require(node.spec.imapsPort)
        let setup = try await bed.imaplib(port: port, steps: [
            ["create", "Fruit"], ["create", "Fruit/Apple"], ["create", "Fruit/Banana"], ["create", "Tofu"], ["create", "Archive/2020"],
            ["subscribe", "INBOX"], ["subscribe", "Fruit/Banana"], ["subscribe", "Tofu"], ["subscribe", "Vegetable"],
            ["subscribe", "Archive/2020"], ["select", "INBOX"], ["store", "2,4", "+FLAGS", "(\\Seen)"],
        ])
        #expect((0..<12).allSatisfy { setup.status($0) == "OK" }, "\(setup)")
        // Message 1 arrived on the 5th of January (a day < 10: RFC 3501 allows " 5" and "05"; Dovecot writes "05").
        let maildir = bed.maildir("alice")
        let uidOne = maildir.uidlistText?.split(separator: "\n").first { $0.hasPrefix("1 ") }?.split(separator: " ").last
            .map { String($0.drop { $0 == ":" }) }
        let base = try #require(uidOne, "\(maildir.uidlistText ?? "no uidlist")")
        let first = try #require(maildir.messageFiles.first { ($0 as NSString).lastPathComponent.hasPrefix(base) }, "\(maildir.messageFiles)")
        let touched = try await TestProcess.run("/usr/bin/touch", ["-d", "2026-01-05 08:09:10 UTC", first])
        #expect(touched.status == 0, "\(touched)")

        let ours = try await bed.imaplib(port: port, steps: Self.commands.map { ["raw", $0] })
        let dovecotText = try await DovecotView.imap(maildir.path, scratch: bed.dir, commands: Self.commands, inPlace: false,
                                                     oneAtATime: true)
        let theirs = IMAPResponses.groups(dovecot: dovecotText, count: Self.commands.count)
        for (index, command) in Self.commands.enumerated() where index != 7 {
            let shoal = IMAPResponses.normalized(ours.lines(index)), dovecot = IMAPResponses.normalized(theirs[index])
            #expect(ours.lines(index).last?.hasPrefix("TAG OK") == true, "\(command): \(ours.lines(index))")
            #expect(!shoal.isEmpty && shoal == dovecot, "\(command)\nShoal:   \(shoal)\nDovecot: \(dovecot)\n\(dovecotText)")
        }
        // The answers themselves, so that agreeing on nothing cannot pass.
        #expect(ours.lines(0).contains("* LIST () \"/\" Fruit (CHILDINFO (\"SUBSCRIBED\"))"), "\(ours.lines(0))")
        #expect(ours.lines(1).contains("* LIST (\\Subscribed \\NonExistent) \"/\" Vegetable"), "\(ours.lines(1))")
        #expect(ours.lines(4).contains("* STATUS INBOX (MESSAGES 5 UNSEEN 3)"), "\(ours.lines(4))")
        #expect(ours.lines(8).first?.hasSuffix("\") MIN 1 MAX 5 ALL 1,3,5 COUNT 3") == true, "\(ours.lines(8))")
        #expect(ours.lines(13).first == "* 1 FETCH (INTERNALDATE \"05-Jan-2026 08:09:10 +0000\")", "\(ours.lines(13))")
    }

    /// Messages for SORT and THREAD: replies by References and In-Reply-To, a missing parent, Re:/Fwd:/[list]
    /// subjects, dates in several zones, a missing and a broken Date, different senders, recipients and sizes.
    static let sortMessages: [[String]] = [
        ["From: Carol <carol@x.test>", "To: <zed@y.test>", "Subject: Beta", "Date: Mon, 1 Dec 2026 10:00:00 +0000", "Message-ID: <m1@t>"],
        ["From: <Amy@x.test>", "To: <bob@y.test>", "Subject: Re: Beta", "Date: Mon, 1 Dec 2026 11:00:00 +0100", "Message-ID: <m2@t>",
         "References: <m1@t>"],
        ["From: <bob@x.test>", "To: <amy@y.test>", "Cc: <dan@x.test>", "Subject: [list] Alpha", "Message-ID: <m3@t>"],
        ["From: \"Dan D\" <dan@x.test>", "To: <carol@y.test>", "Subject: Re: lost", "Date: 30 Nov 2026 09:00:00 -0500",
         "Message-ID: <m4@t>", "In-Reply-To: <gone@t>"],
        ["From: <eve@x.test>", "Subject: Fwd: lost", "Date: 30 Nov 2026 08:00:00 +0000", "Message-ID: <m5@t>", "References: <gone@t>"],
        ["From: <amy@x.test>", "Cc: <bob@x.test>", "Subject: alpha (fwd)", "Date: Wed, 2 Dec 2026 07:00:00 +0000", "Message-ID: <m6@t>",
         "References: <m3@t>"],
        ["From: \"Zoe\" <zoe@x.test>", "To: <amy@y.test>", "Subject: gamma", "Date: someday", "Message-ID: <m7@t>"],
        ["From: <fay@x.test>", "Subject: Re: gamma", "Date: 1 Dec 2026 09:00:00 +0000", "Message-ID: <m8@t>"],
    ]

    static let sortCommands = [
        "SELECT INBOX",                                  // 0 (not compared)
        "SORT (ARRIVAL) UTF-8 ALL", "SORT (DATE) UTF-8 ALL", "SORT (REVERSE DATE) UTF-8 ALL", "SORT (FROM) UTF-8 ALL",
        "SORT (TO) UTF-8 ALL", "SORT (CC) UTF-8 ALL", "SORT (SIZE) UTF-8 ALL", "SORT (SUBJECT) UTF-8 ALL",
        "SORT (SUBJECT REVERSE ARRIVAL) UTF-8 ALL", "UID SORT (REVERSE SUBJECT DATE) UTF-8 1:*", "SORT (FROM SUBJECT) US-ASCII NOT FROM eve",
        "THREAD ORDEREDSUBJECT UTF-8 ALL", "THREAD REFERENCES UTF-8 ALL", "UID THREAD REFERENCES UTF-8 ALL",
        "THREAD REFERENCES UTF-8 SUBJECT lost", "SORT (DISPLAYFROM) UTF-8 ALL", "SORT (DISPLAYTO REVERSE SIZE) UTF-8 ALL",
    ]

    @Test func sortAndThreadAnswerAsDovecotDoes() async throws {
        let bed = try MailTestbed("imap-sort-dovecot")
        defer { bed.shutdown() }
        let node = try await IMAPIntegrationTests.node("imap-sort-dovecot", bed: bed, messages: 0)
        let port = try #require(node.spec.imapsPort)
        for (index, header) in Self.sortMessages.enumerated() {
            let body = String(repeating: "line \(index)\r\n", count: (index * 7) % 5 + 1)
            let sent = try await bed.smtplib(port: node.smtpPort, from: IMAPIntegrationTests.sender, to: ["alice@shoal.test"],
                                             message: header.joined(separator: "\r\n") + "\r\n\r\n" + body)
            #expect(sent.data.map(\.code) == [250], "\(sent)")
        }
        let ours = try await bed.imaplib(port: port, steps: Self.sortCommands.map { ["raw", $0] })
        let dovecotText = try await DovecotView.imap(bed.maildir("alice").path, scratch: bed.dir, commands: Self.sortCommands, inPlace: false,
                                                     oneAtATime: true)
        let theirs = IMAPResponses.groups(dovecot: dovecotText, count: Self.sortCommands.count)
        for (index, command) in Self.sortCommands.enumerated() where index != 0 {
            let shoal = ours.lines(index).filter { $0.hasPrefix("* SORT") || $0.hasPrefix("* THREAD") }
            let dovecot = theirs[index].filter { $0.hasPrefix("* SORT") || $0.hasPrefix("* THREAD") }
            #expect(ours.lines(index).last?.hasPrefix("TAG OK") == true, "\(command): \(ours.lines(index))")
            #expect(shoal.count == 1 && shoal == dovecot, "\(command)\nShoal:   \(shoal)\nDovecot: \(dovecot)")
        }
        #expect(ours.lines(1).first == "* SORT 1 2 3 4 5 6 7 8", "\(ours.lines(1))")
        // The threads worked out by hand from RFC 5256: the two replies to the missing <gone@t> under a dummy, the
        // References replies under their parents, "Re: gamma" under "gamma" by subject.
        #expect(ours.lines(13).first == "* THREAD ((5)(4))(1 2)(3 6)(7 8)", "\(ours.lines(13))")
        #expect(ours.lines(12).first == "* THREAD (5 4)(8 7)(1 2)(6 3)", "\(ours.lines(12))")
    }

    @Test func muttReadsTheMailboxOverIMAPS() async throws {
        let bed = try MailTestbed("imap-mutt")
        defer { bed.shutdown() }
        let node = try await IMAPIntegrationTests.node("imap-mutt", bed: bed, messages: 2)
        let port = try #require(node.spec.imapsPort)
        let certificate = try #require(node.spec.tls?.certificate)
        let mutt = try requiredTool("mutt", package: "mutt")
        let script = try requiredTool("script", package: "bsdutils")  // mutt wants a terminal: script(1) gives it one
        let home = try bed.dir.makeDirectory("mutt")
        let rc = home + "/muttrc", saved = home + "/saved.mbox"
        // Folders on the server: mutt then never asks whether to create ~/Mail (a prompt would eat the pushed keys).
        try """
            set folder="imaps://alice@127.0.0.1:\(port)/"
            set spoolfile="imaps://alice@127.0.0.1:\(port)/INBOX"
            set imap_user="alice"
            set imap_pass="alice-pw"
            set certificate_file="\(certificate)"
            set ssl_verify_host=no
            set ssl_starttls=no
            set mbox_type=mbox
            set confirmappend=no
            set confirmcreate=no
            set delete=no
            set move=no
            set quit=yes
            set header_cache=""
            set message_cachedir=""
            set mail_check=0
            set timeout=10

            """.write(toFile: rc, atomically: true, encoding: .utf8)
        // Tag every message, copy the tagged ones to a local mbox, quit: mutt's keys, pushed at start.
        let keys = "<tag-pattern>~A<enter><tag-prefix><copy-message>\(saved)<enter><quit>"
        let command = "\(mutt) -n -F \(rc) -f imaps://alice@127.0.0.1:\(port)/INBOX -e 'push \"\(keys)\"'"
        let run = try await TestProcess.run(script, ["-qec", command, "/dev/null"],
                                            environment: ["HOME": home, "TERM": "vt100", "PATH": "/usr/bin:/bin"], timeout: 90)
        let text = (try? String(contentsOfFile: saved, encoding: .utf8)) ?? ""
        #expect(run.status == 0, "mutt: \(run)")
        #expect(text.components(separatedBy: "\nFrom ").count == 2 && text.hasPrefix("From "), "two messages in mbox form: \(text)\n\(run)")
        #expect(text.contains("Subject: imap 1") && text.contains("Subject: imap 2") && text.contains("with the word zebra"), "\(text)\n\(run)")
        #expect(run.stdout.contains("Tag:2"), "mutt tagged both messages: \(run)")
    }
}
