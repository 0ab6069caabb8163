import ShoalCore
import Webmail

extension MailNodeConfiguration {
    /// `http:` and `https:`: the webmail's listeners. Plain HTTP only on a loopback address and only with
    /// `allow_plaintext: true` (passwords and session cookies would otherwise cross the network in clear).
    static func webmailListeners(_ doc: ConfigNode) throws(ConfigError) -> (http: Endpoint?, https: Endpoint?) {
        var http: Endpoint?
        if let node = try doc.optional("http") {
            try node.allowOnly(["listen", "allow_plaintext"])
            let listen = try node.required("listen")
            let endpoint = try listen.endpoint()
            guard try node.optional("allow_plaintext")?.bool() == true else {
                throw node.error("webmail over plain HTTP needs allow_plaintext: true (and a loopback address); use https")
            }
            let text = endpoint.address.description
            guard text.hasPrefix("127.") || text == "::1" else {
                throw listen.error("plain HTTP is allowed on loopback addresses only; use https")
            }
            http = endpoint
        }
        var https: Endpoint?
        if let node = try doc.optional("https") {
            try node.allowOnly(["listen"])
            https = try node.required("listen").endpoint()
        }
        return (http, https)
    }

    /// The `webmail:` block (every field optional).
    mutating func parseWebmail(_ doc: ConfigNode) throws(ConfigError) {
        webmail.hostname = hostname
        webmail.maximumMessageBytes = maximumMessageSize
        webmail.secure = http == nil
        guard let node = try doc.optional("webmail") else { return }
        try node.allowOnly(["admins", "idle_timeout", "absolute_timeout", "page_size", "secret_file", "audit_log", "max_sessions"])
        if let admins = try node.optional("admins") {
            webmail.admins = Set(try admins.list().map { (n: ConfigNode) throws(ConfigError) -> String in try n.string() })
        }
        if let idle = try node.optional("idle_timeout") { webmail.idleTimeoutSeconds = Double(try idle.int(in: 60...86_400)) }
        if let absolute = try node.optional("absolute_timeout") { webmail.absoluteTimeoutSeconds = Double(try absolute.int(in: 300...2_592_000)) }
        if let size = try node.optional("page_size") { webmail.pageSize = try size.int(in: 5...500) }
        if let sessions = try node.optional("max_sessions") { webmail.maximumSessions = try sessions.int(in: 1...1_000_000) }
        webmailSecretFile = try node.optional("secret_file")?.string()
        webmail.auditLogPath = try node.optional("audit_log")?.string()
    }
}
