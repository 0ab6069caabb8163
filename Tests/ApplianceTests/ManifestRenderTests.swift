import Appliance
import Foundation
import ShoalTestFixtures
import Testing
import Yams

/// `shoal render`: the shipped specs as Kubernetes manifests and compose files, parsed back and checked for the
/// references between their objects (Services → workloads and ports, volumes → ConfigMaps/Secrets/claims,
/// node configurations → the directory's Service, the director's servers → the nodes' addresses), with every
/// node configuration accepted by that node's own parser.
@Suite struct ManifestRenderTests {
    static func spec(_ file: String) throws -> ApplianceSpec {
        try ApplianceSpec.load(path: ApplianceSpecTests.repository + "/Appliances/" + file)
    }

    typealias Object = [String: Any]

    static func documents(_ text: String) throws -> [Object] {
        try Yams.load_all(yaml: text).compactMap { $0 as? Object }
    }

    static func kind(ofCommand command: [String]) -> NodeKind? {
        switch command.dropFirst().first {
        case "director": return .director
        case "mail-node": return .mail
        case "web-node": return .web
        case "cache-node": return .cache
        default: return nil
        }
    }

    // MARK: Kubernetes

    /// Checks the references between the objects; returns them by kind and name.
    func checkKubernetes(_ text: String) throws -> [String: [String: Object]] {
        var byKind: [String: [String: Object]] = [:]
        for object in try Self.documents(text) {
            let kind = try #require(object["kind"] as? String)
            #expect(object["apiVersion"] as? String != nil)
            let name = try #require((object["metadata"] as? Object)?["name"] as? String)
            #expect(byKind[kind]?[name] == nil, "two \(kind)s named \(name)")
            #expect(name.count <= 63 && name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "\(name) is no DNS label")
            byKind[kind, default: [:]][name] = object
        }
        let workloads = (byKind["Deployment"] ?? [:]).merging(byKind["StatefulSet"] ?? [:]) { a, _ in a }
        for (name, workload) in workloads {
            let spec = try #require(workload["spec"] as? Object)
            let selector = try #require((spec["selector"] as? Object)?["matchLabels"] as? [String: String])
            let template = try #require(spec["template"] as? Object)
            let labels = try #require((template["metadata"] as? Object)?["labels"] as? [String: String])
            #expect(selector == labels, "\(name): selector \(selector) is not its pods' labels \(labels)")
            let pod = try #require(template["spec"] as? Object)
            let volumes = try #require(pod["volumes"] as? [Object])
            let volumeNames = Set(volumes.compactMap { $0["name"] as? String })
            for volume in volumes {
                if let map = (volume["configMap"] as? Object)?["name"] as? String { #expect(byKind["ConfigMap"]?[map] != nil, "\(name): no ConfigMap \(map)") }
                if let secret = (volume["secret"] as? Object)?["secretName"] as? String { #expect(byKind["Secret"]?[secret] != nil, "\(name): no Secret \(secret)") }
                if let claim = (volume["persistentVolumeClaim"] as? Object)?["claimName"] as? String {
                    #expect(byKind["PersistentVolumeClaim"]?[claim] != nil, "\(name): no claim \(claim)")
                }
            }
            for container in try #require(pod["containers"] as? [Object]) {
                #expect(container["image"] as? String == "localhost/shoal-node:latest")
                for mount in container["volumeMounts"] as? [Object] ?? [] {
                    #expect(volumeNames.contains(mount["name"] as? String ?? ""), "\(name): mount of an undeclared volume \(mount)")
                }
                #expect(container["readinessProbe"] as? Object != nil, "\(name) has no readiness probe")
            }
        }
        for (name, service) in byKind["Service"] ?? [:] {
            let spec = try #require(service["spec"] as? Object)
            let selector = try #require(spec["selector"] as? [String: String])
            let targets = workloads.values.filter { workload in
                ((workload["spec"] as? Object)?["template"] as? Object).flatMap { ($0["metadata"] as? Object)?["labels"] as? [String: String] } == selector
            }
            #expect(targets.count == 1, "Service \(name) selects \(targets.count) workloads")
            let containerPorts = Set(targets.flatMap { workload -> [Int] in
                let pod = ((workload["spec"] as? Object)?["template"] as? Object)?["spec"] as? Object
                return (pod?["containers"] as? [Object] ?? []).flatMap { ($0["ports"] as? [Object] ?? []).compactMap { $0["containerPort"] as? Int } }
            })
            for port in try #require(spec["ports"] as? [Object]) {
                let target = try #require(port["targetPort"] as? Int)
                #expect(containerPorts.contains(target), "Service \(name): targetPort \(target) is no container port (\(containerPorts))")
            }
        }
        // Every node configuration is one its node accepts, and the LDAP server it names is a Service on that port.
        for (name, map) in byKind["ConfigMap"] ?? [:] {
            let config = try #require((map["data"] as? [String: String])?["config.yaml"])
            let workload = try #require(workloads[name], "ConfigMap \(name) has no workload of its name")
            let command = (((((workload["spec"] as? Object)?["template"] as? Object)?["spec"] as? Object)?["containers"] as? [Object])?.first?["command"] as? [String]) ?? []
            let kind = try #require(Self.kind(ofCommand: command), "\(name): \(command)")
            try ManifestRenderer.check(config, kind: kind, file: name, docroot: "/var/lib/shoal/shared/www")
            if let directory = (try Yams.load(yaml: config) as? Object)?["directory"] as? String, directory.hasPrefix("ldap://") {
                let hostPort = directory.dropFirst(7).split(separator: ":")
                let service = try #require(byKind["Service"]?[String(hostPort[0])], "\(name) names \(directory), which is no Service")
                let ports = ((service["spec"] as? Object)?["ports"] as? [Object] ?? []).compactMap { $0["port"] as? Int }
                #expect(ports.contains(Int(hostPort[1]) ?? -1))
            }
        }
        return byKind
    }

    @Test func theMailClusterForKubernetes() throws {
        let text = try ManifestRenderer(spec: try Self.spec("mail-cluster.yaml")).render(.kubernetes)
        let objects = try checkKubernetes(text)
        #expect(Set(objects.keys) == ["PersistentVolumeClaim", "Secret", "StatefulSet", "Service", "ConfigMap", "Deployment"])
        let mail = try #require(objects["Deployment"]?["mail-cluster-mail"])
        #expect((mail["spec"] as? Object)?["replicas"] as? Int == 3)
        let service = try #require(objects["Service"]?["mail-cluster-mail"]?["spec"] as? Object)
        #expect(service["type"] as? String == "LoadBalancer")
        let ports = (service["ports"] as? [Object] ?? []).map { "\($0["name"]!):\($0["port"]!)->\($0["targetPort"]!)" }
        #expect(ports == ["smtp:2525->2525", "submission:1587->1587", "imap:1143->1143", "pop3:1110->1110"])
        // The store is shared: one ReadWriteMany claim, mounted where the users' mailboxes (in the LDIF) are.
        let claim = try #require(objects["PersistentVolumeClaim"]?["mail-cluster-store"]?["spec"] as? Object)
        #expect(claim["accessModes"] as? [String] == ["ReadWriteMany"])
        let seed = try #require(objects["Secret"]?["mail-cluster-directory"]?["stringData"] as? [String: String])
        #expect(seed["data.ldif"]?.contains("/var/lib/shoal/shared/mail/shoal.test/alice") == true)
        #expect(seed["data.ldif"]?.contains("alice-secret") == false, "passwords are stored hashed")
        #expect(seed["slapd.conf"]?.contains("directory /var/lib/shoal/shared/ldap/data") == true)
    }

    @Test func theWebFarmForKubernetesAndWhatItRefuses() throws {
        let objects = try checkKubernetes(try ManifestRenderer(spec: try Self.spec("web-farm.yaml")).render(.kubernetes))
        let probe = (((((objects["Deployment"]?["web-farm-web"]?["spec"] as? Object)?["template"] as? Object)?["spec"] as? Object)?["containers"] as? [Object])?
            .first?["readinessProbe"] as? Object)?["httpGet"] as? Object
        #expect(probe?["path"] as? String == "/")
        #expect(objects["Secret"] == nil)
        for file in ["cache-farm.yaml", "three-tier.yaml"] {
            let error = #expect(throws: RenderError.self) { try ManifestRenderer(spec: try Self.spec(file)).render(.kubernetes) }
            #expect(error?.description.contains("Appliances/\(file): pools of role cache") == true, "\(String(describing: error))")
            #expect(error?.description.contains("--to compose") == true)
        }
    }

    // MARK: compose

    @Test(arguments: ["mail-cluster.yaml", "cache-farm.yaml", "web-farm.yaml", "three-tier.yaml"])
    func composeFiles(_ file: String) throws {
        let spec = try Self.spec(file)
        let text = try ManifestRenderer(spec: spec).render(.compose)
        let document = try #require(try Self.documents(text).first)
        let services = try #require(document["services"] as? [String: Object])
        let configs = try #require(document["configs"] as? [String: Object])
        let networks = try #require(document["networks"] as? [String: Object])
        let subnet = try #require(((((networks[spec.name]?["ipam"] as? Object)?["config"]) as? [Object])?.first?["subnet"]) as? String)
        #expect(subnet == spec.network.namespaced.description)
        let prefix = String(subnet.prefix(while: { $0 != "/" }).dropLast())  // "10.0.42."
        var addresses: [String: String] = [:]
        for (name, service) in services {
            let address = try #require(((service["networks"] as? Object)?[spec.name] as? Object)?["ipv4_address"] as? String)
            #expect(address.hasPrefix(prefix), "\(name) at \(address) is off \(subnet)")
            #expect(!addresses.values.contains(address), "\(name) shares \(address)")
            addresses[name] = address
            for config in service["configs"] as? [Object] ?? [] {
                #expect(configs[config["source"] as? String ?? ""] != nil, "\(name): no config \(config)")
            }
            for needed in service["depends_on"] as? [String] ?? [] { #expect(services[needed] != nil, "\(name) depends on no service \(needed)") }
            for volume in service["volumes"] as? [String] ?? [] {
                #expect((document["volumes"] as? Object)?[String(volume.prefix { $0 != ":" })] != nil, "\(name): undeclared volume \(volume)")
            }
            if let command = service["command"] as? [String], let kind = Self.kind(ofCommand: command) {
                let content = try #require(configs[name]?["content"] as? String)
                try ManifestRenderer.check(content, kind: kind, file: name, docroot: "/var/lib/shoal/shared/www")
            }
        }
        #expect(Set(services.keys) == Set(try AppliancePlan.make(spec, hosts: .podman, stateDirectory: "/s").nodes.map(\.name)))
        // The director listens on its own address and sends to the nodes' addresses; it publishes the VIP ports.
        let directorText = try #require(configs["director"]?["content"] as? String)
        let director = try #require(try Yams.load(yaml: directorText) as? Object)
        let nodeAddresses = Set(addresses.filter { $0.key != "director" }.values)
        for service in try #require(director["services"] as? [Object]) {
            #expect((service["listen"] as? String)?.hasPrefix(addresses["director"]! + ":") == true)
            for server in service["servers"] as? [Object] ?? [] {
                let address = try #require(server["address"] as? String)
                #expect(nodeAddresses.contains(String(address.prefix { $0 != ":" })), "\(address) is no node's")
            }
        }
        let published = Set(services["director"]?["ports"] as? [String] ?? [])
        // Webmail is left out of manifests (its certificate and cookie key are made by `up`).
        for service in try AppliancePlan.make(spec, hosts: .podman, stateDirectory: "/s").services {
            #expect(published.contains("\(service.port):\(service.port)") == (service.proto != .webmail), "\(service.name)")
        }
    }

    @Test func theRenderCommand() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-render-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let out = directory + "/mail.yaml"
        try await ShoalBinary.run(["render", ApplianceSpecTests.repository + "/Appliances/mail-cluster.yaml", "--to", "kubernetes", "-o", out], timeout: 120).succeeded()
        _ = try checkKubernetes(try String(contentsOfFile: out, encoding: .utf8))
        let refused = try await ShoalBinary.run(["render", ApplianceSpecTests.repository + "/Appliances/cache-farm.yaml", "--to", "kubernetes"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("render this spec with --to compose"), "\(refused)")
        let bad = try await ShoalBinary.run(["render", ApplianceSpecTests.repository + "/Appliances/mail-cluster.yaml", "--to", "nomad"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("is not one of: kubernetes, compose"), "\(bad)")
    }
}
