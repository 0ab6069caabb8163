import Foundation
import ShoalTestFixtures

/// Runs real client programs (curl, python3, chromium, shoal) without blocking a Swift concurrency thread.
enum Processes {
    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The absolute path of `program`, or an error naming `package`.
    static func find(_ program: String, package: String) throws -> String {
        try requiredTool(program, package: package)
    }

    /// Runs to completion; output goes through temporary files so no pipe can fill up.
    static func run(_ executable: String, _ arguments: [String], stdin: String? = nil,
                    environment: [String: String]? = nil) async throws -> Output {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("admin-proc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err"), inURL = dir.appendingPathComponent("in")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: inURL.path, contents: Data((stdin ?? "").utf8))
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL), input = try FileHandle(forReadingFrom: inURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try? out.close()
        try? err.close()
        try? input.close()
        return Output(status: status, stdout: try String(contentsOf: outURL, encoding: .utf8),
                      stderr: try String(contentsOf: errURL, encoding: .utf8))
    }
}

/// An HTTP exchange done with the real curl binary.
struct CurlResponse: Sendable {
    var status: Int
    /// Header names lower-cased; the last value wins.
    var headers: [String: String]
    var body: String

    /// The body parsed as a JSON object.
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw CurlError(description: "not a JSON object: \(body)")
        }
        return object
    }

    func jsonArray() throws -> [[String: Any]] {
        guard let array = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] else {
            throw CurlError(description: "not a JSON array: \(body)")
        }
        return array
    }
}

struct CurlError: Error, CustomStringConvertible { var description: String }

enum Curl {
    /// `curl -X METHOD URL` with an optional bearer token and JSON body; extra raw curl arguments go last.
    static func request(_ method: String, _ url: String, token: String? = nil, json: String? = nil,
                        extra: [String] = []) async throws -> CurlResponse {
        let curl = try Processes.find("curl", package: "curl")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("admin-curl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let headerFile = dir.appendingPathComponent("h").path, bodyFile = dir.appendingPathComponent("b").path
        var args = ["-sS", "--noproxy", "*", "-X", method, "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}"]
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        if let json {
            let dataFile = dir.appendingPathComponent("d").path
            try json.write(toFile: dataFile, atomically: true, encoding: .utf8)
            args += ["-H", "Content-Type: application/json", "--data-binary", "@\(dataFile)"]
        }
        args += extra + [url]
        let run = try await Processes.run(curl, args)
        guard run.status == 0, let status = Int(run.stdout) else {
            throw CurlError(description: "curl \(args.joined(separator: " ")) failed (\(run.status)): \(run.stderr)")
        }
        var headers: [String: String] = [:]
        let headerText = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        for line in headerText.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = (try? String(contentsOfFile: bodyFile, encoding: .utf8)) ?? ""
        return CurlResponse(status: status, headers: headers, body: body)
    }
}
