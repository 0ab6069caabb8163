public import Foundation

/// The Python programs of a test target, kept as real `.py` files in its `Peers/` folder (a SwiftPM resource:
/// `resources: [.copy("Peers")]`), started with Debian's python3.
public struct PythonPeers: Sendable {
    /// The folder the scripts were copied to.
    public let folder: URL

    /// The `Peers` folder of `bundle` (pass the test target's `Bundle.module`).
    public init(_ bundle: Bundle) {
        folder = (bundle.resourceURL ?? bundle.bundleURL).appendingPathComponent("Peers")
    }

    /// The python3 interpreter, or an error naming the Debian package.
    public static func python() throws -> String { try requiredTool("python3", package: "python3") }

    /// The path of `Peers/name`, or an error when the resource is missing.
    public func path(_ name: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw TestProcessError("no Python peer \(name) in \(folder.path): is Peers/ declared as a resource of the test target?")
        }
        return path
    }

    /// Starts `python3 Peers/script arguments` as a long-running child.
    public func launch(_ script: String, _ arguments: [String] = [], input: TestProcess.Input = .none,
                       logDirectory: String? = nil) throws -> TestProcess {
        try TestProcess(try Self.python(), [try path(script)] + arguments, name: (script as NSString).deletingPathExtension,
                        input: input, logDirectory: logDirectory)
    }

    /// Runs `python3 Peers/script arguments` to completion without holding a pool thread.
    public func run(_ script: String, _ arguments: [String] = [], stdin: String? = nil, timeout: Double = 120) async throws
        -> TestProcess.Result {
        try await TestProcess.run(try Self.python(), [try path(script)] + arguments, stdin: stdin, timeout: timeout)
    }
}
