/// The conditional headers of one request and their evaluation against a representation, in the order
/// RFC 9110 §13.2.2 prescribes. Pure.
public struct Preconditions: Sendable, Equatable {
    public var ifMatch: EntityTagCondition?
    public var ifUnmodifiedSince: Int64?
    public var ifNoneMatch: EntityTagCondition?
    public var ifModifiedSince: Int64?
    /// `If-Range`: an entity tag or a date.
    public var ifRange: IfRange?

    /// The validator `If-Range` carries.
    public enum IfRange: Sendable, Equatable {
        case tag(EntityTag)
        case date(Int64)
        /// Neither a tag nor a date: the range is never honoured.
        case invalid
    }

    /// What the request gets.
    public enum Outcome: Sendable, Equatable {
        /// Serve the representation; `honorRange` says whether a `Range` header may be used.
        case proceed(honorRange: Bool)
        /// 304: the client's copy is current.
        case notModified
        /// 412: a precondition failed.
        case preconditionFailed
    }

    public init(ifMatch: EntityTagCondition? = nil, ifUnmodifiedSince: Int64? = nil, ifNoneMatch: EntityTagCondition? = nil,
                ifModifiedSince: Int64? = nil, ifRange: IfRange? = nil) {
        self.ifMatch = ifMatch
        self.ifUnmodifiedSince = ifUnmodifiedSince
        self.ifNoneMatch = ifNoneMatch
        self.ifModifiedSince = ifModifiedSince
        self.ifRange = ifRange
    }

    /// Reads the five headers through `field` (which joins repeated field lines with `, `). Unparseable dates
    /// are ignored, as RFC 9110 requires.
    public init(field: (String) -> String?) {
        ifMatch = field("If-Match").map(EntityTagCondition.init(header:))
        ifUnmodifiedSince = field("If-Unmodified-Since").flatMap(HTTPDate.parse)
        ifNoneMatch = field("If-None-Match").map(EntityTagCondition.init(header:))
        ifModifiedSince = field("If-Modified-Since").flatMap(HTTPDate.parse)
        ifRange = field("If-Range").map { value in
            let trimmed = Substring(value).trimmingOWS()
            if trimmed.hasPrefix("\"") || trimmed.hasPrefix("W/") {
                guard case let .tags(tags) = EntityTagCondition(header: String(trimmed)), tags.count == 1 else { return .invalid }
                return .tag(tags[0])
            }
            return HTTPDate.parse(String(trimmed)).map { .date($0) } ?? .invalid
        }
    }

    /// Evaluates against the representation's tag and modification time (whole seconds); `isGetOrHead`
    /// decides between 304 and 412 when If-None-Match matches.
    public func evaluate(tag: EntityTag, lastModified: Int64, isGetOrHead: Bool) -> Outcome {
        // 1-2: If-Match, else If-Unmodified-Since.
        if let ifMatch {
            if !ifMatch.matches(tag, strong: true) { return .preconditionFailed }
        } else if let ifUnmodifiedSince, lastModified > ifUnmodifiedSince {
            return .preconditionFailed
        }
        // 3-4: If-None-Match, else If-Modified-Since (GET and HEAD only).
        if let ifNoneMatch {
            if ifNoneMatch.matches(tag, strong: false) { return isGetOrHead ? .notModified : .preconditionFailed }
        } else if isGetOrHead, let ifModifiedSince, lastModified <= ifModifiedSince {
            return .notModified
        }
        // 5: If-Range decides whether Range counts (a date must equal Last-Modified exactly; a tag must match strongly).
        switch ifRange {
        case nil: return .proceed(honorRange: true)
        case let .tag(rangeTag)?: return .proceed(honorRange: rangeTag.strongMatches(tag))
        case let .date(date)?: return .proceed(honorRange: date == lastModified)
        case .invalid?: return .proceed(honorRange: false)
        }
    }
}
