/// How a document root is served: index files, autoindex, hidden files, precompressed siblings, range caps.
/// Every field has a default.
public struct StaticSite: Sendable {
    /// Names tried, in order, for a request that ends in `/`.
    public var indexFiles: [String]
    /// List a directory without an index file (else 403).
    public var autoindex: Bool
    /// The most entries an autoindex page lists.
    public var autoindexLimit: Int
    public var dotfiles: RequestPath.DotfilePolicy
    /// Serve `name.br` / `name.gz` in place of `name` when the client accepts the encoding.
    public var precompressed: Bool
    /// More ranges than this (after coalescing) and the whole file is sent.
    public var maximumRanges: Int
    public var mediaTypes: MediaTypes
    /// The `Server` header; nil sends none.
    public var serverName: String?

    public init(indexFiles: [String] = ["index.html"], autoindex: Bool = false, autoindexLimit: Int = 10_000,
                dotfiles: RequestPath.DotfilePolicy = .deny, precompressed: Bool = true, maximumRanges: Int = 16,
                mediaTypes: MediaTypes = MediaTypes(), serverName: String? = "shoal") {
        self.indexFiles = indexFiles
        self.autoindex = autoindex
        self.autoindexLimit = autoindexLimit
        self.dotfiles = dotfiles
        self.precompressed = precompressed
        self.maximumRanges = maximumRanges
        self.mediaTypes = mediaTypes
        self.serverName = serverName
    }
}
