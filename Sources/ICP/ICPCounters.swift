/// Counts of an ICP endpoint: datagrams in and out by opcode, and dropped ones by reason.
public struct ICPCounters: Sendable, Equatable {
    public var received: [ICPOpcode: Int] = [:]
    public var sent: [ICPOpcode: Int] = [:]
    /// Dropped datagrams by reason: `short`, `version`, `length`, `too_long`, `other`.
    public var dropped: [String: Int] = [:]

    public init() {}

    /// Counts a datagram that was dropped.
    public mutating func drop(_ error: ICPDecodingError) {
        dropped[Self.reason(error), default: 0] += 1
    }

    /// The label a drop is counted under.
    public static func reason(_ error: ICPDecodingError) -> String {
        switch error {
        case .shorterThanHeader: return "short"
        case .unsupportedVersion: return "version"
        case .lengthMismatch: return "length"
        case .tooLong: return "too_long"
        default: return "other"
        }
    }
}
