import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The podman host's I/O from the CLI (`up`, `down`): builds the node image when its content hash has none,
/// and removes a cluster's containers. Blocking: it waits for each program in turn.
public struct PodmanHost: Sendable {
    public var podman: String
    public var mmdebstrap: String

    public init(podman: String = "/usr/bin/podman", mmdebstrap: String = "/usr/bin/mmdebstrap") {
        self.podman = podman
        self.mmdebstrap = mmdebstrap
    }

    /// A podman step failed; names the command and what it said.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Fails unless this process is root and podman, runc and mmdebstrap are there (naming their packages).
    public func checkUsable() throws {
        guard getuid() == 0 else { throw Failure(description: "--hosts podman needs root (containers in the cluster's network namespaces)") }
        for (path, package) in [(podman, "podman"), (mmdebstrap, "mmdebstrap"), ("/usr/sbin/runc", "runc")]
        where !FileManager.default.isExecutableFile(atPath: path) {
            throw Failure(description: "--hosts podman needs \(path): apt-get install -y \(package)")
        }
    }

    /// The image for `shoal`: the tag of its content hash, built first when podman has no image of that tag.
    public func ensureImage(repository: String, shoal: String, log: String) throws -> String {
        let image = PodmanImage(repository: repository, contentHash: try contentHash(shoal))
        if (try? run([podman, "image", "exists", image.tag], log: log)) != nil { return image.tag }
        let libraries = PodmanImage.libraries(lddOutput: try run(["/usr/bin/ldd", shoal], log: log))
        var packages: [String] = []
        for library in libraries where PodmanImage.copiedLibraries([library]).isEmpty {
            for path in PodmanImage.dpkgPaths(library) {
                guard let owners = try? run(["/usr/bin/dpkg", "-S", path], log: log) else { continue }
                for name in PodmanImage.packages(dpkgOutput: owners) where !packages.contains(name) { packages.append(name) }
                break
            }
        }
        let work = "/var/tmp/shoal-image-\(image.contentHash.prefix(16))-\(getpid())"
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let tarball = work + "/rootfs.tar"
        let arguments = PodmanImage.mmdebstrapArguments(packages: packages, shoal: shoal, copied: PodmanImage.copiedLibraries(libraries), output: tarball)
        _ = try run([mmdebstrap] + arguments, log: log)
        _ = try run([podman] + PodmanContainers.globalOptions + ["import", tarball, image.tag], log: log)
        // Older builds of the same repository are of other binaries: only the newest is kept.
        let listed = (try? run([podman, "images", "--format", "{{.Repository}}:{{.Tag}}", repository], log: log)) ?? ""
        for old in listed.split(separator: "\n").map(String.init) where old != image.tag && old.hasPrefix(repository + ":") {
            _ = try? run([podman, "rmi", old], log: log)
        }
        return image.tag
    }

    /// SHA-256 of the binary, then the recipe's version and base packages.
    func contentHash(_ shoal: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: shoal) else { throw Failure(description: "cannot read \(shoal)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        hasher.update(data: Data("\(PodmanImage.recipeVersion) \(PodmanImage.suite) \(PodmanImage.basePackages)".utf8))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The containers (running or not) whose name starts with `prefix`.
    public func containers(prefix: String) -> [String] {
        guard !prefix.isEmpty, FileManager.default.isExecutableFile(atPath: podman) else { return [] }
        let scratch = "/tmp/shoal-podman-ps-\(getpid()).log"
        defer { unlink(scratch) }
        let names = (try? run([podman] + PodmanContainers.globalOptions + ["ps", "-a", "--format", "{{.Names}}"], log: scratch)) ?? ""
        return names.split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// Removes (stopping first) every container whose name starts with `prefix`.
    public func removeContainers(prefix: String, log: String) {
        let names = containers(prefix: prefix)
        guard !names.isEmpty else { return }
        _ = try? run([podman] + PodmanContainers.globalOptions + ["rm", "-f", "-t", "2"] + names, log: log)
    }

    /// Runs `arguments` to completion; its output goes to `log` and is returned. Non-zero exit is an error.
    @discardableResult
    func run(_ arguments: [String], log: String) throws -> String {
        let scratch = log + ".\(getpid()).out"
        defer { unlink(scratch) }
        let pid = try ChildProcess.spawn(arguments, logFile: scratch)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: scratch, encoding: .utf8)) ?? ""
        if let handle = FileHandle(forWritingAtPath: log) ?? (FileManager.default.createFile(atPath: log, contents: nil) ? FileHandle(forWritingAtPath: log) : nil) {
            handle.seekToEndOfFile()
            handle.write(Data("$ \(arguments.joined(separator: " "))\n\(output)".utf8))
            try? handle.close()
        }
        guard status == 0 else {
            throw Failure(description: "\(arguments.prefix(4).joined(separator: " ")) … failed (\(ChildProcess.describe(status: status))): "
                + output.split(separator: "\n").suffix(5).joined(separator: "\n"))
        }
        return output
    }
}
