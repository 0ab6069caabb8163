import Foundation
import ShoalTestFixtures

/// Boots Debian's kernel in qemu with `scripts/ipvs-vm.sh` and runs one scenario script there (one boot
/// for a whole scenario); the console output comes back as text.
enum KernelVM {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let vmScript = repository.appendingPathComponent("scripts/ipvs-vm.sh").path
    static let vmFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("VM")

    /// The VM needs qemu, busybox, ipvsadm, cpio and Debian's kernel; a missing one fails naming its package.
    static func requireTools() throws {
        _ = try requiredTool("qemu-system-x86_64", package: "qemu-system-x86")
        _ = try requiredTool("ipvsadm", package: "ipvsadm")
        _ = try requiredTool("cpio", package: "cpio")
        _ = try requiredTool("busybox", package: "busybox-static")
        let boot = (try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []
        guard boot.contains(where: { $0.hasPrefix("vmlinuz-") && $0.hasSuffix("-amd64") }) else {
            throw MissingTool(program: "/boot/vmlinuz-*-amd64", package: "linux-image-amd64")
        }
    }

    /// Runs `scenario` (a file in VM/) with the shoal binary and `files` (from VM/) copied in; returns the
    /// console output between the scenario's start and exit lines, carriage returns removed.
    static func run(scenario: String, files: [String]) async throws -> String {
        try requireTools()
        let shoal = try ShoalBinary.executable()
        let arguments = [vmFolder.appendingPathComponent(scenario).path, shoal] + files.map { vmFolder.appendingPathComponent($0).path }
        let result = try await TestProcess.run("/bin/bash", [vmScript] + arguments, timeout: 600)
        let console = result.stdout.replacingOccurrences(of: "\r", with: "")
        guard result.status == 0, let start = console.range(of: "=== SCENARIO START ===\n"),
              let end = console.range(of: "=== SCENARIO EXIT", range: start.upperBound..<console.endIndex) else {
            throw VMFailed(status: result.status, output: console + result.stderr)
        }
        return String(console[start.upperBound..<end.lowerBound])
    }

    /// The VM did not run the scenario to its end.
    struct VMFailed: Error, CustomStringConvertible {
        var status: Int32
        var output: String
        var description: String {
            let why = status == 4 ? " (qemu did not finish within IPVS_VM_TIMEOUT, default 480 s)" : ""
            return "the IPVS VM failed (status \(status))\(why):\n\(output.suffix(4000))"
        }
    }
}

/// One tool's run of one case inside the VM.
struct VMRun: Hashable, CustomStringConvertible {
    var stdout: String
    var stderr: String
    var status: Int

    var description: String { "status \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }

    /// The frames `run` in VM/scenario.sh prints: case name → tool → run.
    static func parse(_ console: String) -> [String: [String: VMRun]] {
        var runs: [String: [String: VMRun]] = [:]
        var current: (name: String, tool: String)?
        var stdout = "", stderr = "", inStderr = false
        for line in console.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("@@@ BEGIN ") {
                let parts = line.dropFirst(10).split(separator: " ")
                guard parts.count == 2 else { continue }
                current = (String(parts[0]), String(parts[1]))
                stdout = ""; stderr = ""; inStderr = false
            } else if line == "@@@ STDERR" {
                inStderr = true
            } else if line.hasPrefix("@@@ END "), let c = current {
                runs[c.name, default: [:]][c.tool] = VMRun(stdout: stdout, stderr: stderr, status: Int(line.dropFirst(8)) ?? -1)
                current = nil
            } else if current != nil {
                if inStderr { stderr += line + "\n" } else { stdout += line + "\n" }
            }
        }
        return runs
    }
}
