import Foundation
import ShoalTestFixtures

/// The Python programs of this target (`Peers/*.py`).
let peers = PythonPeers(Bundle.module)

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
        let curl = try requiredTool("curl", package: "curl")
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
        let run = try await TestProcess.run(curl, args)
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
