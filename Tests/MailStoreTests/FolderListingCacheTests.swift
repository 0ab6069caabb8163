import Foundation
@testable import MailStore
import Testing

/// The per-process listing cache: kept only when settled, reused only for the same stamp, bounded, and never
/// hiding a change another node made to the shared folder.
@Suite struct FolderListingCacheTests {
    static func stamp(_ time: Int64, inode: UInt64 = 1) -> FolderListingCache.Stamp {
        var info = stat()
        info.st_ino = ino_t(inode)
        info.st_mtim = timespec(tv_sec: Int(time / 1_000_000_000), tv_nsec: Int(time % 1_000_000_000))
        info.st_ctim = info.st_mtim
        let file = FolderListingCache.FileStamp(info)
        return FolderListingCache.Stamp(new: file, cur: file, uidlist: file, keywords: nil)
    }

    static func listing(_ count: Int) -> FolderListing {
        FolderListing(uidValidity: 7, nextUID: UInt32(count + 1), messages: (1...max(1, count)).prefix(count).map {
            StoredMessage(uid: UInt32($0), filename: "m\($0)", path: "/x/cur/m\($0)", size: 10, virtualSize: nil,
                          flags: [], keywords: [], isNew: false)
        })
    }

    @Test func aListingIsReusedOnlyForTheSameStampAndOnlyOnceSettled() {
        let cache = FolderListingCache()
        let second: Int64 = 1_000_000_000
        // Made 1.9 s after the newest change: a change in the same clock tick could hide, so it is not kept.
        cache.keep(Self.listing(3), folderPath: "/f", stamp: Self.stamp(100 * second), now: 101 * second + 900_000_000)
        #expect(cache.listing(folderPath: "/f", stamp: Self.stamp(100 * second)) == nil)
        cache.keep(Self.listing(3), folderPath: "/f", stamp: Self.stamp(100 * second), now: 102 * second)
        #expect(cache.listing(folderPath: "/f", stamp: Self.stamp(100 * second))?.messages.count == 3)
        #expect(cache.listing(folderPath: "/f", stamp: Self.stamp(100 * second + 1)) == nil)
        #expect(cache.listing(folderPath: "/f", stamp: Self.stamp(100 * second, inode: 2)) == nil)
        #expect(cache.listing(folderPath: "/g", stamp: Self.stamp(100 * second)) == nil)
        // A newer listing that cannot be kept still drops the old one.
        cache.keep(Self.listing(4), folderPath: "/f", stamp: Self.stamp(200 * second), now: 200 * second)
        #expect(cache.listing(folderPath: "/f", stamp: Self.stamp(100 * second)) == nil)
    }

    @Test func theLeastRecentlyUsedFoldersGoFirstWhenTooManyMessagesAreKept() {
        let cache = FolderListingCache(maximumMessages: 10)
        let stamp = Self.stamp(1_000_000_000), now: Int64 = 10_000_000_000
        cache.keep(Self.listing(4), folderPath: "/a", stamp: stamp, now: now)
        cache.keep(Self.listing(4), folderPath: "/b", stamp: stamp, now: now)
        #expect(cache.listing(folderPath: "/a", stamp: stamp) != nil)  // /a is now the more recently used
        cache.keep(Self.listing(4), folderPath: "/c", stamp: stamp, now: now)
        #expect(cache.listing(folderPath: "/b", stamp: stamp) == nil)
        #expect(cache.listing(folderPath: "/a", stamp: stamp) != nil && cache.listing(folderPath: "/c", stamp: stamp) != nil)
        // A folder larger than the whole budget is not kept at all.
        cache.keep(Self.listing(11), folderPath: "/d", stamp: stamp, now: now)
        #expect(cache.listing(folderPath: "/d", stamp: stamp) == nil)
    }

    @Test func anotherNodesDeliveriesAndFlagChangesAreSeenThroughTheCache() async throws {
        let root = TestSupport.makeDirectory("listing-cache")
        defer { TestSupport.cleanUp(root) }
        let owner = MailboxOwner(login: "cached", domain: "example.com")
        let here = try TestSupport.store(root: root, hostname: "node-a").mailbox(for: owner)
        let there = try TestSupport.store(root: root, hostname: "node-b").mailbox(for: owner)
        _ = try await here.deliver(TestSupport.message("one"))
        _ = try await here.deliver(TestSupport.message("two"))
        try await Task.sleep(for: .milliseconds(2100))  // older than the settle time: the next listing is kept
        let first = try await here.listing()
        let folderPath = try here.folderPath("INBOX")
        let stamp = try FolderListingCache.stamp(folderPath: folderPath)
        #expect(here.store.listings.listing(folderPath: folderPath, stamp: stamp) == first)
        #expect(try await here.listing() == first)

        _ = try await there.deliver(TestSupport.message("three"))
        let afterDelivery = try await here.listing()
        #expect(afterDelivery.messages.map(\.uid) == [1, 2, 3])
        _ = try await there.setFlags(afterDelivery.messages[0], flags: [.seen], keywords: ["Work"])
        let afterFlags = try await here.listing()
        #expect(afterFlags.messages[0].flags == [.seen] && afterFlags.messages[0].keywords == ["Work"])
        try await there.remove([afterFlags.messages[1]])
        #expect(try await here.listing().messages.map(\.uid) == [1, 3])
    }
}
