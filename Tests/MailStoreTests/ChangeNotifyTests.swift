import Foundation
@testable import MailStore
import NIOConcurrencyHelpers
import ShoalTestFixtures
import Testing

/// Change notification: the choice between inotify and polling, the event decoding and filtering, and real
/// inotify watches on a store (shared per folder, gone with the last subscriber, no descriptor left behind).
@Suite(.serialized) struct ChangeNotifyTests {
    @Test func inotifyIsChosenOnlyWhereItSeesEveryChange() {
        #expect(ChangeNotification.effective(requested: .poll, inotifyAvailable: true, filesystem: .local) == (.poll, nil))
        #expect(ChangeNotification.effective(requested: .inotify, inotifyAvailable: true, filesystem: .local) == (.inotify, nil))
        #expect(ChangeNotification.effective(requested: .inotify, inotifyAvailable: true, filesystem: .unknown) == (.inotify, nil))
        let unavailable = ChangeNotification.effective(requested: .inotify, inotifyAvailable: false, filesystem: .local)
        #expect(unavailable.mode == .poll && unavailable.fallback?.contains("not available") == true)
        let nfs = ChangeNotification.effective(requested: .inotify, inotifyAvailable: true, filesystem: .network("NFS"))
        #expect(nfs.mode == .poll && nfs.fallback?.contains("NFS") == true)
    }

    @Test func networkFilesystemsAreKnownByTheirMagic() {
        #expect(FilesystemKind(magic: 0x6969) == .network("NFS"))
        #expect(FilesystemKind(magic: 0x00C3_6400) == .network("CephFS"))
        #expect(FilesystemKind(magic: 0x6573_5546) == .network("FUSE"))
        #expect(FilesystemKind(magic: 0xFF53_4D42) == .network("CIFS"))
        #expect(FilesystemKind(magic: 0xFE53_4D42) == .network("SMB2"))
        #expect(FilesystemKind(magic: 0xEF53) == .local)        // ext4
        #expect(FilesystemKind(magic: 0x0102_1994) == .local)   // tmpfs
        #expect(FilesystemKind.of(path: "/proc") == .local)
        #expect(FilesystemKind.of(path: "/nonexistent/\(UUID())") == .unknown)
    }

    /// Two events as the kernel lays them out (the name NUL-padded), then a truncated third.
    @Test func eventsAreDecodedWholeAndATruncatedTailIsDropped() {
        func event(_ watch: Int32, _ mask: UInt32, _ name: String, padTo length: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            withUnsafeBytes(of: watch.littleEndian) { bytes += $0 }
            withUnsafeBytes(of: mask.littleEndian) { bytes += $0 }
            withUnsafeBytes(of: UInt32(0).littleEndian) { bytes += $0 }
            withUnsafeBytes(of: UInt32(length).littleEndian) { bytes += $0 }
            return bytes + Array(name.utf8) + [UInt8](repeating: 0, count: length - name.utf8.count)
        }
        let bytes = event(3, InotifyEvent.movedTo, "1.M2P3.host", padTo: 16) + event(4, InotifyEvent.deleteSelf, "", padTo: 0)
            + Array(event(5, InotifyEvent.create, "cut", padTo: 16).prefix(20))
        let events = bytes.withUnsafeBytes { InotifyEvent.parse($0) }
        #expect(events == [InotifyEvent(watch: 3, mask: InotifyEvent.movedTo, name: "1.M2P3.host"),
                           InotifyEvent(watch: 4, mask: InotifyEvent.deleteSelf, name: "")])
    }

    @Test func onlyEventsThatChangeTheListingCount() {
        let messages = FolderWatchRole.messages, control = FolderWatchRole.control
        #expect(messages.isChange(InotifyEvent(watch: 1, mask: InotifyEvent.movedTo, name: "1.M1P1.host:2,S")))
        #expect(messages.isChange(InotifyEvent(watch: 1, mask: InotifyEvent.delete, name: "1.M1P1.host:2,")))
        #expect(!messages.isChange(InotifyEvent(watch: 1, mask: InotifyEvent.create, name: ".hidden")))
        #expect(!messages.isChange(InotifyEvent(watch: 1, mask: InotifyEvent.modify, name: "1.M1P1.host")))
        #expect(messages.isChange(InotifyEvent(watch: 1, mask: InotifyEvent.deleteSelf, name: "")))
        #expect(control.isChange(InotifyEvent(watch: 2, mask: InotifyEvent.closeWrite, name: "dovecot-uidlist")))
        #expect(control.isChange(InotifyEvent(watch: 2, mask: InotifyEvent.movedTo, name: "dovecot-keywords")))
        #expect(!control.isChange(InotifyEvent(watch: 2, mask: InotifyEvent.create, name: "dovecot-uidlist.lock")))
        #expect(!control.isChange(InotifyEvent(watch: 2, mask: InotifyEvent.closeWrite, name: "shoal-summaries")))
        #expect(messages.mask & InotifyEvent.onlyDirectory != 0 && control.mask & InotifyEvent.movedTo != 0)
    }

    @Test func subscribersOfAFolderShareOneWatchAndHearDeliveriesFlagsAndExpunges() async throws {
        let root = TestSupport.makeDirectory()
        defer { TestSupport.cleanUp(root) }
        let store = TestSupport.store(root: root, fsync: false)
        let mailbox = try store.mailbox(for: MailboxOwner(login: "ann", domain: "example.com"))
        _ = try await mailbox.deliver(TestSupport.message("first"))
        let first = NIOLockedValueBox(0), second = NIOLockedValueBox(0)
        let watchA = try #require(await mailbox.watchChanges(folder: "INBOX") { first.withLockedValue { $0 += 1 } })
        let watchB = try #require(await mailbox.watchChanges(folder: "INBOX") { second.withLockedValue { $0 += 1 } })
        #expect(store.folderWatches.watchedFolderCount == 1)
        let reader = try #require(store.folderWatches.currentReader)
        #expect(!reader.isFinished)

        _ = try await mailbox.deliver(TestSupport.message("second"))
        #expect(await eventually { first.withLockedValue { $0 } > 0 && second.withLockedValue { $0 } > 0 })
        // Reading the folder is not a change.
        try await Task.sleep(for: .milliseconds(100))
        first.withLockedValue { $0 = 0 }
        let listing = try await mailbox.listing()
        try await Task.sleep(for: .milliseconds(200))
        #expect(first.withLockedValue { $0 } == 0)
        // A flag change (a rename in cur/ or new/ → cur/) and an expunge are.
        _ = try await mailbox.setFlags(listing.messages[0], flags: [.seen], keywords: [])
        #expect(await eventually { first.withLockedValue { $0 } > 0 })
        first.withLockedValue { $0 = 0 }
        _ = try await mailbox.remove([listing.messages[1]])
        #expect(await eventually { first.withLockedValue { $0 } > 0 })

        watchA.cancel()
        #expect(store.folderWatches.watchedFolderCount == 1)
        watchB.cancel()
        #expect(store.folderWatches.watchedFolderCount == 0)
        // The reading thread closes the descriptors and ends once the last folder is unwatched.
        #expect(store.folderWatches.currentReader == nil)
        #expect(await eventually { reader.isFinished })
        second.withLockedValue { $0 = 0 }
        _ = try await mailbox.deliver(TestSupport.message("unwatched"))
        try await Task.sleep(for: .milliseconds(200))
        #expect(second.withLockedValue { $0 } == 0)
    }

    @Test func aReleasedWatchIsCancelledAndAPollingStoreGivesNone() async throws {
        let root = TestSupport.makeDirectory()
        defer { TestSupport.cleanUp(root) }
        let store = TestSupport.store(root: root, fsync: false)
        let mailbox = try store.mailbox(for: MailboxOwner(login: "ann", domain: "example.com"))
        _ = try await mailbox.deliver(TestSupport.message("first"))
        var watch = await mailbox.watchChanges(folder: "INBOX") {}
        #expect(watch != nil && store.folderWatches.watchedFolderCount == 1)
        watch = nil
        // Released (the thread pool's future may hold the value a moment longer): the folder is unwatched.
        #expect(await eventually { store.folderWatches.watchedFolderCount == 0 })
        #expect(await mailbox.watchChanges(folder: "No such folder") {} == nil)
        #expect(store.folderWatches.watchedFolderCount == 0)

        var configuration = store.configuration
        configuration.changeNotification = .poll
        let polling = MailStore(configuration: configuration, threadPool: TestSupport.pool)
        let polled = try polling.mailbox(for: MailboxOwner(login: "ann", domain: "example.com"))
        #expect(await polled.watchChanges(folder: "INBOX") {} == nil)
    }
}
