import Foundation
import ShoalTestFixtures
import Testing

/// Dovecot's imaptest (vendored in `ThirdParty/imaptest`, built once per run and cached by
/// `scripts/imaptest-build.sh` against Debian's `dovecot-dev`) runs its scripted IMAP4rev1 and extension tests
/// (`src/tests/`) against a Shoal mail node. Every script that fails, and every protocol error imaptest reports
/// outside a script (a keyword used before a FLAGS response named it, a BAD reply, ...), fails the test.
///
/// imaptest itself skips the scripts whose `capabilities:` Shoal does not advertise: `append-binary` and
/// `fetch-binary-mime*` (BINARY), `catenate*` (CATENATE), `multiappend` (MULTIAPPEND), `search-context-update*`
/// and `search-partial` (CONTEXT=SEARCH), `sort-partial` (CONTEXT=SORT), `esort` (ESORT), `esearch-condstore`
/// (CONDSTORE), `notify` (NOTIFY, QRESYNC), `urlauth*` (URLAUTH).
@Suite(.serialized)
struct IMAPComplianceTests {
    static let user = TestUser(login: "imaptest", addresses: ["imaptest@shoal.test"], password: "imaptest-pw")
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Scripts that fail for a reason recorded here rather than fixed; a known failure that passes fails the
    /// test too, so the list only shrinks.
    static let knownFailures: [String: String] = [:]

    /// Builds (or finds) imaptest; a missing tool or package fails naming what to install.
    static func imaptest() async throws -> String {
        let script = packageRoot.appendingPathComponent("scripts/imaptest-build.sh").path
        let built = try await TestProcess.run("/bin/bash", [script], timeout: 900)
        let path = built.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard built.status == 0, FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("imaptest could not be built: \(built)")
        }
        return path
    }

    /// The scripts imaptest reported failing (`*** Test NAME command ...`), and the errors it reported outside
    /// them (`Error: ...`).
    static func failures(_ output: String) -> (scripts: [String: [String]], errors: [String]) {
        var scripts: [String: [String]] = [:], errors: [String] = []
        var current: String?
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("*** Test ") {
                let name = String(line.dropFirst("*** Test ".count).prefix { $0 != " " })
                current = name
                scripts[name, default: []].append(line)
            } else if line.hasPrefix("Error: ") {
                current = nil
                errors.append(line)
            } else if let name = current, line.hasPrefix(" - ") {
                scripts[name]?.append(line)
            } else if line.isEmpty {
                current = nil
            }
        }
        return (scripts, errors)
    }

    @Test(.timeLimit(.minutes(20)))
    func imaptestScriptsPassAgainstAShoalNode() async throws {
        let imaptest = try await Self.imaptest()
        let bed = try MailTestbed("imaptest")
        defer { bed.shutdown() }
        let directory = try await bed.sqliteDirectory([Self.user])
        var spec = try bed.nodeSpec(hostname: "imaptest.shoal.test", directory: directory, smtp: false, lmtp: false)
        spec.fsync = false
        spec.imapPort = try TestPorts.free()
        spec.auth = [("allow_plaintext", true)]
        let node = try await bed.startNode(spec)
        let port = try #require(node.spec.imapPort)
        let tests = Self.packageRoot.appendingPathComponent("ThirdParty/imaptest/src/tests").path

        let started = Date()
        let run = try await TestProcess.run(imaptest, [
            "host=\(spec.listenAddress)", "port=\(port)", "user=\(Self.user.login)", "pass=\(Self.user.password)", "test=\(tests)",
        ], timeout: 300)
        let seconds = Date().timeIntervalSince(started)
        let output = run.stdout + run.stderr
        let summary = output.split(separator: "\n").filter { $0.contains("test groups:") || $0.contains("individual commands failed") }
        let (scripts, errors) = Self.failures(output)

        let unexpected = scripts.filter { Self.knownFailures[$0.key] == nil }
        let nowPassing = Self.knownFailures.keys.filter { scripts[$0] == nil }.sorted()
        #expect(unexpected.isEmpty, """
            imaptest scripts failing against Shoal: \(unexpected.keys.sorted().joined(separator: ", "))
            \(unexpected.keys.sorted().flatMap { unexpected[$0]! }.joined(separator: "\n"))
            \(summary.joined(separator: "\n"))
            """)
        #expect(errors.isEmpty, "imaptest protocol errors:\n\(errors.joined(separator: "\n"))")
        #expect(nowPassing.isEmpty, "known failures that pass now (remove them from knownFailures): \(nowPassing)")
        // imaptest exits 2 when a script failed, 0 when all passed (or were skipped for want of a capability).
        #expect(run.status == 0 || !scripts.isEmpty, "imaptest exited \(run.status) without a failing script:\n\(output)")
        #expect(summary.contains { $0.contains("test groups:") }, "imaptest ran no scripts in \(Int(seconds)) s:\n\(output)")
        #expect(!node.log.contains("Fatal error"), "\(node.log)")
    }
}
