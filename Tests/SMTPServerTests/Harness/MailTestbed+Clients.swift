import Foundation
import ShoalTestFixtures

/// Real clients driven against the testbed's nodes: the Python SMTP/LMTP client (`Peers/smtp_client.py`) and swaks.
extension MailTestbed {
    /// Runs the Python SMTP client (`Peers/smtp_client.py MODE JOB.json`) and decodes its JSON answer.
    func python<Answer: Decodable>(_ mode: String, _ job: [String: Any], as: Answer.Type = Answer.self,
                                   timeout: Double = 120) async throws -> Answer {
        let jobPath = dir.file("logs/job-\(UUID().uuidString.prefix(8)).json")
        try JSONSerialization.data(withJSONObject: job, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: jobPath))
        let result = try await peers.run("smtp_client.py", [mode, jobPath], timeout: timeout)
        guard result.status == 0 else { throw HarnessError("python client \(mode) failed: \(result)") }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(result.stdout.utf8))
        } catch {
            throw HarnessError("python client \(mode): cannot decode its answer (\(error)): \(result)")
        }
    }

    /// Sends one message with smtplib (SMTP or LMTP, optional STARTTLS or implicit TLS, and AUTH); every reply is in
    /// the result.
    func smtplib(port: Int, from: String, to: [String], message: String, lmtp: Bool = false, mailOptions: [String] = [],
                 starttls: Bool = false, implicitTLS: Bool = false, auth: (mechanism: String, user: String, password: String)? = nil,
                 host: String = "127.0.0.1") async throws -> SMTPLibResult {
        var job: [String: Any] = ["host": host, "port": port, "from": from, "to": to, "message": message, "lmtp": lmtp,
                                  "mail_options": mailOptions, "starttls": starttls, "implicit_tls": implicitTLS]
        if let auth { job["auth"] = ["mechanism": auth.mechanism, "user": auth.user, "password": auth.password] }
        return try await python("smtplib", job)
    }

    /// A poplib session (`Peers/pop3_client.py`): connect (plain, STLS or implicit TLS), log in, run `steps`.
    func poplib(port: Int, user: String, password: String, tls: String = "none", auth: String = "user",
                steps: [[Any]], host: String = "127.0.0.1") async throws -> POP3LibResult {
        let jobPath = dir.file("logs/pop3-\(UUID().uuidString.prefix(8)).json")
        let job: [String: Any] = ["host": host, "port": port, "user": user, "password": password, "tls": tls,
                                  "auth": auth, "steps": steps]
        try JSONSerialization.data(withJSONObject: job).write(to: URL(fileURLWithPath: jobPath))
        let result = try await peers.run("pop3_client.py", [jobPath], timeout: 120)
        guard result.status == 0 else { throw HarnessError("poplib client failed: \(result)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw HarnessError("poplib client: no JSON object: \(result)")
        }
        return POP3LibResult(json: object)
    }

    /// An imaplib session (`Peers/imap_client.py`): connect (plain, STARTTLS or implicit TLS), log in, run `steps`.
    func imaplib(port: Int, user: String? = "alice", password: String = "alice-pw", tls: String = "implicit",
                 steps: [[Any]], host: String = "127.0.0.1") async throws -> ClientJSON {
        var job: [String: Any] = ["host": host, "port": port, "tls": tls, "steps": steps]
        if let user { job["user"] = user; job["password"] = password }
        let jobPath = dir.file("logs/imap-\(UUID().uuidString.prefix(8)).json")
        try JSONSerialization.data(withJSONObject: job).write(to: URL(fileURLWithPath: jobPath))
        let result = try await peers.run("imap_client.py", [jobPath], timeout: 120)
        guard result.status == 0 else { throw HarnessError("imaplib client failed: \(result)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw HarnessError("imaplib client: no JSON object: \(result)")
        }
        return ClientJSON(json: object)
    }

    /// A raw conversation: the greeting is read first, then each step runs in order (see `RawStep`).
    func raw(port: Int, _ steps: [RawStep], host: String = "127.0.0.1", timeout: Double = 60) async throws -> RawResult {
        try await python("raw", ["host": host, "port": port, "steps": steps.map(\.json)], timeout: timeout)
    }

    /// Sends `messages` concurrently: one thread per (target, batch), each batch over one connection.
    func flood(_ batches: [FloodBatch]) async throws -> [FloodResult] {
        try await python("flood", ["batches": batches.map(\.json)], timeout: 300)
    }

    /// Runs swaks with `arguments`.
    func swaks(_ arguments: [String]) async throws -> TestProcess.Result {
        let swaks = try requiredTool("swaks", package: "swaks")
        return try await TestProcess.run(swaks, arguments, timeout: 60)
    }
}

/// The Python programs of this target (`Peers/*.py`).
let peers = PythonPeers(Bundle.module)

/// A user to create in a test directory.
struct TestUser {
    var login: String
    var addresses: [String]
    var password: String
}
