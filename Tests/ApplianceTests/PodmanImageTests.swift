import Appliance
import Foundation
import Testing

/// The podman host without podman: the image recipe (libraries from ldd, packages from dpkg, mmdebstrap's
/// arguments, the content-hash tag) and the containers' command lines.
@Suite struct PodmanImageTests {
    static let ldd = """
        \tlinux-vdso.so.1 (0x00007ffd)
        \tlibldap-2.5.so.0 => /lib/x86_64-linux-gnu/libldap-2.5.so.0 (0x00007f01)
        \tlibswiftCore.so => /opt/swift/usr/lib/swift/linux/libswiftCore.so (0x00007f02)
        \tlibFoundation.so => /opt/swift/usr/lib/swift/linux/libFoundation.so (0x00007f03)
        \tlibstdc++.so.6 => /usr/lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f04)
        \tlibmissing.so => not found
        \t/lib64/ld-linux-x86-64.so.2 (0x00007f05)
        """

    @Test func librariesPackagesAndCopies() {
        let libraries = PodmanImage.libraries(lddOutput: Self.ldd)
        #expect(libraries == ["/lib/x86_64-linux-gnu/libldap-2.5.so.0", "/opt/swift/usr/lib/swift/linux/libswiftCore.so",
                              "/opt/swift/usr/lib/swift/linux/libFoundation.so", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"])
        #expect(PodmanImage.copiedLibraries(libraries) == ["/opt/swift/usr/lib/swift/linux/libswiftCore.so", "/opt/swift/usr/lib/swift/linux/libFoundation.so"])
        #expect(PodmanImage.dpkgPaths("/lib/x86_64-linux-gnu/libz.so.1") == ["/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1"])
        #expect(PodmanImage.packages(dpkgOutput: "libldap-2.5-0:amd64: /usr/lib/x86_64-linux-gnu/libldap-2.5.so.0\nlibc6:amd64, libc6-dev: /usr/lib/x\n")
                == ["libldap-2.5-0", "libc6", "libc6-dev"])
        #expect(PodmanImage.packages(dpkgOutput: "dpkg-query: no path found matching pattern /x\n").isEmpty)
    }

    @Test func theMmdebstrapRecipe() {
        let arguments = PodmanImage.mmdebstrapArguments(packages: ["libldap-2.5-0"], shoal: "/build/debug/shoal",
                                                        copied: ["/opt/swift/lib/a.so", "/opt/swift/lib/b.so"], output: "/tmp/x/rootfs.tar")
        #expect(arguments.first == "--variant=minbase")
        #expect(arguments.contains("--include=slapd,ca-certificates,libldap-2.5-0"))
        #expect(arguments.contains("--customize-hook=copy-in /build/debug/shoal /usr/local/bin"))
        #expect(arguments.contains("--customize-hook=copy-in /opt/swift/lib/a.so /opt/swift/lib/b.so /opt/swift/lib"))
        #expect(arguments.suffix(2) == ["bookworm", "/tmp/x/rootfs.tar"])
        #expect(!arguments.contains { $0.contains("docker") || $0.contains("registry") })
        let image = PodmanImage(repository: "localhost/shoal-test-node", contentHash: String(repeating: "ab", count: 32))
        #expect(image.tag == "localhost/shoal-test-node:abababababababab")
    }

    @Test func containersJoinTheirNodesNamespaces() throws {
        let spec = try ApplianceSpec.parse(AppliancePlanTests.mailSpec, file: "spec.yaml")
        var plan = try AppliancePlan.make(spec, hosts: .podman, stateDirectory: "/state/mc", namespacePrefix: "sha-t-")
        #expect(PodmanContainers(plan: plan) == nil, "no image, no containers")
        plan.containerPrefix = "shoal-test-t-mc-"
        plan.image = "localhost/shoal-test-node:1"
        let containers = try #require(PodmanContainers(plan: plan))
        #expect(containers.volumes == ["/state/mc"])
        let run = containers.run("mail-1", kind: .mail, ["/build/shoal", "mail-node", "--config", "/state/mc/nodes/mail-1/config.yaml"],
                                 podman: "/usr/bin/podman", shoalOnHost: "/build/shoal")
        #expect(run.starts(with: ["/usr/bin/podman", "--runtime", "runc"]))
        #expect(run.contains("ns:/run/netns/sha-t-mc-mail-1"))
        #expect(run.contains("shoal-test-t-mc-mail-1"))
        #expect(run.suffix(5) == ["localhost/shoal-test-node:1", "/usr/local/bin/shoal", "mail-node", "--config", "/state/mc/nodes/mail-1/config.yaml"])
        #expect(!run.contains("NET_ADMIN"))
        #expect(containers.run("director", kind: .director, ["/build/shoal", "director"], podman: "/usr/bin/podman", shoalOnHost: "/build/shoal")
                .contains("NET_ADMIN"))
        #expect(containers.owns("shoal-test-t-mc-director"))
        #expect(!containers.owns("shoal-test-u-mc-director"))
    }
}
