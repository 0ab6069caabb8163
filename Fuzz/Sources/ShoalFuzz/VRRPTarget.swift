import Failover
import ShoalCore

/// RFC 5798 advertisements as raw sockets deliver them: an IPv4 datagram (header + VRRP) or, when the first byte
/// is odd, a bare IPv6 VRRP payload. Decoding never traps, and what decodes encodes to bytes that decode back.
/// The decoded advert is also fed to a router in each state.
enum VRRPTarget {
    static let source6 = IPAddress("fe80::1")!

    static func run(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let rest = Array(data.dropFirst())
        let source: IPAddress, destination: IPAddress, payload: [UInt8], ttl: UInt8
        if first & 1 == 0 {
            guard let header = IPv4HeaderFields(datagram: rest) else { return }
            (source, destination, payload, ttl) = (header.source, header.destination, header.payload, header.ttl)
        } else {
            (source, destination, payload, ttl) = (source6, VRRPAdvertisement.multicastV6, rest, first & 2 == 0 ? 255 : first)
        }
        guard let advert = try? VRRPAdvertisement(decoding: payload, source: source, destination: destination, ttl: ttl) else { return }
        do {
            let encoded = try advert.encoded(source: source, destination: destination)
            let again = try VRRPAdvertisement(decoding: encoded, source: source, destination: destination, ttl: 255)
            invariant(again == advert, "a decoded advertisement does not decode back from its encoding")
        } catch {
            invariant(false, "a decoded advertisement does not round-trip: \(error)")
        }
        var router = VRRPRouter(settings: VRRPRouterSettings(virtualRouterID: advert.virtualRouterID, priority: 100, advertisementInterval: 100,
                                                             preempt: first & 4 == 0, preemptDelay: first & 8 == 0 ? 0 : 300, primaryAddress: source))
        _ = router.start(now: .zero)
        _ = router.receive(advert, from: source, now: .milliseconds(10))
        _ = router.tick(now: .seconds(10))
        _ = router.receive(advert, from: source, now: .seconds(11))
        invariant(router.state == .master ? router.advertisementDeadline != nil : router.masterDownDeadline != nil,
                  "a running router lost its timer")
    }
}
