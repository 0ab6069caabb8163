import Failover

/// IPVS sync protocol v1 datagrams: decoding never traps, and what decodes encodes back to the same bytes
/// (the codec keeps every field and option; padding is zero on the way out).
enum IPVSSyncTarget {
    static func run(_ data: [UInt8]) {
        guard let message = try? IPVSSyncMessage(decoding: data) else { return }
        do {
            let encoded = try message.encoded()
            invariant((try? IPVSSyncMessage(decoding: encoded)) == message, "a decoded sync message does not decode back from its encoding")
        } catch {
            invariant(false, "a decoded sync message does not encode: \(error)")
        }
    }
}
