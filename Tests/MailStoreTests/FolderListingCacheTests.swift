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

    /// One mailbox seen by two nodes' stores on a fresh root, with messages delivered by the first and settled.
    static func twoNodes(_ label: String, delivering subjects: [String]) async throws -> (root: String, here: Mailbox, there: Mailbox) {
        let root = TestSupport.makeDirectory(label)
        let owner = MailboxOwner(login: "cached", domain: "example.com")
        let here = try TestSupport.store(root: root, hostname: "node-a").mailbox(for: owner)
        let there = try TestSupport.store(root: root, hostname: "node-b").mailbox(for: owner)
        for subject in subjects { _ = try await here.deliver(TestSupport.message(subject)) }
        try await Task.sleep(for: .milliseconds(2100))  // older than the settle time: the next listing is kept
        return (root, here, there)
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
        let (root, here, there) = try await Self.twoNodes("listing-cache", delivering: ["one", "two"])
        defer { TestSupport.cleanUp(root) }
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

    @Test func ourOwnRenameUpdatesTheKeptListingWhichIsCheckedUntilSettled() {
        let cache = FolderListingCache()
        let second: Int64 = 1_000_000_000
        let listing = Self.listing(3)
        cache.keep(listing, folderPath: "/f", stamp: Self.stamp(100 * second), now: 102 * second)
        var seen = listing.messages[1]
        seen.filename = "m2:2,S"
        seen.path = "/x/cur/m2:2,S"
        seen.flags = [.seen]
        var expected = listing
        expected.messages[1] = seen
        cache.replace(seen, folderPath: "/f", before: Self.stamp(100 * second), after: Self.stamp(200 * second))
        #expect(cache.lookup(folderPath: "/f", stamp: Self.stamp(100 * second)) == .miss)
        #expect(cache.lookup(folderPath: "/f", stamp: Self.stamp(200 * second)) == .check(expected, digest: NameDigest.of(expected)))
        #expect(cache.listing(folderPath: "/f", stamp: Self.stamp(200 * second)) == nil)
        // A check inside the settle time proves nothing about a change later in the same clock tick.
        cache.checked(folderPath: "/f", stamp: Self.stamp(200 * second), now: 201 * second)
        #expect(cache.lookup(folderPath: "/f", stamp: Self.stamp(200 * second)) == .check(expected, digest: NameDigest.of(expected)))
        cache.checked(folderPath: "/f", stamp: Self.stamp(200 * second), now: 202 * second)
        #expect(cache.lookup(folderPath: "/f", stamp: Self.stamp(200 * second)) == .hit(expected))
        // A rename whose stamp before is not the kept one (something else changed first) drops the listing.
        cache.replace(listing.messages[0], folderPath: "/f", before: Self.stamp(150 * second), after: Self.stamp(300 * second))
        #expect(cache.lookup(folderPath: "/f", stamp: Self.stamp(200 * second)) == .miss)
        #expect(cache.lookup(folderPath: "/f", stamp: Self.stamp(300 * second)) == .miss)
        // So does one for a UID the listing does not have.
        cache.keep(listing, folderPath: "/f", stamp: Self.stamp(100 * second), now: 102 * second)
        var unknown = seen
        unknown.uid = 9
        cache.replace(unknown, folderPath: "/f", before: Self.stamp(100 * second), after: Self.stamp(300 * second))
        #expect(cache.lookup(folderPath: "/f", stamp: Self.stamp(300 * second)) == .miss)
    }

    @Test func aFlagChangeHereKeepsTheListingCurrentWithoutAScanAndOthersRenamesStillShow() async throws {
        let (root, here, there) = try await Self.twoNodes("listing-inplace", delivering: ["one", "two", "three"])
        defer { TestSupport.cleanUp(root) }
        let first = try await here.listing()
        let allNew = first.messages.allSatisfy(\.isNew)
        #expect(allNew)
        let folderPath = try here.folderPath("INBOX")
        let seen = try #require(try await here.setFlags(first.messages[0], flags: [.seen], keywords: []))
        let stamp = try FolderListingCache.stamp(folderPath: folderPath)
        guard case let .check(kept, digest) = here.store.listings.lookup(folderPath: folderPath, stamp: stamp) else {
            Issue.record("the flag change did not update the kept listing")
            return
        }
        #expect(kept.messages[0] == seen && Array(kept.messages.dropFirst()) == Array(first.messages.dropFirst()))
        // What another node's scan finds, name for name.
        #expect(try await there.listing() == kept)
        #expect(try NameDigest.onDisk(folderPath: folderPath) == digest)
        #expect(try await here.listing() == kept)

        // Another node's rename between this node's two stamps (or in the same clock tick) hides behind the
        // stamp; the names on disk still tell.
        let flagged = try #require(try await there.setFlags(first.messages[1], flags: [.flagged], keywords: []))
        here.store.listings.replace(seen, folderPath: folderPath, before: stamp,
                                    after: try FolderListingCache.stamp(folderPath: folderPath))
        let after = try await here.listing()
        #expect(after.messages.map(\.flags) == [[.seen], [.flagged], []])
        #expect(after.messages[1] == flagged)
        // And a rename by another node later on changes the stamp, as before.
        _ = try await there.setFlags(after.messages[2], flags: [.seen, .flagged], keywords: [])
        #expect(try await here.listing().messages.map(\.flags) == [[.seen], [.flagged], [.seen, .flagged]])
    }
}
