#if canImport(Glibc)
import Glibc
#endif

/// Picks the UIDVALIDITY of a folder's new `dovecot-uidlist`: the clock's seconds, but never one this Maildir
/// already gave out, so a folder deleted and created again within a second still gets a new UIDVALIDITY
/// (RFC 3501 §2.3.1.1). The last value given is kept in `dovecot-uidvalidity` at the Maildir's root, in hex,
/// the file Dovecot keeps for the same purpose.
enum UIDValidityAllocator {
    static let fileName = "dovecot-uidvalidity"

    /// The root of the Maildir holding the folder at `folderPath` (a Maildir++ subfolder has `maildirfolder`).
    static func root(ofFolderAt folderPath: String) throws(MailStoreError) -> String {
        guard try POSIX.status(folderPath + "/maildirfolder") != nil, let slash = folderPath.lastIndex(of: "/") else { return folderPath }
        return String(folderPath[..<slash])
    }

    /// max(now, last + 1), recorded before it is returned (written in `tmp/`, renamed into place).
    static func next(forFolderAt folderPath: String, posix: POSIX, now: Int = POSIX.now().seconds) throws(MailStoreError) -> UInt32 {
        let root = try root(ofFolderAt: folderPath)
        let path = root + "/" + fileName
        let last = try POSIX.readFile(path).flatMap { bytes in
            UInt32(String(decoding: bytes, as: UTF8.self).trimmingWhitespace(), radix: 16)
        }
        var value = UInt32(truncatingIfNeeded: now)
        if let last, last >= value { value = last &+ 1 }
        if value == 0 { value = 1 }
        let staging = root + "/tmp/.shoal-uidvalidity.\(getpid()).\(DeliveryCounter.next())"
        guard let fd = try? posix.open(staging, O_WRONLY | O_CREAT | O_EXCL) else { return value }  // no tmp/: nothing kept
        do throws(MailStoreError) {
            try POSIX.writeAll(fd, Array(String(value, radix: 16).utf8), path: staging)
            try POSIX.close(fd, path: staging)
            try POSIX.rename(staging, to: path)
        } catch {
            _ = unlink(staging)
            throw error
        }
        return value
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
