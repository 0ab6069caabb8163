/// A parsed message: its bytes and its MIME tree, with ENVELOPE, BODYSTRUCTURE and section lookup for IMAP.
///
/// Parsing never fails and never traps: whatever the bytes, there is a tree whose every range lies in the message.
/// ``parse(_:limits:)`` is the one entry point (the fuzz target calls it).
public struct MIMEMessage: Hashable, Sendable {
    /// The message as given.
    public let bytes: [UInt8]
    /// Every part in order of appearance; `parts[0]` is the message itself.
    public let parts: [MessagePart]

    /// Parses a message in one pass, bounded by `limits`.
    public static func parse(_ bytes: some Collection<UInt8>, limits: MIMELimits = .default) -> MIMEMessage {
        MIMEMessage(bytes: Array(bytes), limits: limits)
    }

    public init(bytes: [UInt8], limits: MIMELimits = .default) {
        self.bytes = bytes
        var parser = MIMEParser(bytes: bytes, limits: limits)
        self.parts = parser.parse()
    }

    /// The message itself.
    public var root: MessagePart { parts[0] }

    /// The message's header.
    public var header: MessageHeader { root.header }

    /// The message's ENVELOPE.
    public var envelope: Envelope { Envelope(header: root.header) }

    /// The index of the part a section path names (RFC 3501 §6.4.5), nil when there is none. The empty path is the
    /// root; in a non-multipart message (or encapsulated message) part 1 is the message's own body, and, as Dovecot
    /// answers, part 1 of any other single part is that part.
    public func partIndex(at path: [Int]) -> Int? {
        var current = 0
        // The root starts as a message; after each step the current part is a body part, whose message/rfc822
        // content is entered (as a message) before the next number applies. A single part is its own part 1,
        // once: `1.1` of a single-part message, like `2.1.1` of a text part, names nothing (as in Dovecot).
        var isMessageRole = true
        var isSelf = false
        for number in path {
            if !isMessageRole, parts[current].kind == .message, let inner = parts[current].children.first {
                current = inner
                isMessageRole = true
            }
            let part = parts[current]
            if part.kind == .multipart {
                guard number >= 1, number <= part.children.count else { return nil }
                current = part.children[number - 1]
                isSelf = false
            } else if number == 1 && (isMessageRole || !isSelf) {
                isSelf = true
            } else {
                return nil
            }
            isMessageRole = false
        }
        return current
    }

    /// The part a section path names.
    public func part(at path: [Int]) -> MessagePart? { partIndex(at: path).map { parts[$0] } }

    /// The bytes of a section, as slices of the message except HEADER.FIELDS(.NOT), which are assembled; nil when
    /// the section names nothing (no such part, or HEADER/TEXT of a part that is not message/rfc822).
    public func bytes(of section: MessageSection) -> [UInt8]? {
        guard let index = partIndex(at: section.path) else { return nil }
        switch section.text {
        case .mime:
            guard !section.path.isEmpty, let range = range(of: section) else { return nil }
            return Array(bytes[range])
        case let .headerFields(names):
            return messageEntity(index, section: section).map { parts[$0].header.selectedFields(names) }
        case let .headerFieldsNot(names):
            return messageEntity(index, section: section).map { parts[$0].header.selectedFields(names, excluding: true) }
        case nil, .header, .text:
            return range(of: section).map { Array(bytes[$0]) }
        }
    }

    /// Where a section lies in ``bytes``; nil for HEADER.FIELDS(.NOT) (not one range) and for what does not exist.
    public func range(of section: MessageSection) -> Range<Int>? {
        guard let index = partIndex(at: section.path) else { return nil }
        switch section.text {
        case nil:
            return section.path.isEmpty ? 0..<bytes.count : parts[index].bodyRange
        case .mime:
            return section.path.isEmpty ? nil : parts[index].headerRange
        case .header:
            return messageEntity(index, section: section).map { parts[$0].headerRange }
        case .text:
            return messageEntity(index, section: section).map { parts[$0].bodyRange }
        case .headerFields, .headerFieldsNot:
            return nil
        }
    }

    /// The message whose HEADER/TEXT a section names: the root for the empty path, the encapsulated message of a
    /// message/rfc822 part otherwise.
    private func messageEntity(_ index: Int, section: MessageSection) -> Int? {
        if section.path.isEmpty { return 0 }
        guard parts[index].kind == .message else { return nil }
        return parts[index].children.first
    }

    /// The ENVELOPE of a message/rfc822 part's encapsulated message, or of a message entity (the root, an
    /// encapsulated message) itself; nil for other parts.
    public func envelope(ofPart index: Int) -> Envelope? {
        guard parts.indices.contains(index) else { return nil }
        if parts[index].kind == .message, let inner = parts[index].children.first { return Envelope(header: parts[inner].header) }
        return parts[index].isMessage ? Envelope(header: parts[index].header) : nil
    }
}
