import Foundation

/// A program a test needs is not installed: names the Debian package that provides it.
public struct MissingTool: Error, CustomStringConvertible {
    public var program: String
    public var package: String
    public var description: String { "\(program) is not installed: apt-get install -y --no-install-recommends \(package)" }

    public init(program: String, package: String) {
        self.program = program
        self.package = package
    }
}

/// The absolute path of `program` (searched on PATH, then in the usual bin and sbin directories), or a
/// `MissingTool` error naming `package`: a test never skips silently for want of a tool.
public func requiredTool(_ program: String, package: String) throws -> String {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
    if program.hasPrefix("/") {
        if FileManager.default.isExecutableFile(atPath: program) { return program }
        throw MissingTool(program: program, package: package)
    }
    for dir in path + ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/sbin", "/bin"] {
        let candidate = "\(dir)/\(program)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw MissingTool(program: program, package: package)
}
