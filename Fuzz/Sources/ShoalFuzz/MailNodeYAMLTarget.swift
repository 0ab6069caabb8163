import MailNode
import ShoalCore

/// A mail node's YAML configuration: `ConfigDocument.parse(bytes:)` and `MailNodeConfiguration.parse`
/// (directory, store, listeners, TLS, limits), then the session settings derived from it.
enum MailNodeYAMLTarget {
    static func run(_ data: [UInt8]) {
        guard let root = try? ConfigDocument.parse(bytes: data, file: "mail-node.yaml"),
              let configuration = try? MailNodeConfiguration.parse(root) else { return }
        _ = configuration.session(.smtp)
        _ = configuration.session(.lmtp)
        _ = configuration.lineProtocol
    }
}
