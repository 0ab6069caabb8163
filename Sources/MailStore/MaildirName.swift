import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// A standard Maildir flag, stored as one capital letter after `:2,` in a message's file name.
public enum MailFlag: Character, Sendable, Hashable, CaseIterable, Comparable {
    case draft = "D"
    case flagged = "F"
    case passed = "P"
    case replied = "R"
    case seen = "S"
    case trashed = "T"

    public static func < (lhs: MailFlag, rhs: MailFlag) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A Maildir file name in Dovecot's style: `<base>[:2,<info>]`, the base carrying `,S=<size>,W=<vsize>`.
struct MaildirName: Hashable, Sendable {
    /// The name without the `:2,` info; this is what `dovecot-uidlist` records.
    var base: String
    /// The letters after `:2,`, or nil when the name has no info (as in `new/`).
    var info: String?

    var fullName: String { info.map { base + ":2," + $0 } ?? base }

    /// Splits a directory entry at its `:` info separator; other info versions than 2 keep no info.
    init(parsing name: String) {
        if let colon = name.firstIndex(of: ":") {
            base = String(name[..<colon])
            let rest = name[name.index(after: colon)...]
            info = rest.hasPrefix("2,") ? String(rest.dropFirst(2)) : nil
        } else {
            base = name
            info = nil
        }
    }

    init(base: String, info: String?) {
        self.base = base
        self.info = info
    }

    /// The `S=` size from the base name.
    var size: UInt64? { field("S") }
    /// The `W=` virtual (CRLF) size from the base name.
    var virtualSize: UInt64? { field("W") }

    private func field(_ key: Character) -> UInt64? {
        for part in base.split(separator: ",").dropFirst() where part.first == key && part.dropFirst().first == "=" {
            return UInt64(part.dropFirst(2))
        }
        return nil
    }

    /// The standard flags in the info.
    var flags: Set<MailFlag> { Set((info ?? "").compactMap(MailFlag.init(rawValue:))) }

    /// Keyword indices (`a` = 0 ... `z` = 25) in the info.
    var keywordIndices: [Int] {
        (info ?? "").unicodeScalars.compactMap { $0.value >= 97 && $0.value <= 122 ? Int($0.value - 97) : nil }
    }

    /// The info string for flags and keyword indices: their letters sorted, as Dovecot writes them.
    static func info(flags: Set<MailFlag>, keywordIndices: [Int]) -> String {
        let letters = flags.map(\.rawValue) + keywordIndices.map { Character(Unicode.Scalar(UInt8(97 + $0))) }
        return String(Set(letters).sorted())
    }

    /// A new base name `<secs>.M<usecs>P<pid>Q<counter>.<host>,S=<size>,W=<vsize>`.
    static func generate(
        time: (seconds: Int, microseconds: Int), pid: Int32, counter: UInt64, hostname: String,
        size: UInt64, virtualSize: UInt64
    ) -> String {
        "\(time.seconds).M\(time.microseconds)P\(pid)Q\(counter).\(escapeHostname(hostname)),S=\(size),W=\(virtualSize)"
    }

    /// Dovecot's escaping of the host name part: `/` becomes `\057` and `:` becomes `\072`.
    static func escapeHostname(_ hostname: String) -> String {
        var result = ""
        for character in hostname {
            switch character {
            case "/": result += "\\057"
            case ":": result += "\\072"
            default: result.append(character)
            }
        }
        return result
    }

    /// The size of `bytes` with every bare LF counted as CRLF (Dovecot's virtual size).
    static func virtualSize(of bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { buffer -> UInt64 in
            guard let base = buffer.baseAddress else { return 0 }
            var size = UInt64(buffer.count)
            var offset = 0
            // memchr from LF to LF: a 100 KiB message is a few thousand calls instead of a byte loop.
            while offset < buffer.count, let found = memchr(base + offset, 10, buffer.count - offset) {
                let index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if index == 0 || base[index - 1] != 13 { size += 1 }
                offset = index + 1
            }
            return size
        }
    }

    /// Orders names the way Dovecot assigns UIDs to new files: by seconds, then microseconds, then name.
    static func deliveryOrder(_ lhs: String, _ rhs: String) -> Bool {
        let left = timestamp(lhs), right = timestamp(rhs)
        if left.0 != right.0 { return left.0 < right.0 }
        if left.1 != right.1 { return left.1 < right.1 }
        return lhs < rhs
    }

    private static func timestamp(_ name: String) -> (UInt64, UInt64) {
        let parts = name.split(separator: ".", maxSplits: 2)
        let seconds = parts.first.flatMap { UInt64($0) } ?? 0
        guard parts.count > 1, parts[1].first == "M" else { return (seconds, 0) }
        let micros = parts[1].dropFirst().prefix { $0.isNumber }
        return (seconds, UInt64(micros) ?? 0)
    }
}

/// Process-wide delivery counter for the `Q` part of file names, unique across every store in the process.
enum DeliveryCounter {
    private static let value = NIOLockedValueBox<UInt64>(0)

    /// The next value (1, 2, ...).
    static func next() -> UInt64 { value.withLockedValue { $0 += 1; return $0 } }
}
