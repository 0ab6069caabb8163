public import ICP
import NIOConcurrencyHelpers

/// The cache node's counters, shown as Prometheus text on the admin address.
public final class CacheMetrics: Sendable {
    /// Every counter by name (`shoal_cache_<name>_total`).
    public enum Counter: String, CaseIterable, Sendable {
        case requests, hits, misses, sibling_hits, parent_fetches, carp_fetches, revalidations, revalidated_unchanged, stale_served, coalesced,
             not_stored, invalidations, purges, origin_errors, memory_bytes_served, disk_bytes_served, origin_bytes, peer_bytes, tunnels,
             store_skipped  // storable, but the disk writes were backed up (or the write failed)
    }

    /// Counts by `Counter.allCases` position (an array: a hit bumps three counters under one lock, no hashing).
    private let counts = NIOLockedValueBox([Int](repeating: 0, count: Counter.allCases.count))
    private static let positions: [Counter: Int] = Dictionary(uniqueKeysWithValues: Counter.allCases.enumerated().map { ($1, $0) })

    public init() {}

    public func add(_ counter: Counter, _ amount: Int = 1) {
        let position = Self.positions[counter]!
        counts.withLockedValue { $0[position] += amount }
    }

    /// One request answered from the store: `requests` (when `countingRequest`), `hits` and the body bytes served
    /// from memory or disk, under one lock.
    public func addHit(fromMemory: Bool, bytes: Int, countingRequest: Bool) {
        let requests = Self.requestsPosition, hits = Self.hitsPosition
        let bytesPosition = fromMemory ? Self.memoryBytesPosition : Self.diskBytesPosition
        counts.withLockedValue { counts in
            if countingRequest { counts[requests] += 1 }
            counts[hits] += 1
            counts[bytesPosition] += bytes
        }
    }

    private static let requestsPosition = positions[.requests]!, hitsPosition = positions[.hits]!
    private static let memoryBytesPosition = positions[.memory_bytes_served]!, diskBytesPosition = positions[.disk_bytes_served]!

    public func value(_ counter: Counter) -> Int {
        let position = Self.positions[counter]!
        return counts.withLockedValue { $0[position] }
    }

    /// The Prometheus text exposition, with the store's gauges and the ICP counters.
    public func text(store: (objects: Int, diskBytes: Int, memoryBytes: Int, evictions: Int), icp: ICPCounters?) -> String {
        let snapshot = counts.withLockedValue { $0 }
        var text = ""
        for (position, counter) in Counter.allCases.enumerated() {
            text += "# TYPE shoal_cache_\(counter.rawValue)_total counter\nshoal_cache_\(counter.rawValue)_total \(snapshot[position])\n"
        }
        text += "# TYPE shoal_cache_evictions_total counter\nshoal_cache_evictions_total \(store.evictions)\n"
        text += "# TYPE shoal_cache_objects gauge\nshoal_cache_objects \(store.objects)\n"
        text += "# TYPE shoal_cache_disk_bytes gauge\nshoal_cache_disk_bytes \(store.diskBytes)\n"
        text += "# TYPE shoal_cache_memory_bytes gauge\nshoal_cache_memory_bytes \(store.memoryBytes)\n"
        if let icp {
            text += "# TYPE shoal_icp_received_total counter\n"
            for opcode in ICPOpcode.allCases { text += "shoal_icp_received_total{opcode=\"\(opcode.label)\"} \(icp.received[opcode] ?? 0)\n" }
            text += "# TYPE shoal_icp_sent_total counter\n"
            for opcode in ICPOpcode.allCases { text += "shoal_icp_sent_total{opcode=\"\(opcode.label)\"} \(icp.sent[opcode] ?? 0)\n" }
            text += "# TYPE shoal_icp_dropped_total counter\n"
            for reason in ["short", "version", "length", "too_long", "malformed", "other"] {
                text += "shoal_icp_dropped_total{reason=\"\(reason)\"} \(icp.dropped[reason] ?? 0)\n"
            }
        }
        return text
    }
}
