import NIOHTTP1

/// What a request head says about its body.
struct BodyAnnouncement {
    var declaredLength: Int?
    var isChunked: Bool
    var expectsContinue: Bool

    init(_ head: HTTPRequestHead) {
        declaredLength = head.headers.first(name: "Content-Length").flatMap { Int($0) }
        isChunked = head.headers["Transfer-Encoding"].contains { $0.lowercased().contains("chunked") }
        expectsContinue = head.headers.first(name: "Expect")?.lowercased() == "100-continue"
    }

    /// True when body bytes follow the head.
    var isAnnounced: Bool { isChunked || (declaredLength ?? 0) > 0 }
}

extension HTTPResponseStatus {
    /// False for 1xx, 204 and 304, which never carry a body or a `Content-Length` of their own.
    var mayHaveBody: Bool {
        code >= 200 && code != 204 && code != 304
    }
}
