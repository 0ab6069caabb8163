public import NIOHTTP1

/// A request the admin API refuses: the HTTP status, a message, and the field at fault when there is one.
public struct APIError: Error, Hashable, Sendable, CustomStringConvertible {
    public var status: HTTPResponseStatus
    public var message: String
    public var field: String?

    public init(_ status: HTTPResponseStatus, _ message: String, field: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
    }

    public var description: String { "\(status.code) \(field.map { "\($0): " } ?? "")\(message)" }

    static let unauthorized = APIError(.unauthorized, "missing or wrong bearer token (send Authorization: Bearer TOKEN)")
}
