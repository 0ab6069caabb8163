/// The RFC 2186 opcodes (section 2.1); unknown values are a decoding error, not a crash.
public enum ICPOpcode: UInt8, Hashable, Sendable, CaseIterable {
    case invalid = 0
    case query = 1
    case hit = 2
    case miss = 3
    case err = 4
    case secho = 10
    case decho = 11
    case missNoFetch = 21
    case denied = 22
    case hitObj = 23

    /// True for the opcodes a peer sends back in answer to a query or an echo.
    public var isReply: Bool {
        switch self {
        case .hit, .miss, .err, .secho, .decho, .missNoFetch, .denied, .hitObj: return true
        case .invalid, .query: return false
        }
    }
}

/// The option flags of an ICP header (RFC 2186 section 2.2).
public struct ICPOptions: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// ICP_FLAG_HIT_OBJ: the querier accepts the object in an ICP_OP_HIT_OBJ reply.
    public static let hitObject = ICPOptions(rawValue: 0x8000_0000)
    /// ICP_FLAG_SRC_RTT: the querier asks for (or the reply carries) the source round-trip time.
    public static let sourceRTT = ICPOptions(rawValue: 0x4000_0000)
}

extension ICPOpcode {
    /// The RFC's name without its `ICP_OP_` prefix, lowercased (`hit`, `miss_nofetch`, ...): a metrics label.
    public var label: String {
        switch self {
        case .invalid: return "invalid"
        case .query: return "query"
        case .hit: return "hit"
        case .miss: return "miss"
        case .err: return "err"
        case .secho: return "secho"
        case .decho: return "decho"
        case .missNoFetch: return "miss_nofetch"
        case .denied: return "denied"
        case .hitObj: return "hit_obj"
        }
    }
}
