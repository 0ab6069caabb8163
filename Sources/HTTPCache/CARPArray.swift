import Foundation

/// A CARP array (draft-vinod-carp-v1-03, the hash Squid's `carp` parents use): each URL is owned by the member
/// with the highest score, its combined URL/member hash times the member's load-factor multiplier. Members'
/// shares follow their weights, and a member joining or leaving moves only the URLs it wins or owned.
public struct CARPArray: Sendable, Equatable {
    /// One member: its name (hashed), weight, and what the draft derives from them.
    public struct Member: Sendable, Equatable {
        public var name: String
        public var weight: Int
        /// The member's hash (draft §3.1).
        public var hash: UInt32
        /// The load-factor multiplier X_k (draft §3.3); 0 for weight 0.
        public var multiplier: Double
    }

    /// Members in the order given.
    public let members: [Member]

    /// `weight` 0 keeps a member in the array without ever choosing it.
    public init(_ members: [(name: String, weight: Int)]) {
        let total = members.reduce(0) { $0 + max(0, $1.weight) }
        var built = members.map { Member(name: $0.name, weight: max(0, $0.weight), hash: Self.memberHash($0.name), multiplier: 0) }
        // Load factors P_k in ascending order, then X_1 = (K·P_1)^(1/K) and
        // X_k = ((K−k+1)(P_k − P_{k−1}) / ∏X_{1..k−1} + X_{k−1}^(K−k+1))^(1/(K−k+1)).
        let factors = built.map { member -> Double in
            guard total > 0 else { return 0 }
            let factor = Double(member.weight) / Double(total)
            return (factor * 1000).rounded(.down) == 0 ? 0 : factor
        }
        let order = built.indices.filter { factors[$0] > 0 }.sorted { (factors[$0], $0) < (factors[$1], $1) }
        let count = Double(order.count)
        var product = 1.0, previousFactor = 0.0, previousMultiplier = 0.0
        for (position, index) in order.enumerated() {
            let remaining = count - Double(position)
            var multiplier = remaining * (factors[index] - previousFactor) / product
            multiplier += pow(previousMultiplier, remaining)
            multiplier = pow(multiplier, 1 / remaining)
            built[index].multiplier = multiplier
            product *= multiplier
            previousMultiplier = multiplier
            previousFactor = factors[index]
        }
        self.members = built
    }

    /// The member hash: the URL hash of the name, then multiplied in and rotated (draft §3.1).
    public static func memberHash(_ name: String) -> UInt32 {
        var hash = urlHash(name)
        hash &+= hash &* 0x6253_1965
        return rotateLeft(hash, 21)
    }

    /// The URL hash: each byte added to the hash rotated left by 19 (draft §3.2).
    public static func urlHash(_ url: String) -> UInt32 {
        var hash: UInt32 = 0
        for byte in url.utf8 { hash &+= rotateLeft(hash, 19) &+ UInt32(byte) }
        return hash
    }

    /// The combined hash of a URL hash and a member hash (draft §3.4).
    public static func combinedHash(url: UInt32, member: UInt32) -> UInt32 {
        var hash = url ^ member
        hash &+= hash &* 0x6253_1965
        return rotateLeft(hash, 21)
    }

    /// Every member's score for `url` (0 for weight 0).
    public func scores(for url: String) -> [Double] {
        let hash = Self.urlHash(url)
        return members.map { Double(Self.combinedHash(url: hash, member: $0.hash)) * $0.multiplier }
    }

    /// Member indices by descending score for `url`, weight-0 members left out: the owner first, then whom
    /// its URLs fall to when it is down.
    public func ranking(for url: String) -> [Int] {
        let scores = scores(for: url)
        return members.indices.filter { members[$0].multiplier > 0 }.sorted { (scores[$0], $1) > (scores[$1], $0) }
    }

    /// The owner of `url` among the members `isUp` accepts (nil when none is up).
    public func owner(of url: String, isUp: (Int) -> Bool = { _ in true }) -> Int? {
        ranking(for: url).first(where: isUp)
    }

    static func rotateLeft(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value << count) | (value >> (32 - count))
    }
}
