import Foundation
import ShoalTestFixtures

/// Calls the admin API with curl (blocking: call it in `offPool`): the HTTP status and the body.
func admin(_ method: String, _ url: String, json: String? = nil, token: String? = nil) throws -> (status: Int, body: String) {
    let curl = try requiredTool("curl", package: "curl")
    var arguments = ["-sS", "--noproxy", "*", "-X", method, "-o", "-", "-w", "\n%{http_code}", url]
    if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
    if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
    let lines = try TestProcess.runBlocking(curl, arguments).stdout.split(separator: "\n", omittingEmptySubsequences: false)
    let status = Int(lines.last ?? "") ?? 0
    return (status, lines.dropLast().joined(separator: "\n"))
}
