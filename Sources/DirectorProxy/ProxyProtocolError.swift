/// Why bytes at the start of a connection are not a valid PROXY protocol header.
public struct ProxyProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem it is.
    public enum Kind: Hashable, Sendable {
        /// The first bytes are neither `PROXY ` (v1) nor the v2 signature.
        case notProxyProtocol
        /// A v1 line without CR LF within 107 bytes.
        case lineTooLong
        /// A v1 line that does not follow the grammar.
        case malformedLine
        /// A v2 header with a bad version, command, family, protocol or length.
        case malformedBinary
        /// The header is longer than the receiver allows.
        case headerTooLong
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "PROXY protocol: \(message)" }
}
