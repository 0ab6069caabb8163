import Foundation
@testable import IMAPServer
import MailStore
import Testing

/// The summary index beside the Maildir: what it keeps, and that it is only ever a cache.
@Suite struct IMAPSummaryCacheTests {
    static let message = Array("From: A <a@example.com>\r\nSubject: cached\r\nContent-Type: text/plain\r\n\r\nhello\r\n".utf8)

    @Test func summariesMatchWhatTheMessageSays() {
        let summary = IMAPMessageSummary(message: Array("Subject: lf only\n\nbody\n".utf8))
        #expect(summary.size == Array("Subject: lf only\r\n\r\nbody\r\n".utf8).count)
        #expect(String(decoding: summary.envelope, as: UTF8.self).contains("\"lf only\""))
        #expect(String(decoding: summary.body, as: UTF8.self).hasPrefix("(\"text\" \"plain\""))
    }

    @Test func recordsRoundTripAndATornTailIsNotRead() {
        let a = IMAPMessageSummary(message: Self.message), b = IMAPMessageSummary(message: Array("Subject: b\r\n\r\nx\r\n".utf8))
        let file = IMAPMessageSummary.record(key: "m1", a) + IMAPMessageSummary.record(key: "m2", b)
        let (all, intact) = IMAPMessageSummary.records(file)
        #expect(all == ["m1": a, "m2": b] && intact == file.count)
        // A crash mid-append leaves half a record: the whole ones before it still count.
        let torn = Array(file.dropLast(7))
        let (some, upTo) = IMAPMessageSummary.records(torn)
        #expect(some == ["m1": a] && upTo == IMAPMessageSummary.record(key: "m1", a).count)
        // A flipped byte fails the checksum.
        var damaged = file
        damaged[10] ^= 0xFF
        #expect(IMAPMessageSummary.records(damaged).records.isEmpty)
        for cut in 0..<file.count { _ = IMAPMessageSummary.records(Array(file.prefix(cut))) }  // never traps
    }

    @Test func theFileIsSharedExtendedAndRebuiltWhenDamaged() async throws {
        let folder = NSTemporaryDirectory() + "summary-cache-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let summary = IMAPMessageSummary(message: Self.message)
        let writer = IMAPSummaryCache(), reader = IMAPSummaryCache()  // two processes (nodes)
        await writer.store(folderPath: folder, ["m1": summary])
        #expect(await reader.summaries(folderPath: folder, keys: ["m1", "m2"]) == ["m1": summary])
        await writer.store(folderPath: folder, ["m2": summary])
        #expect(await reader.summaries(folderPath: folder, keys: ["m1", "m2"]).count == 2)
        // Garbage appended (a torn write of another node): what was intact stays, the file is rewritten.
        let path = folder + "/" + IMAPSummaryCache.fileName
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0x53, 0, 0, 0, 9, 1, 2]))
        try handle.close()
        let fresh = IMAPSummaryCache()
        #expect(await fresh.summaries(folderPath: folder, keys: ["m1", "m2"]).count == 2)
        let rewritten = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(IMAPMessageSummary.records(Array(rewritten)).intact == rewritten.count)
        // Deleting it loses nothing: it is just empty again.
        try FileManager.default.removeItem(atPath: path)
        #expect(await IMAPSummaryCache().summaries(folderPath: folder, keys: ["m1"]).isEmpty)
    }
}
