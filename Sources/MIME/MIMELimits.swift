/// The caps that keep parsing hostile messages bounded in time, memory and stack.
public struct MIMELimits: Hashable, Sendable {
    /// Deepest multipart / message/rfc822 nesting parsed as structure; deeper parts are opaque leaves.
    public var maximumDepth: Int
    /// Most parts parsed in one message besides the message itself; past it, the last part of a multipart runs on
    /// over the remaining boundaries as one opaque part.
    public var maximumParts: Int

    public init(maximumDepth: Int = 100, maximumParts: Int = 10_000) {
        self.maximumDepth = maximumDepth
        self.maximumParts = maximumParts
    }

    public static let `default` = MIMELimits()
}
