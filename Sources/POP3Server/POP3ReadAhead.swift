public import MailStore
public import NIOCore

/// The messages a POP3 connection read before they were asked for: after a RETR a client most likely asks for
/// the next messages in order, so they are read a few at a time on the store's pool and their RETRs answered
/// from memory. Bounded by a message count and bytes; refilled when half used, one read at a time. Deep enough
/// (64 messages, 512 KiB) that on a loaded machine the pool thread doing the next read has time to be scheduled.
public struct POP3ReadAhead: Sendable {
    /// How many messages the session offers as likely next (see ``POP3Following``).
    public static let candidates = 64
    /// At most this many bytes are held (messages larger than it are never read ahead).
    public static let byteLimit = 512 * 1024

    private var held: [UInt32: ByteBuffer] = [:]
    private var heldBytes = 0
    /// A read is under way (no second one starts).
    public private(set) var reading = false

    public init() {}

    /// The encoded message `uid` if it was read ahead; it is handed out once.
    public mutating func take(_ uid: UInt32) -> ByteBuffer? {
        guard let bytes = held.removeValue(forKey: uid) else { return nil }
        heldBytes -= bytes.readableBytes
        return bytes
    }

    /// The messages of `following` to read now (none while a read is under way or more than half of the
    /// count or of the bytes is still held); marks a read as under way when there are some. Messages held
    /// outside the UIDs of `following` are dropped first: the client went past them (their RETR was answered
    /// by a read of its own because it came before the read ahead finished) or jumped elsewhere, and kept they
    /// would fill the bounds so that nothing is ever read ahead again.
    public mutating func toRead(_ following: POP3Following) -> [StoredMessage] {
        if !held.isEmpty {
            let window = following.uidWindow
            for (uid, bytes) in held where !(window?.contains(uid) ?? false) {
                held[uid] = nil
                heldBytes -= bytes.readableBytes
            }
        }
        guard !reading, held.count <= Self.candidates / 2, heldBytes <= Self.byteLimit / 2 else { return [] }
        var budget = Self.byteLimit - heldBytes
        var chosen: [StoredMessage] = []
        for message in following where held[message.uid] == nil {
            guard held.count + chosen.count < Self.candidates else { break }
            let size = Int(message.virtualSize ?? message.size)
            guard size <= budget else { break }
            budget -= size
            chosen.append(message)
        }
        reading = !chosen.isEmpty
        return chosen
    }

    /// Keeps what the read produced (within the byte limit) and ends it.
    public mutating func finish(_ read: [(uid: UInt32, bytes: ByteBuffer)]) {
        reading = false
        for (uid, bytes) in read where held[uid] == nil && heldBytes + bytes.readableBytes <= Self.byteLimit {
            held[uid] = bytes
            heldBytes += bytes.readableBytes
        }
    }

    /// Drops everything (the session ended).
    public mutating func clear() {
        held = [:]
        heldBytes = 0
    }

    public var heldCount: Int { held.count }
}
