import DirectorNode
import ShoalCore

/// A director's YAML configuration: `ConfigDocument.parse(bytes:)` (Yams, UTF-8 and duplicate-key checks)
/// and `DirectorConfiguration.parse` (services, servers, checks, L7 rules, proxy settings).
enum DirectorYAMLTarget {
    static func run(_ data: [UInt8]) {
        guard let root = try? ConfigDocument.parse(bytes: data, file: "director.yaml") else { return }
        _ = try? DirectorConfiguration.parse(root)
    }
}
