public import Director

/// Why the nftables dataplane cannot carry a table: the service (when one is to blame) and the reason.
public struct NFTRulesetError: Error, Hashable, Sendable, CustomStringConvertible {
    public var service: VirtualServiceKey?
    public var reason: String

    public init(service: VirtualServiceKey?, _ reason: String) {
        self.service = service
        self.reason = reason
    }

    public var description: String {
        "the nftables dataplane cannot carry " + (service.map { "service \($0)" } ?? "this table") + ": " + reason
    }
}
