import HTMLSanitizer
public import NIOCore
public import NIOHTTP1
public import ShoalHTTP

/// The responses of the webmail, with the headers every one of them carries: a strict Content-Security-Policy,
/// no sniffing, no framing, no referrer to other sites, no caching of private pages (and HSTS over TLS).
enum WebmailResponse {
    static func securityHeaders(secure: Bool, remoteImages: Bool = false) -> HTTPHeaders {
        var headers: HTTPHeaders = [
            "Content-Security-Policy": HTMLSanitizer.contentSecurityPolicy(remoteImages: remoteImages),
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            // same-origin, not no-referrer: under no-referrer browsers send `Origin: null` with form posts, and the
            // origin check needs the real one. Other sites still get no referrer.
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
            "Cross-Origin-Opener-Policy": "same-origin",
        ]
        if secure { headers.add(name: "Strict-Transport-Security", value: "max-age=31536000") }
        return headers
    }

    static func html(_ status: HTTPResponseStatus, _ page: String, secure: Bool, remoteImages: Bool = false,
                     cookies: [String] = []) -> HTTPServerResponse {
        var headers = securityHeaders(secure: secure, remoteImages: remoteImages)
        headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
        for cookie in cookies { headers.add(name: "Set-Cookie", value: cookie) }
        return HTTPServerResponse(status: status, headers: headers, body: ByteBuffer(string: page))
    }

    /// 303 See Other to a path of the webmail (after a POST, so reloading does not repeat it).
    static func redirect(_ location: String, secure: Bool, cookies: [String] = []) -> HTTPServerResponse {
        var headers = securityHeaders(secure: secure)
        headers.add(name: "Location", value: location)
        for cookie in cookies { headers.add(name: "Set-Cookie", value: cookie) }
        return HTTPServerResponse(status: .seeOther, headers: headers)
    }

    static func json(_ status: HTTPResponseStatus, _ body: String, secure: Bool) -> HTTPServerResponse {
        var headers = securityHeaders(secure: secure)
        headers.add(name: "Content-Type", value: "application/json")
        return HTTPServerResponse(status: status, headers: headers, body: ByteBuffer(string: body))
    }

    /// A part of a message to download: always `attachment` with an ASCII filename and its RFC 5987 form, as
    /// `application/octet-stream` unless it is an image shown inline; sandboxed and never sniffed.
    static func download(_ bytes: [UInt8], filename: String, inlineImageType: String?, secure: Bool) -> HTTPServerResponse {
        var headers = securityHeaders(secure: secure)
        headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; sandbox")
        headers.add(name: "Content-Type", value: inlineImageType ?? "application/octet-stream")
        headers.add(name: "Content-Disposition", value: contentDisposition(filename: filename, inline: inlineImageType != nil))
        return HTTPServerResponse(status: .ok, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    /// `attachment; filename="ascii"; filename*=UTF-8''escaped`: quotes, backslashes, controls and path
    /// separators replaced, so the name can neither break the header nor name a directory.
    static func contentDisposition(filename: String, inline: Bool) -> String {
        var ascii = ""
        for scalar in filename.unicodeScalars.prefix(200) {
            switch scalar.value {
            case 0x20...0x7E where !"\"\\/;%".unicodeScalars.contains(scalar): ascii.unicodeScalars.append(scalar)
            default: ascii += "_"
            }
        }
        let cleaned = String(filename.prefix(200).map { "/\\\"".contains($0) || $0.isNewline ? "_" : $0 })
        if ascii.isEmpty || ascii.allSatisfy({ $0 == "." || $0 == "_" }) { ascii = "attachment" }
        return "\(inline ? "inline" : "attachment"); filename=\"\(ascii)\"; filename*=UTF-8''\(FormFields.escape(cleaned))"
    }
}
