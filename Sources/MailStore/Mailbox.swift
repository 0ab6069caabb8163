/// One user's Maildir++ mailbox at `path`: deliver into its folders, list them, read its quota usage.
public struct Mailbox: Sendable {
    let store: MailStore
    public let owner: MailboxOwner
    /// The Maildir root (INBOX); other folders are `.Name` directories inside it.
    public let path: String

    var maildir: Maildir { Maildir(root: path) }

    /// The directory of `folder` (the root for INBOX, `.Name` inside it otherwise); it may not exist yet.
    public func folderPath(_ folder: String) throws(MailStoreError) -> String {
        try maildir.folderPath(folder)
    }

    /// Stores `message` byte for byte in `folder` (created if needed) and returns once it is on stable storage
    /// with its UID in `dovecot-uidlist`. With flags or keywords it goes to `cur/`, else to `new/`.
    public func deliver(
        _ message: some Collection<UInt8>, folder: String = "INBOX",
        flags: Set<MailFlag> = [], keywords: [String] = []
    ) async throws(MailStoreError) -> DeliveredMessage {
        let delivery = try Delivery(mailbox: self, message: Array(message), folder: folder, flags: flags, keywords: keywords)
        return try await delivery.run()
    }

    /// The messages of `folder` with UIDs, in UID order; files not yet in `dovecot-uidlist` get UIDs first.
    public func messages(folder: String = "INBOX") async throws(MailStoreError) -> [StoredMessage] {
        try await listing(folder: folder).messages
    }

    /// The folder's UIDVALIDITY, next UID and messages.
    public func listing(folder: String = "INBOX") async throws(MailStoreError) -> FolderListing {
        try await Listing(mailbox: self, folder: folder).run()
    }

    /// Bytes and messages in use with the owner's limits, from `maildirsize` or by counting the tree.
    public func usage() async throws(MailStoreError) -> QuotaUsage {
        let maildir = self.maildir, owner = self.owner
        return try await store.blocking("read quota usage", maildir.maildirSizePath) { () throws(MailStoreError) in
            try maildir.usage(limitBytes: owner.quotaBytes, limitMessages: owner.quotaMessages)
        }
    }
}

/// A message just delivered: its UID in the folder, file name and sizes.
public struct DeliveredMessage: Sendable, Hashable {
    public var folder: String
    public var uid: UInt32
    public var uidValidity: UInt32
    /// The file name including any `:2,<flags>` info.
    public var filename: String
    public var path: String
    /// Bytes stored (`S=`).
    public var size: UInt64
    /// Size with CRLF line ends (`W=`).
    public var virtualSize: UInt64
}

/// A message found in a folder, with its UID from `dovecot-uidlist` and flags from its file name.
public struct StoredMessage: Sendable, Hashable {
    public var uid: UInt32
    public var filename: String
    public var path: String
    public var size: UInt64
    public var virtualSize: UInt64?
    public var flags: Set<MailFlag>
    public var keywords: [String]
    /// Still in `new/` (not yet seen by any IMAP session).
    public var isNew: Bool

    public init(uid: UInt32, filename: String, path: String, size: UInt64, virtualSize: UInt64?, flags: Set<MailFlag>,
                keywords: [String], isNew: Bool) {
        self.uid = uid
        self.filename = filename
        self.path = path
        self.size = size
        self.virtualSize = virtualSize
        self.flags = flags
        self.keywords = keywords
        self.isNew = isNew
    }
}

/// A folder's UID state and messages.
public struct FolderListing: Sendable, Hashable {
    public var uidValidity: UInt32
    public var nextUID: UInt32
    public var messages: [StoredMessage]

    public init(uidValidity: UInt32, nextUID: UInt32, messages: [StoredMessage]) {
        self.uidValidity = uidValidity
        self.nextUID = nextUID
        self.messages = messages
    }
}
