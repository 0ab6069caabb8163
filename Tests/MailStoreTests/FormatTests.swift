@testable import MailStore
import Testing

/// The on-disk formats alone: uidlist, file names, keywords, maildirsize, folder names, mailbox paths.
@Suite struct FormatTests {
    @Test func uidlistVersion3RoundTrips() throws {
        let text = """
            3 V1700000000 N5 G0123456789abcdef0123456789abcdef
            1 :1700000000.M1P2Q3.host,S=10,W=12
            3 G5f4e W1394 :1700000001.M2P2Q4.host,S=20,W=21
            7 :1700000002.M3P9.other

            """
        let list = try UIDList.parse(Array(text.utf8), path: "/x/dovecot-uidlist")
        #expect(list.version == 3 && list.uidValidity == 1_700_000_000 && list.headerNextUID == 5)
        #expect(list.guid == "0123456789abcdef0123456789abcdef")
        #expect(list.records.map(\.uid) == [1, 3, 7])
        #expect(list.records[1].extensions == ["G5f4e", "W1394"])
        #expect(list.records[1].filename == "1700000001.M2P2Q4.host,S=20,W=21")
        #expect(list.nextUID == 8)
        #expect(list.canAppend)
        // Rewritten, only N moves up to the next UID.
        #expect(String(decoding: list.serialized(), as: UTF8.self) == text.replacingOccurrences(of: "N5", with: "N8"))
    }

    @Test func uidlistUnfinishedLastLineIsIgnoredAndForcesRewrite() throws {
        let list = try UIDList.parse(Array("3 V9 N1 G00\n1 :a\n2 :b".utf8), path: "p")
        #expect(list.records.map(\.uid) == [1])
        #expect(!list.canAppend)
    }

    @Test func uidlistVersion1IsReadAndRewrittenAsVersion3() throws {
        var list = try UIDList.parse(Array("1 1234 3\n1 a\n2 b:2,S\n".utf8), path: "p")
        #expect(list.version == 1 && list.records.map(\.filename) == ["a", "b:2,S"])
        #expect(!list.canAppend)
        list.guid = "ff"
        #expect(String(decoding: list.serialized(), as: UTF8.self).hasPrefix("3 V1234 N3 Gff\n"))
    }

    @Test(arguments: [
        ("", 1), ("2 V1 N1\n", 1), ("3 N1 G0\n", 1), ("3 V1 N1 G0\nx :a\n", 2), ("3 V1 N1 G0\n2 :a\n2 :b\n", 3),
        ("3 V1 N1 G0\n1 a\n", 2),
    ])
    func uidlistErrorsNameTheLine(_ text: String, _ line: Int) {
        #expect(throws: MailStoreError.self) { try UIDList.parse(Array(text.utf8), path: "/m/dovecot-uidlist") }
        do {
            _ = try UIDList.parse(Array(text.utf8), path: "/m/dovecot-uidlist")
        } catch {
            guard case .corruptFile(let path, let found, _) = error else { Issue.record("\(error)"); return }
            #expect(path == "/m/dovecot-uidlist" && found == line)
        }
    }

    @Test func namesFollowDovecot() {
        let base = MaildirName.generate(
            time: (1_700_000_000, 42), pid: 77, counter: 5, hostname: "mx/1:a", size: 10, virtualSize: 12)
        #expect(base == "1700000000.M42P77Q5.mx\\0571\\072a,S=10,W=12")
        let name = MaildirName(parsing: base + ":2,FRSac")
        #expect(name.base == base && name.size == 10 && name.virtualSize == 12)
        #expect(name.flags == [.flagged, .replied, .seen] && name.keywordIndices == [0, 2])
        #expect(MaildirName(parsing: "x,S=5").info == nil)
        #expect(MaildirName.info(flags: [.trashed, .draft, .seen, .passed, .replied, .flagged], keywordIndices: [25, 0])
            == "DFPRSTaz")
        #expect(MaildirName.virtualSize(of: Array("a\nb\r\nc\n".utf8)) == 9)
        for (text, size) in [("", 0), ("\n", 2), ("\r\n", 2), ("\r\r\n\n", 5), ("\n\n", 4), ("x\r", 2)] {
            #expect(MaildirName.virtualSize(of: Array(text.utf8)) == UInt64(size), "\(Array(text.utf8))")
        }
        // Against the byte loop it replaces, on random CR/LF-heavy data.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let bytes = (0..<Int.random(in: 0...300, using: &generator)).map { _ in [10, 13, 65][Int.random(in: 0...2, using: &generator)] as UInt8 }
            var expected = UInt64(bytes.count), previous: UInt8 = 0
            for byte in bytes {
                if byte == 10 && previous != 13 { expected += 1 }
                previous = byte
            }
            #expect(MaildirName.virtualSize(of: bytes) == expected)
        }
        #expect(MaildirName.deliveryOrder("9.M10P1.h", "10.M1P1.h") && MaildirName.deliveryOrder("9.M9P1.h", "9.M10P1.h"))
    }

    @Test func keywordTable() throws {
        var table = KeywordTable.parse(Array("0 $Forwarded\n2 Work\nbroken\n30 Far\n".utf8))
        #expect(table.names == [0: "$Forwarded", 2: "Work"])
        #expect(table.index(of: "work") == 2)
        #expect(table.add("Junk") == 1)
        #expect(String(decoding: table.serialized(), as: UTF8.self) == "0 $Forwarded\n1 Junk\n2 Work\n")
        for bad in ["", "\\Seen", "a b", "a(b", "ü"] {
            #expect(throws: MailStoreError.self) { try KeywordTable.validate(bad) }
        }
        try KeywordTable.validate("$Label1")
    }

    @Test func maildirSizeFile() {
        #expect(MaildirSize.definition(limitBytes: 1000, limitMessages: 10) == "1000S,10C")
        #expect(MaildirSize.definition(limitBytes: nil, limitMessages: 7) == "7C")
        let size = MaildirSize.parse(Array("1000S,10C\n  100   2\n50 1\n-20 -1\n".utf8))
        #expect(size == MaildirSize(definition: "1000S,10C", bytes: 130, messages: 2))
        #expect(MaildirSize.parse(Array("1000S\n5 x\n".utf8)) == nil)
        #expect(MaildirSize.parse(Array("1000S\n5 1".utf8)) == nil)
        #expect(MaildirSize.parse(Array("1000S\n-5 1\n".utf8)) == nil)
    }

    @Test func folderNames() throws {
        #expect(try FolderName.directoryName("INBOX") == nil && FolderName.directoryName("inbox") == nil)
        #expect(try FolderName.directoryName("Sent") == ".Sent")
        #expect(try FolderName.directoryName("Archive/2024") == ".Archive.2024")
        #expect(try FolderName.directoryName("Entwürfe") == ".Entw&APw-rfe")
        #expect(try FolderName.directoryName("R&D") == ".R&-D")
        #expect(FolderName.modifiedUTF7("台北") == "&U,BTFw-")
        for bad in ["", ".Hidden", "A//B", "A.", "Tab\there"] {
            #expect(throws: MailStoreError.self) { try FolderName.directoryName(bad) }
        }
    }

    @Test func mailboxPaths() throws {
        #expect(try MailboxOwner(login: "Bob", domain: "Example.COM").maildirPath(root: "/srv/mail/") == "/srv/mail/example.com/bob")
        #expect(try MailboxOwner(login: "Ann@Example.org").maildirPath(root: "/m") == "/m/example.org/ann")
        #expect(try MailboxOwner(login: "local").maildirPath(root: "/m") == "/m/local")
        #expect(try MailboxOwner(login: "x", domain: "d", location: "/home/x/Maildir/").maildirPath(root: "/m") == "/home/x/Maildir")
        for owner in [
            MailboxOwner(login: "x", location: "Maildir"), MailboxOwner(login: "../x", domain: "d"),
            MailboxOwner(login: "x", domain: ".."), MailboxOwner(login: "", domain: "d"),
            MailboxOwner(login: "x", location: "/a/../b"),
        ] {
            #expect(throws: MailStoreError.self) { try owner.maildirPath(root: "/m") }
        }
    }

    @Test func errorsNameOperationAndPath() {
        let error = MailStoreError.io(operation: "rename to /m/new/x", path: "/m/tmp/x", errno: 2)
        #expect(error.description == "rename to /m/new/x /m/tmp/x: No such file or directory (errno 2)")
        let quota = MailStoreError.quotaExceeded(
            path: "/m", usage: QuotaUsage(bytes: 60, messages: 1, limitBytes: 100), messageSize: 50)
        #expect(quota.description == "quota exceeded for /m: using 60 bytes in 1 messages, message of 50 bytes, limit 100 bytes")
    }
}
