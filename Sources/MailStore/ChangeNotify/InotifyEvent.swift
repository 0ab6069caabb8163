/// One event read from an inotify descriptor (`struct inotify_event`), and the mask bits the store uses.
struct InotifyEvent: Hashable, Sendable {
    /// The watch descriptor (-1 for a queue overflow).
    var watch: Int32
    var mask: UInt32
    /// The entry's name inside the watched directory ("" for events on the directory itself).
    var name: String

    // The kernel ABI values of <sys/inotify.h>.
    static let modify: UInt32 = 0x2
    static let closeWrite: UInt32 = 0x8
    static let movedFrom: UInt32 = 0x40
    static let movedTo: UInt32 = 0x80
    static let create: UInt32 = 0x100
    static let delete: UInt32 = 0x200
    static let deleteSelf: UInt32 = 0x400
    static let moveSelf: UInt32 = 0x800
    static let queueOverflow: UInt32 = 0x4000
    static let ignored: UInt32 = 0x8000
    static let onlyDirectory: UInt32 = 0x0100_0000

    /// The whole events in `bytes` as read(2) returned them (a truncated tail is dropped).
    static func parse(_ bytes: UnsafeRawBufferPointer) -> [InotifyEvent] {
        var events: [InotifyEvent] = []
        var offset = 0
        while offset + 16 <= bytes.count {
            let watch = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            guard offset + 16 + length <= bytes.count else { break }
            let nameBytes = bytes[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }
            events.append(InotifyEvent(watch: watch, mask: mask, name: String(decoding: nameBytes, as: UTF8.self)))
            offset += 16 + length
        }
        return events
    }
}

/// Which directory of a folder a watch is on, what it asks inotify for, and which events mean the folder changed.
enum FolderWatchRole: Hashable, Sendable {
    /// `new/` or `cur/`: a message arrived, moved between them, changed flags (a rename) or went.
    case messages
    /// The folder's own directory: `dovecot-uidlist` or `dovecot-keywords` was written or replaced.
    case control

    static let controlFiles: Set<String> = ["dovecot-uidlist", "dovecot-keywords"]
    /// The directory itself went away or moved (its folder was deleted or renamed).
    static let selfEvents = InotifyEvent.deleteSelf | InotifyEvent.moveSelf

    /// The inotify_add_watch mask.
    var mask: UInt32 {
        switch self {
        case .messages:
            InotifyEvent.create | InotifyEvent.movedTo | InotifyEvent.movedFrom | InotifyEvent.delete | Self.selfEvents
                | InotifyEvent.onlyDirectory
        case .control:
            InotifyEvent.closeWrite | InotifyEvent.movedTo | InotifyEvent.create | InotifyEvent.delete | Self.selfEvents
                | InotifyEvent.onlyDirectory
        }
    }

    /// True when `event` on this directory means the folder's listing may differ now.
    func isChange(_ event: InotifyEvent) -> Bool {
        if event.mask & (InotifyEvent.queueOverflow | Self.selfEvents) != 0 { return true }
        guard event.mask & mask != 0 else { return false }
        switch self {
        case .messages: return !event.name.hasPrefix(".")  // the listing skips dot files too
        case .control: return Self.controlFiles.contains(event.name)
        }
    }
}
