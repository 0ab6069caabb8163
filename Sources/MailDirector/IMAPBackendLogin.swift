import MailAccess

/// Replays a login to an IMAP node, pure: sends `AUTHENTICATE PLAIN` with the credentials as SASL-IR
/// (RFC 4959; no quoting or literals needed for any password) at once, pipelined behind the connect instead
/// of a round trip after the greeting (IMAP servers read commands whenever they come; the node's greeting
/// must still be `* OK`), and reads to the tagged answer. Untagged lines in between (a node's CAPABILITY)
/// are skipped.
public struct IMAPBackendLogin: MailBackendConversation {
    static let tag = "D1"
    enum State: Hashable, Sendable { case greeting, login, done }

    private let login: MailLogin
    private var state = State.greeting

    public init(login: MailLogin) { self.login = login }

    public mutating func start() -> [String] {
        let response = SASLBase64.encode(Array("\0\(login.user)\0\(login.password)".utf8))
        return ["\(Self.tag) AUTHENTICATE PLAIN \(response.isEmpty ? "=" : response)"]
    }

    public mutating func receive(_ line: String) -> MailBackendStep {
        switch state {
        case .greeting:
            guard line.hasPrefix("* OK") else {
                state = .done
                return .finished(.unavailable)
            }
            state = .login
            return .send([])
        case .login:
            if line.hasPrefix("* ") { return .send([]) }
            guard line.hasPrefix(Self.tag + " ") else {
                // A continuation (the node ignored SASL-IR) or a stray line: give up on this node.
                state = .done
                return .finished(.unavailable)
            }
            state = .done
            let answer = String(line.dropFirst(Self.tag.count + 1))
            if Self.startsCaseless(answer, "OK") { return .finished(.accepted(answer)) }
            if Self.startsCaseless(answer, "NO ") { return .finished(.refused(String(answer.dropFirst(3)))) }
            return .finished(.unavailable)
        case .done:
            return .send([])
        }
    }

    /// `text` starts with `word` (letters and spaces), ignoring ASCII case: no upper-cased copy of a long answer.
    static func startsCaseless(_ text: String, _ word: StaticString) -> Bool {
        var bytes = text.utf8.makeIterator()
        for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard let byte = bytes.next(), byte | 0x20 == expected | 0x20 else { return false }
        }
        return true
    }
}
