import Appliance
import Foundation
import Testing
import Yams

/// `shoal render --to kubernetes` against the API server's own rules, offline (`KubernetesSchema`): every shipped
/// spec Kubernetes takes, and specs that use the other renderer paths (persistence, a second pool of a role, fixed
/// ports, a web pool beside mail), render to objects the server would accept; and the checker is shown to refuse
/// each kind of mistake it looks for, so a clean result means something.
@Suite struct KubernetesSchemaTests {
    typealias Object = [String: Any]

    static func render(_ spec: ApplianceSpec) throws -> [Object] {
        try Yams.load_all(yaml: try ManifestRenderer(spec: spec).render(.kubernetes)).compactMap { $0 as? Object }
    }

    static func shipped(_ file: String) throws -> [Object] {
        try render(try ApplianceSpec.load(path: ApplianceSpecTests.repository + "/Appliances/" + file))
    }

    static let variants = [
        """
        name: mail-variant
        domain: example.org
        network: 127.0.197.0/24
        directory: {kind: ldap, users: [{login: dora, password: d-secret}]}
        pools:
          inbound: {role: mail, replicas: 2}
          outbound: {role: mail, replicas: 1}
          web: 2
        director:
          check_interval: 2.5
          services:
            - {protocol: smtp, port: 25, pool: inbound}
            - {protocol: imap, port: 143, pool: inbound, persistence: 600}
            - {name: relay, protocol: submission, port: 587, pool: outbound, scheduler: wlc}
            - {protocol: http, port: 80, pool: web, scheduler: sh, persistence: 60}
        """,
        """
        name: w
        network: 127.0.197.0/24
        pools:
          web: 1
        """,
    ]

    @Test(arguments: ["mail-cluster.yaml", "web-farm.yaml"])
    func shippedAppliancesPassTheAPIServersRules(_ file: String) throws {
        let objects = try Self.shipped(file)
        #expect(objects.count >= 4)
        #expect(KubernetesSchema.violations(objects) == [])
    }

    @Test(arguments: Array(variants.indices))
    func otherSpecsPassTheAPIServersRules(_ index: Int) throws {
        let objects = try Self.render(try ApplianceSpec.parse(Self.variants[index], file: "variant-\(index).yaml"))
        #expect(KubernetesSchema.violations(objects) == [])
        if index == 0 {
            // Persistence became ClientIP affinity with the longest timeout of the pool's services.
            let inbound = objects.first { ($0["metadata"] as? Object)?["name"] as? String == "mail-variant-inbound" && $0["kind"] as? String == "Service" }
            let spec = inbound?["spec"] as? Object
            #expect(spec?["sessionAffinity"] as? String == "ClientIP")
            #expect(((spec?["sessionAffinityConfig"] as? Object)?["clientIP"] as? Object)?["timeoutSeconds"] as? Int == 600)
        }
    }

    /// What the API server would refuse and the spec allows is refused by the renderer, naming the spec.
    @Test func whatKubernetesCannotHoldIsRefused() throws {
        let long = """
            name: abcdefghijklmnopqrstuvwxyzabcdef
            network: 127.0.197.0/24
            pools:
              web-pool-with-a-long-name-abcdef: {role: web, replicas: 1}
            """
        let nameError = #expect(throws: RenderError.self) {
            try ManifestRenderer(spec: try ApplianceSpec.parse(long, file: "long.yaml")).render(.kubernetes)
        }
        #expect(nameError?.description.contains("long.yaml: 'abcdefghijklmnopqrstuvwxyzabcdef-web-pool-with-a-long-name-abcdef'") == true,
                "\(String(describing: nameError))")
        #expect(nameError?.description.contains("longer than 63 characters") == true)
        let sticky = """
            name: sticky
            network: 127.0.197.0/24
            pools:
              web: 1
            director:
              services: [{protocol: http, port: 8080, persistence: 90000}]
            """
        let affinityError = #expect(throws: RenderError.self) {
            try ManifestRenderer(spec: try ApplianceSpec.parse(sticky, file: "sticky.yaml")).render(.kubernetes)
        }
        #expect(affinityError?.description.contains("sticky.yaml: service http has persistence 90000 s") == true, "\(String(describing: affinityError))")
        // The compose renderer has neither limit.
        _ = try ManifestRenderer(spec: try ApplianceSpec.parse(sticky, file: "sticky.yaml")).render(.compose)
        // One day is still accepted, and passes the checker.
        let day = sticky.replacingOccurrences(of: "90000", with: "86400")
        #expect(KubernetesSchema.violations(try Self.render(try ApplianceSpec.parse(day, file: "day.yaml"))) == [])
    }

    // MARK: The checker refuses what the server refuses

    /// `node` with the value at `path` (keys and list indices) replaced, or removed when `value` is nil.
    static func setting(_ node: Any?, _ path: ArraySlice<Any>, _ value: Any?) -> Any? {
        guard let first = path.first else { return value }
        if let key = first as? String {
            var map = node as? Object ?? [:]
            map[key] = setting(map[key], path.dropFirst(), value)
            return map
        }
        var list = node as? [Any] ?? []
        let index = first as! Int
        list[index] = setting(list[index], path.dropFirst(), value) as Any
        return list
    }

    /// The objects with one field of the object `kind`/`name` changed.
    static func editing(_ objects: [Object], _ kind: String, _ name: String, _ path: [Any], _ value: Any?) throws -> [Object] {
        let index = try #require(objects.firstIndex { $0["kind"] as? String == kind && ($0["metadata"] as? Object)?["name"] as? String == name },
                                 "no \(kind) \(name)")
        var edited = objects
        edited[index] = try #require(setting(objects[index], path[...], value) as? Object)
        return edited
    }

    struct Mistake: Sendable, CustomStringConvertible {
        var kind: String
        var name: String
        var path: [String]
        var value: String?
        var expected: String
        var description: String { "\(kind) \(name) \(path.joined(separator: ".")) = \(value ?? "nil")" }
    }

    static let pod = ["spec", "template", "spec"]
    static let container = pod + ["containers", "0"]

    /// A path of keys, with list indices written as digits; a value that parses as an integer is one.
    static func decode(_ mistake: Mistake) -> (path: [Any], value: Any?) {
        let path: [Any] = mistake.path.map { Int($0).map { $0 as Any } ?? $0 as Any }
        guard let value = mistake.value else { return (path, nil) }
        if let number = Int(value) { return (path, number) }
        if value.hasPrefix("[") { return (path, value.dropFirst().dropLast().split(separator: ",").map(String.init)) }
        return (path, value)
    }

    static let mistakes: [Mistake] = [
        Mistake(kind: "StatefulSet", name: "mail-cluster-directory", path: ["apiVersion"], value: "v1", expected: "is served as apps/v1"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: ["spec", "replica"], value: "3", expected: "spec.replica: unknown field"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: ["spec", "replicas"], value: "three", expected: "spec.replicas: an integer"),
        Mistake(kind: "ConfigMap", name: "mail-cluster-mail", path: ["metadata", "name"], value: "Mail_Cluster", expected: "not a DNS-1123 subdomain"),
        Mistake(kind: "Service", name: "mail-cluster-mail", path: ["metadata", "name"], value: "1mail", expected: "not a DNS-1035 label"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: ["spec", "selector", "matchLabels", "app.kubernetes.io/component"],
                value: "mail-cluster-other", expected: "`selector` does not match template `labels`"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: ["spec", "selector"], value: nil, expected: "spec.selector: required"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: container + ["ports", "1", "containerPort"], value: "70000",
                expected: "70000 is out of 1...65535"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: container + ["ports", "2", "name"], value: "submission-tls-port",
                expected: "not an IANA service name"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: container + ["ports", "2", "name"], value: "smtp", expected: "'smtp' is used twice"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: container + ["image"], value: nil, expected: "containers[0].image: required"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: container + ["name"], value: "Mail", expected: "not a DNS-1123 label"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: container + ["readinessProbe", "exec"], value: "[true]",
                expected: "exactly one handler"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: container + ["readinessProbe", "tcpSocket", "port"], value: "0",
                expected: "0 is out of 1...65535"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: container + ["readinessProbe", "tcpSocket", "port"], value: "smtps",
                expected: "no container port is named 'smtps'"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: container + ["readinessProbe", "periodSeconds"], value: "0",
                expected: "periodSeconds: 0 is out of"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: container + ["volumeMounts", "1", "name"], value: "spool",
                expected: "no volume named 'spool'"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: container + ["volumeMounts", "1", "mountPath"], value: "var/mail",
                expected: "is not absolute"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: pod + ["volumes", "0", "configMap", "name"], value: "mail-cluster-nothing",
                expected: "no ConfigMap 'mail-cluster-nothing'"),
        Mistake(kind: "Deployment", name: "mail-cluster-mail", path: pod + ["restartPolicy"], value: "Never", expected: "allow only Always"),
        Mistake(kind: "Service", name: "mail-cluster-mail", path: ["spec", "ports", "2", "targetPort"], value: "9993",
                expected: "9993 is no container port of the pods it selects"),
        Mistake(kind: "Service", name: "mail-cluster-mail", path: ["spec", "ports", "1", "name"], value: nil,
                expected: "required when a Service has more than one port"),
        Mistake(kind: "Service", name: "mail-cluster-mail", path: ["spec", "ports", "1", "port"], value: "2525", expected: "2525/TCP is listed twice"),
        Mistake(kind: "Service", name: "mail-cluster-mail", path: ["spec", "ports", "0", "protocol"], value: "tcp", expected: "'tcp' is not TCP"),
        Mistake(kind: "Service", name: "mail-cluster-mail", path: ["spec", "sessionAffinity"], value: "Cookie", expected: "not None or ClientIP"),
        Mistake(kind: "Service", name: "mail-cluster-mail", path: ["spec", "selector", "app.kubernetes.io/component"], value: "nothing",
                expected: "selects 0 workloads"),
        Mistake(kind: "PersistentVolumeClaim", name: "mail-cluster-store", path: ["spec", "accessModes"], value: "[ReadWriteSometimes]",
                expected: "'ReadWriteSometimes' is not one of"),
        Mistake(kind: "PersistentVolumeClaim", name: "mail-cluster-store", path: ["spec", "accessModes"], value: nil,
                expected: "accessModes: required"),
        Mistake(kind: "PersistentVolumeClaim", name: "mail-cluster-store", path: ["spec", "resources", "requests", "storage"], value: "ten gigs",
                expected: "is not a quantity"),
        Mistake(kind: "ConfigMap", name: "mail-cluster-mail", path: ["data", "config yaml"], value: "x: 1", expected: "'config yaml' is not a valid key"),
        Mistake(kind: "Secret", name: "mail-cluster-directory", path: ["data", "extra"], value: "not base64!", expected: "values are base64"),
        Mistake(kind: "Secret", name: "mail-cluster-directory", path: ["metadata", "labels", "app.kubernetes.io/part-of"], value: "mail cluster",
                expected: "is not a label value"),
    ]

    @Test(arguments: mistakes)
    func theCheckerRefusesWhatTheServerWould(_ mistake: Mistake) throws {
        let objects = try Self.shipped("mail-cluster.yaml")
        let (path, value) = Self.decode(mistake)
        let edited = try Self.editing(objects, mistake.kind, mistake.name, path, value)
        let violations = KubernetesSchema.violations(edited)
        #expect(violations.contains { $0.contains(mistake.expected) }, "\(mistake): \(violations)")
    }

    @Test func theCheckerRefusesDuplicatesAndBadWebProbes() throws {
        let mail = try Self.shipped("mail-cluster.yaml")
        let configMap = try #require(mail.first { $0["kind"] as? String == "ConfigMap" })
        #expect(KubernetesSchema.violations(mail + [configMap]).contains { $0.contains("a second ConfigMap of this name") })
        let web = try Self.shipped("web-farm.yaml")
        let path: [Any] = Self.container.map { Int($0).map { $0 as Any } ?? $0 as Any } + ["readinessProbe", "httpGet", "path"]
        let edited = try Self.editing(web, "Deployment", "web-farm-web", path, "healthz")
        #expect(KubernetesSchema.violations(edited).contains { $0.contains("'healthz' does not start with /") })
        let pod: Object = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"]]
        let unknownKind = web + [pod]
        #expect(KubernetesSchema.violations(unknownKind).contains { $0.contains("'Pod' is not a kind this checker knows") })
    }
}
