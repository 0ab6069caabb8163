import Foundation

/// The built `shoal` executable as tests find it, and a way to run it to completion.
public enum ShoalBinary {
    /// `SHOAL_BIN`, else the `shoal` next to the running test bundle, else `.build/debug/shoal` in the package.
    public static let path: String = {
        if let explicit = ProcessInfo.processInfo.environment["SHOAL_BIN"] { return explicit }
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("shoal").path
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/shoal").path
    }()

    /// What a finished run printed and returned.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The binary is missing: the message says how to build it.
    public struct MissingBinary: Error, CustomStringConvertible {
        public var description: String { "no shoal binary at \(ShoalBinary.path): run `swift build` (or set SHOAL_BIN)" }
    }

    /// Runs `shoal arguments`, writing `stdin` to it, and waits for it to exit.
    @discardableResult
    public static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: path) else { throw MissingBinary() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read stderr on another thread so that neither pipe can fill up and stall the child.
        let errData = ErrorCollector(err.fileHandleForReading)
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = errData.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }
}

/// Drains a pipe on a background thread.
final class ErrorCollector: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
