/// One access log line in Squid's native format (`logformat squid`), so Squid's log tools read it:
/// `time.ms elapsed-ms client code/status bytes method URL user hierarchy/peer type`.
public struct SquidLogLine: Sendable, Equatable {
    public var timeMilliseconds: Int64
    public var elapsedMilliseconds: Int64
    public var client: String
    /// `TCP_HIT`, `TCP_MEM_HIT`, `TCP_MISS`, `TCP_REFRESH_UNMODIFIED`, `TCP_REFRESH_MODIFIED`, `TCP_DENIED`, ...
    public var code: String
    public var status: UInt
    public var bytes: Int
    public var method: String
    public var url: String
    /// `HIER_NONE`, `HIER_DIRECT`, `SIBLING_HIT`, `PARENT_HIT`, `FIRSTUP_PARENT`, ...
    public var hierarchy: String
    public var peer: String
    public var contentType: String

    public init(timeMilliseconds: Int64, elapsedMilliseconds: Int64, client: String, code: String, status: UInt, bytes: Int, method: String,
                url: String, hierarchy: String, peer: String, contentType: String) {
        self.timeMilliseconds = timeMilliseconds
        self.elapsedMilliseconds = elapsedMilliseconds
        self.client = client
        self.code = code
        self.status = status
        self.bytes = bytes
        self.method = method
        self.url = url
        self.hierarchy = hierarchy
        self.peer = peer
        self.contentType = contentType
    }

    /// The line with its newline; spaces in the URL or type are escaped so fields stay split by spaces.
    public var text: String {
        let seconds = timeMilliseconds / 1000, millis = timeMilliseconds % 1000
        let elapsed = String(elapsedMilliseconds)
        let padded = String(repeating: " ", count: max(0, 6 - elapsed.count)) + elapsed
        func clean(_ s: String) -> String { s.isEmpty ? "-" : s.replacingSpaces() }
        return "\(seconds).\(millis < 10 ? "00" : millis < 100 ? "0" : "")\(millis) \(padded) \(clean(client)) \(code)/\(String.threeDigits(status)) "
            + "\(bytes) \(clean(method)) \(clean(url)) - \(hierarchy)/\(clean(peer)) \(clean(contentType))\n"
    }
}

extension String {
    static func threeDigits(_ value: UInt) -> String {
        let text = "\(value)"
        return String(repeating: "0", count: Swift.max(0, 3 - text.count)) + text
    }

    func replacingSpaces() -> String {
        var out = ""
        for c in unicodeScalars {
            if c == " " { out += "%20" } else if c.value < 0x20 || c.value == 0x7f { out += "%" + String(c.value, radix: 16) } else { out.unicodeScalars.append(c) }
        }
        return out
    }
}
