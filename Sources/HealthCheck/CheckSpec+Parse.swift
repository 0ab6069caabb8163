public import ShoalCore

extension CheckSpec {
    /// The fields every check accepts.
    static let commonFields: Set<String> = [
        "type", "delay_loop", "connect_timeout", "retry", "delay_before_retry", "rise", "fall", "connect_ip", "connect_port",
    ]

    /// The fields each kind adds to the common ones.
    static let kindFields: [String: Set<String>] = [
        "tcp": [], "pop3": [], "imap": [], "icp": [],
        "http": ["path", "status", "body", "digest", "virtualhost"],
        "smtp": ["helo_name"],
        "command": ["command", "dynamic_weight", "timeout"],
    ]

    /// The kinds in the order error messages list them.
    static let kindNames = ["tcp", "http", "smtp", "pop3", "imap", "icp", "command"]

    /// Reads a check from YAML; a bad field is an error naming the file, the line and the field.
    ///
    /// ```yaml
    /// type: http          # tcp | http | smtp | pop3 | imap | icp | command
    /// delay_loop: 5       # seconds, fractions allowed
    /// connect_timeout: 3
    /// retry: 1
    /// delay_before_retry: 1
    /// rise: 1
    /// fall: 1
    /// connect_ip: 10.0.0.9     # optional override
    /// connect_port: 8080       # optional override
    /// path: /health            # http
    /// status: 200-299          # http: "200", "200-299", "200,204" or a list
    /// body: ok                 # http: substring of the body
    /// digest: 9a0364b9e99bb480dd25e1f0284c8555   # http: MD5 of the body
    /// virtualhost: www.example # http: Host header
    /// helo_name: director.example  # smtp
    /// command: /usr/local/bin/check-db  # command
    /// timeout: 2               # command (default: delay_loop)
    /// dynamic_weight: true     # command
    /// ```
    public static func parse(_ node: ConfigNode) throws(ConfigError) -> CheckSpec {
        let type = try node.required("type").choice(kindNames)
        try node.allowOnly(commonFields.union(kindFields[type] ?? []))

        let kind: CheckKind
        switch type {
        case "tcp": kind = .tcp
        case "pop3": kind = .pop3
        case "imap": kind = .imap
        case "icp": kind = .icp
        case "smtp":
            let helo = try node.optional("helo_name")?.string() ?? "localhost"
            guard !helo.isEmpty, !helo.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw try node.required("helo_name").error("'\(helo)' is not a host name")
            }
            kind = .smtp(heloName: helo)
        case "http": kind = .http(try parseHTTP(node))
        default: kind = .command(try parseCommand(node))
        }

        var spec = CheckSpec(kind: kind)
        if let n = try node.optional("delay_loop") { spec.delayLoop = try positiveSeconds(n) }
        if let n = try node.optional("connect_timeout") { spec.connectTimeout = try positiveSeconds(n) }
        if let n = try node.optional("retry") { spec.retry = try n.int(in: 0...100) }
        if let n = try node.optional("delay_before_retry") { spec.delayBeforeRetry = try n.seconds(in: 0...86_400) }
        if let n = try node.optional("rise") { spec.rise = try n.int(in: 1...1000) }
        if let n = try node.optional("fall") { spec.fall = try n.int(in: 1...1000) }
        if let n = try node.optional("connect_ip") {
            let text = try n.string()
            guard let address = IPAddress(text) else { throw n.error("'\(text)' is not an IPv4 or IPv6 address") }
            spec.connectIP = address
        }
        if let n = try node.optional("connect_port") { spec.connectPort = UInt16(try n.int(in: 1...65535)) }
        return spec
    }

    static func positiveSeconds(_ node: ConfigNode) throws(ConfigError) -> Double {
        let value = try node.seconds(in: 0...86_400)
        guard value > 0 else { throw node.error("must be more than 0 seconds") }
        return value
    }

    static func parseHTTP(_ node: ConfigNode) throws(ConfigError) -> HTTPCheck {
        var http = HTTPCheck()
        if let n = try node.optional("path") {
            let path = try n.string()
            guard path.hasPrefix("/"), !path.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw n.error("'\(path)' is not a request path (it must start with / and hold no spaces)")
            }
            http.path = path
        }
        if let n = try node.optional("status") { http.status = try parseStatus(n) }
        if let n = try node.optional("body") {
            let body = try n.string()
            guard !body.isEmpty else { throw n.error("the body substring is empty") }
            http.body = body
        }
        if let n = try node.optional("digest") {
            let digest = try n.string().lowercased()
            guard digest.count == 32, digest.allSatisfy({ $0.isHexDigit }) else {
                throw n.error("'\(digest)' is not an MD5 digest (32 hex digits)")
            }
            http.digest = digest
        }
        if let n = try node.optional("virtualhost") {
            let host = try n.string()
            guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw n.error("'\(host)' is not a host name")
            }
            http.virtualhost = host
        }
        return http
    }

    static func parseStatus(_ node: ConfigNode) throws(ConfigError) -> HTTPStatusSet {
        let texts: [(ConfigNode, String)]
        if let items = try? node.list() {
            guard !items.isEmpty else { throw node.error("the status list is empty") }
            var collected: [(ConfigNode, String)] = []
            for item in items { collected.append((item, try item.string())) }
            texts = collected
        } else {
            texts = [(node, try node.string())]
        }
        var ranges: [ClosedRange<Int>] = []
        for (item, text) in texts {
            guard let set = HTTPStatusSet(text) else {
                throw item.error("'\(text)' is not a status or status range (such as 200, 200-299, 200,204; codes 100-599)")
            }
            ranges += set.ranges
        }
        return HTTPStatusSet(ranges: ranges)
    }

    static func parseCommand(_ node: ConfigNode) throws(ConfigError) -> CommandCheck {
        let commandNode = try node.required("command")
        let command = try commandNode.string()
        guard !command.trimmingCharacters(in: " ").isEmpty else { throw commandNode.error("the command is empty") }
        var check = CommandCheck(command: command)
        if let n = try node.optional("timeout") { check.timeout = try positiveSeconds(n) }
        if let n = try node.optional("dynamic_weight") { check.dynamicWeight = try n.bool() }
        return check
    }
}

extension String {
    func trimmingCharacters(in character: Character) -> Substring { Substring(self).trimmingCharacters(in: character) }
}
