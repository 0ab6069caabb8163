public import NIOHTTP1

extension HTTPMethod {
    /// The methods of RFC 9110 §9 and PATCH (RFC 5789). A server that does not allow one of them on a resource
    /// answers 405 with `Allow`; any other method (WebDAV's, or a token NIO's parser keeps as `.RAW`) is one it does
    /// not implement: 501 (RFC 9110 §15.6.2).
    public var isGeneralPurpose: Bool {
        switch self {
        case .GET, .HEAD, .POST, .PUT, .DELETE, .CONNECT, .OPTIONS, .TRACE, .PATCH: true
        default: false
        }
    }
}
