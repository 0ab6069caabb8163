import Appliance
import ArgumentParser
import Foundation

extension Shoal {
    /// `shoal render SPEC --to kubernetes|compose`: the appliance as manifests for an existing engine.
    struct RenderCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "render", abstract: "Write an appliance spec as Kubernetes manifests or a compose file.",
            discussion: "Kubernetes: a LoadBalancer Service per pool (kube-proxy in IPVS mode or a cloud load balancer is the director), a Deployment per pool with its node configuration in a ConfigMap and a readiness probe from the director's check, ReadWriteMany claims for the shared store and document root, slapd as a StatefulSet seeded from a Secret. Compose: every node at its planned address, the director publishing the VIPs.")

        @Argument(help: "The appliance spec (YAML), e.g. Appliances/mail-cluster.yaml.")
        var spec: String

        @Option(name: .long, help: "kubernetes or compose.", transform: { raw in
            guard let target = RenderTarget(rawValue: raw) else {
                throw ValidationError("--to: '\(raw)' is not one of: \(RenderTarget.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return target
        })
        var to: RenderTarget

        @Option(name: .long, help: "The node image the containers run.")
        var image = "localhost/shoal-node:latest"

        @Option(name: [.short, .long], help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
        var output: String?

        func run() async throws {
            try await applianceCommand {
                let text = try ManifestRenderer(spec: try ApplianceSpec.load(path: spec), image: image).render(to)
                if let output {
                    try text.write(toFile: output, atomically: true, encoding: .utf8)
                } else {
                    print(text, terminator: "")
                }
            }
        }
    }
}
