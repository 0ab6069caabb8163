import Foundation

/// One SMTP reply: code and text (continuation lines joined by newlines). Code 0 means the server closed instead.
struct Reply: Decodable, Hashable, CustomStringConvertible {
    var code: Int
    var text: String
    var description: String { "\(code) \(text)" }
    /// The enhanced status code at the start of the text (`5.7.1`), if any.
    var enhanced: String? { text.split(separator: " ").first.map(String.init).flatMap { $0.contains(".") ? $0 : nil } }
}

/// What `smtp_client.py smtplib` saw: every reply of one smtplib conversation.
struct SMTPLibResult: Decodable, CustomStringConvertible {
    var ehlo: Reply?
    var features: [String]
    var starttls: Reply?
    var featuresAfterTLS: [String]?
    var tlsVersion: String?
    var auth: Reply?
    var mail: Reply?
    var rcpt: [Reply]
    /// DATA's final reply; LMTP: one per accepted recipient.
    var data: [Reply]
    var error: String?

    enum CodingKeys: String, CodingKey {
        case ehlo, features, starttls, featuresAfterTLS = "features_after_tls", tlsVersion = "tls_version", auth, mail,
             rcpt, data, error
    }

    var description: String {
        "ehlo=\(ehlo.map(\.description) ?? "-") starttls=\(starttls.map(\.description) ?? "-") "
            + "auth=\(auth.map(\.description) ?? "-") mail=\(mail.map(\.description) ?? "-") rcpt=\(rcpt) data=\(data) "
            + "error=\(error ?? "-")"
    }
}

/// A step of a raw conversation.
enum RawStep {
    /// Send these octets (given as a string of code points 0-255).
    case send(String)
    /// Read this many replies.
    case read(Int)
    /// Create this file (to tell the test "I got here").
    case mark(String)
    /// Read until the server closes or this many seconds pass, recording what came.
    case drain(seconds: Double)
    case sleep(Double)

    var json: [Any] {
        switch self {
        case let .send(text): return ["send", text]
        case let .read(count): return ["read", count]
        case let .mark(path): return ["mark", path]
        case let .drain(seconds): return ["drain", seconds]
        case let .sleep(seconds): return ["sleep", seconds]
        }
    }

    /// Sends `command` + CRLF and reads its reply.
    static func command(_ command: String) -> [RawStep] { [.send(command + "\r\n"), .read(1)] }
}

/// What `smtp_client.py raw` saw: the replies read and, after `drain`, what came and how the connection ended.
struct RawResult: Decodable, CustomStringConvertible {
    /// The greeting, then every reply read, in order.
    var replies: [Reply]
    /// What `drain` saw.
    var drained: String?
    var closed: Bool?
    var reset: Bool?
    var error: String?

    var description: String {
        "replies=\(replies) drained=\(drained.map { "\"\($0)\"" } ?? "-") closed=\(closed.map(String.init) ?? "-") "
            + "reset=\(reset.map(String.init) ?? "-") error=\(error ?? "-")"
    }
}

/// Messages one flood thread sends over one connection.
struct FloodBatch {
    var port: Int
    var from: String
    var to: String
    var messages: [String]
    var json: [String: Any] { ["host": "127.0.0.1", "port": port, "from": from, "to": to, "messages": messages] }
}

/// The final reply to one flooded message.
struct FloodResult: Decodable {
    var port: Int
    var index: Int
    var reply: Reply
}

/// What `Peers/pop3_client.py` saw: the greeting, CAPA, the login reply and one answer per step (JSON values).
struct POP3LibResult: CustomStringConvertible, @unchecked Sendable {
    let json: [String: Any]

    var greeting: String { json["greeting"] as? String ?? "" }
    var capabilities: [String] { json["capa"] as? [String] ?? [] }
    var capabilitiesAfterTLS: [String]? { json["capa_after_tls"] as? [String] }
    /// The login's reply text, or nil when it failed (see `loginError`).
    var login: String? { json["login"] as? String }
    var loginError: String? { (json["login"] as? [String: Any])?["error"] as? String }
    var answers: [Any] { json["answers"] as? [Any] ?? [] }

    func lines(_ step: Int) -> [String] { answers.indices.contains(step) ? answers[step] as? [String] ?? [] : [] }
    func text(_ step: Int) -> String? { answers.indices.contains(step) ? answers[step] as? String : nil }
    func error(_ step: Int) -> String? { (answers.indices.contains(step) ? answers[step] as? [String: Any] : nil)?["error"] as? String }
    func retrieved(_ step: Int) -> (resp: String, lines: [String])? {
        guard answers.indices.contains(step), let object = answers[step] as? [String: Any] else { return nil }
        return (object["resp"] as? String ?? "", object["lines"] as? [String] ?? [])
    }
    func stat(_ step: Int) -> [Int] { answers.indices.contains(step) ? answers[step] as? [Int] ?? [] : [] }

    var description: String {
        (try? String(decoding: JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self)) ?? "\(json)"
    }
}

/// The JSON a Python client printed (`imap_client.py`): top-level fields and one answer per step.
struct ClientJSON: CustomStringConvertible, @unchecked Sendable {
    let json: [String: Any]

    func string(_ key: String) -> String? { json[key] as? String }
    func strings(_ key: String) -> [String] { json[key] as? [String] ?? [] }
    var answers: [Any] { json["answers"] as? [Any] ?? [] }
    /// Step `n`'s status (`OK`, `NO`) or nil when it raised.
    func status(_ n: Int) -> String? { (answers.indices.contains(n) ? answers[n] as? [Any] : nil)?.first as? String }
    /// Step `n`'s data items flattened to text.
    func data(_ n: Int) -> [String] {
        guard answers.indices.contains(n), let answer = answers[n] as? [Any], answer.count > 1 else { return [] }
        func flatten(_ value: Any) -> [String] {
            if let text = value as? String { return [text] }
            if let list = value as? [Any] { return list.flatMap(flatten) }
            return []
        }
        return flatten(answer[1])
    }
    func error(_ n: Int) -> String? { (answers.indices.contains(n) ? answers[n] as? [String: Any] : nil)?["error"] as? String }
    /// Raw lines of an `idle` step.
    func lines(_ n: Int) -> [String] { answers.indices.contains(n) ? answers[n] as? [String] ?? [] : [] }

    var description: String {
        (try? String(decoding: JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self)) ?? "\(json)"
    }
}
