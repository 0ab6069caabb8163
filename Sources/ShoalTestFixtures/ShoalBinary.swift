import Foundation

/// The built `shoal` executable as tests find it, and a way to run it to completion.
public enum ShoalBinary {
    /// Where the binary is looked for, in order: `SHOAL_BIN`, beside the test bundle, the directory above an
    /// xctest bundle, `.build/debug` of the package.
    public static var candidates: [String] {
        var list: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["SHOAL_BIN"], !explicit.isEmpty { list.append(explicit) }
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        list.append(bundleDirectory.appendingPathComponent("shoal").path)
        var url = bundleDirectory
        while url.path != "/" {
            if url.pathExtension == "xctest" {
                list.append(url.deletingLastPathComponent().appendingPathComponent("shoal").path)
                break
            }
            url = url.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        list.append(root.appendingPathComponent(".build/debug/shoal").path)
        return list
    }

    /// `SHOAL_BIN` if set, else the first executable candidate (else the last candidate, for messages).
    public static let path: String = {
        if let explicit = ProcessInfo.processInfo.environment["SHOAL_BIN"], !explicit.isEmpty { return explicit }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }()

    /// The binary is missing: the message says where it was looked for and how to build it.
    public struct MissingBinary: Error, CustomStringConvertible {
        public var description: String {
            "the shoal binary was not found (looked at \(ShoalBinary.candidates.joined(separator: ", "))): "
                + "build it first with `swift build --build-tests` (the CLITests target depends on it) or set SHOAL_BIN"
        }
    }

    /// The binary's path, or `MissingBinary`.
    public static func executable() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: path) else { throw MissingBinary() }
        return path
    }

    /// What a finished run printed and returned.
    public typealias Result = TestProcess.Result

    /// Runs `shoal arguments`, writing `stdin` to it, and waits for it to exit (blocking this thread).
    @discardableResult
    public static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil) throws -> Result {
        try TestProcess.runBlocking(try executable(), arguments, stdin: stdin, environment: environment)
    }

    /// Runs `shoal arguments` to completion without holding a pool thread.
    @discardableResult
    public static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil,
                           timeout: Double = 120) async throws -> Result {
        try await TestProcess.run(try executable(), arguments, stdin: stdin, environment: environment, timeout: timeout)
    }
}
