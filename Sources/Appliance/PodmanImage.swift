/// The podman host's node image, from the recipe in code: a Debian bookworm minbase rootfs made by mmdebstrap from
/// the Debian archive (nothing is pulled from a container registry), with slapd, the Debian packages whose
/// libraries the shoal binary links, the binary itself and its Swift runtime libraries at the paths it was linked
/// with. Tagged by a content hash of the binary and the recipe, so a run builds it at most once. Pure: the recipe.
public struct PodmanImage: Sendable, Hashable {
    /// The image's name without tag, e.g. `localhost/shoal-node`.
    public var repository: String
    /// SHA-256 (hex) of the shoal binary and the recipe.
    public var contentHash: String

    public init(repository: String, contentHash: String) {
        self.repository = repository
        self.contentHash = contentHash
    }

    /// `repository:` the first 16 hex digits of the content hash.
    public var tag: String { "\(repository):\(contentHash.prefix(16))" }

    /// The Debian suite the rootfs is made of (the machine's own, so that host-made slapd databases and linked
    /// libraries match).
    public static let suite = "bookworm"
    /// Packages every image has besides the binary's libraries.
    public static let basePackages = ["slapd", "ca-certificates"]
    /// Bumped whenever the recipe changes in a way the arguments do not show.
    public static let recipeVersion = "1"

    /// The shared libraries an `ldd` listing names (`name => /path (0x…)` lines), in order.
    public static func libraries(lddOutput: String) -> [String] {
        lddOutput.split(separator: "\n").compactMap { line in
            guard let arrow = line.range(of: "=> ") else { return nil }
            let path = line[arrow.upperBound...].split(separator: " ").first.map(String.init) ?? ""
            return path.hasPrefix("/") ? path : nil
        }
    }

    /// Libraries that come with no Debian package and are copied in (the Swift toolchain's, under `/opt`).
    public static func copiedLibraries(_ libraries: [String]) -> [String] {
        libraries.filter { !$0.hasPrefix("/lib/") && !$0.hasPrefix("/usr/lib/") && !$0.hasPrefix("/lib64/") }
    }

    /// The paths `dpkg -S` is asked about for a system library (usrmerge: the package may list either form).
    public static func dpkgPaths(_ library: String) -> [String] {
        library.hasPrefix("/lib/") ? [library, "/usr" + library] : [library]
    }

    /// The package names in `dpkg -S` output (`pkg[:arch][, pkg2]: /path` lines).
    public static func packages(dpkgOutput: String) -> [String] {
        var names: [String] = []
        for line in dpkgOutput.split(separator: "\n") {
            guard let colon = line.range(of: ": /") else { continue }
            for entry in line[..<colon.lowerBound].split(separator: ",") {
                let name = String(entry.trimmingCharacters(in: .whitespaces).split(separator: ":").first ?? "")
                if !name.isEmpty, !names.contains(name) { names.append(name) }
            }
        }
        return names
    }

    /// mmdebstrap's arguments: a minbase `suite` rootfs as a tarball at `output`, slapd left unconfigured (the
    /// appliance writes its own slapd.conf), and the copy-in of `shoal` and `copied` libraries.
    public static func mmdebstrapArguments(packages: [String], shoal: String, copied: [String], output: String) -> [String] {
        var arguments = ["--variant=minbase", "--include=" + (basePackages + packages).joined(separator: ","),
                         "--essential-hook=echo 'slapd slapd/no_configuration boolean true' | chroot \"$1\" debconf-set-selections",
                         "--customize-hook=mkdir -p \"$1/usr/local/bin\"",
                         "--customize-hook=copy-in \(shoal) /usr/local/bin"]
        if shoal.split(separator: "/").last != "shoal" {
            arguments.append("--customize-hook=mv \"$1/usr/local/bin/\(shoal.split(separator: "/").last ?? "")\" \"$1\(PodmanContainers.shoalInImage)\"")
        }
        for directory in Set(copied.map { String($0[..<($0.lastIndex(of: "/") ?? $0.endIndex)]) }).sorted() {
            let files = copied.filter { $0.hasPrefix(directory + "/") && !$0.dropFirst(directory.count + 1).contains("/") }
            arguments.append("--customize-hook=mkdir -p \"$1\(directory)\"")
            arguments.append("--customize-hook=copy-in \(files.joined(separator: " ")) \(directory)")
        }
        return arguments + [suite, output]
    }
}
