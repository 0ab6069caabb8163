import Yams

/// The appliance as Kubernetes objects (`shoal render SPEC --to kubernetes`). The director's virtual services
/// become one Service per pool (type LoadBalancer: kube-proxy in IPVS mode or a cloud load balancer is the
/// director; persistence becomes `sessionAffinity: ClientIP`), each pool a Deployment whose pods read their node
/// configuration from a ConfigMap and pass a readiness probe made from the director's health check, the shared
/// store and document root PersistentVolumeClaims (ReadWriteMany: NFS or CephFS), and the LDAP directory a
/// StatefulSet seeded from a Secret. Cache pools are refused: their origin and ICP peers are addresses, which
/// pods do not keep (render them with `--to compose`).
struct KubernetesManifests {
    var renderer: ManifestRenderer
    var plan: AppliancePlan { renderer.plan }
    var name: String { plan.name }

    typealias Y = YAMLBuild

    /// The longest ClientIP session affinity the API server accepts (one day).
    static let maximumAffinity = 86400

    /// The Service (and DNS name) of the directory tier.
    var directoryService: String { "\(name)-directory" }
    var storeClaim: String { "\(name)-store" }
    var docrootClaim: String { "\(name)-docroot" }

    func labels(_ component: String) -> Node {
        Y.map([("app.kubernetes.io/part-of", Y.string(name)), ("app.kubernetes.io/component", Y.string(component))])
    }

    func metadata(_ objectName: String, _ component: String) -> Node {
        Y.map([("name", Y.string(objectName)), ("labels", labels(component))])
    }

    func text() throws -> String {
        if plan.nodes.contains(where: { $0.kind == .cache }) {
            throw RenderError("\(plan.specFile): pools of role cache name their origin and ICP peers by address, which Kubernetes pods do not keep; render this spec with --to compose")
        }
        if plan.nodes.contains(where: { $0.kind == .mail }), plan.directoryKind == .sqlite {
            throw RenderError("\(plan.specFile): directory.kind: sqlite is one file on one host; Kubernetes mail pools need directory: {kind: ldap}")
        }
        for pool in renderer.spec.pools where "\(name)-\(pool.name)".count > 63 {
            throw RenderError("\(plan.specFile): '\(name)-\(pool.name)' (the appliance's name and pool \(pool.name)'s) is longer than 63 characters, the most a Kubernetes Service name and label value may have; shorten the name or the pool's")
        }
        if let service = plan.services.first(where: { ($0.persistence ?? 0) > Self.maximumAffinity }) {
            throw RenderError("\(plan.specFile): service \(service.name) has persistence \(service.persistence ?? 0) s; Kubernetes session affinity (sessionAffinityConfig.clientIP.timeoutSeconds) lasts at most \(Self.maximumAffinity) s")
        }
        var objects: [Node] = []
        if plan.nodes.contains(where: { $0.kind == .mail }) { objects.append(claim(storeClaim, size: "10Gi")) }
        if plan.nodes.contains(where: { $0.kind == .web || $0.kind == .origin }) { objects.append(claim(docrootClaim, size: "1Gi")) }
        if let directory = plan.nodes.first(where: { $0.kind == .ldap }) { objects += self.directory(directory) }
        // Pool configurations see the directory by its Service name and listen on every address of their pod.
        var containerPlan = plan
        for index in containerPlan.nodes.indices where containerPlan.nodes[index].kind == .ldap {
            containerPlan.nodes[index].address = directoryService
        }
        for pool in renderer.spec.pools {
            guard let first = plan.members(of: pool.name).first else { continue }
            var node = first
            node.name = pool.name
            node.address = "0.0.0.0"
            guard let config = try renderer.config(node, in: containerPlan) else { continue }
            objects.append(configMap("\(name)-\(pool.name)", config))
            objects.append(deployment(pool: pool, node: node, replicas: plan.members(of: pool.name).count))
            let services = plan.services.filter { $0.pool == pool.name }
            if !services.isEmpty { objects.append(service(pool: pool.name, services)) }
        }
        return try Y.documents(objects)
    }

    func claim(_ claimName: String, size: String) -> Node {
        Y.map([("apiVersion", Y.string("v1")), ("kind", Y.string("PersistentVolumeClaim")), ("metadata", metadata(claimName, "shared")),
               ("spec", Y.map([("accessModes", Y.strings(["ReadWriteMany"])),
                               ("resources", Y.map([("requests", Y.map([("storage", Y.string(size))]))]))]))])
    }

    func configMap(_ mapName: String, _ config: String) -> Node {
        Y.map([("apiVersion", Y.string("v1")), ("kind", Y.string("ConfigMap")), ("metadata", metadata(mapName, mapName)),
               ("data", Y.map([("config.yaml", Y.string(config))]))])
    }

    /// A readiness probe from the director's check of the pool's first service (HTTP checks keep their path).
    func probe(_ node: PlannedNode, services: [PlannedService]) -> Node {
        let port = services.first?.nodePort ?? node.listeners.first?.port ?? 0
        let action: (String, Node)
        if services.first?.proto.checkType == "http" {
            action = ("httpGet", Y.map([("path", Y.string("/")), ("port", Y.int(port))]))
        } else {
            action = ("tcpSocket", Y.map([("port", Y.int(port))]))
        }
        let interval = max(1, Int(renderer.spec.director.checkInterval.rounded()))
        return Y.map([action, ("periodSeconds", Y.int(interval)), ("failureThreshold", Y.int(1)), ("successThreshold", Y.int(1))])
    }

    func deployment(pool: PoolSpec, node: PlannedNode, replicas: Int) -> Node {
        let component = "\(name)-\(pool.name)"
        var mounts: [Node] = [Y.map([("name", Y.string("config")), ("mountPath", Y.string(ManifestRenderer.configPath)),
                                     ("subPath", Y.string("config.yaml")), ("readOnly", Node("true", Tag(.bool)))])]
        var volumes: [Node] = [Y.map([("name", Y.string("config")), ("configMap", Y.map([("name", Y.string(component))]))])]
        switch node.kind {
        case .mail:
            mounts.append(Y.map([("name", Y.string("store")), ("mountPath", Y.string(plan.storeRoot))]))
            volumes.append(Y.map([("name", Y.string("store")), ("persistentVolumeClaim", Y.map([("claimName", Y.string(storeClaim))]))]))
            if plan.directoryKind == .ldap {
                mounts.append(Y.map([("name", Y.string("directory")), ("mountPath", Y.string(renderer.layout.ldapReaderSecret)),
                                     ("subPath", Y.string("reader.secret")), ("readOnly", Node("true", Tag(.bool)))]))
                volumes.append(Y.map([("name", Y.string("directory")), ("secret", Y.map([("secretName", Y.string(directoryService))]))]))
            }
        case .web, .origin:
            mounts.append(Y.map([("name", Y.string("docroot")), ("mountPath", Y.string(plan.docroot))]))
            volumes.append(Y.map([("name", Y.string("docroot")), ("persistentVolumeClaim", Y.map([("claimName", Y.string(docrootClaim))]))]))
        default: break
        }
        let ports = node.listeners.map { Y.map([("name", Y.string($0.name)), ("containerPort", Y.int($0.port))]) }
        let container = Y.map([
            ("name", Y.string(pool.role.rawValue)), ("image", Y.string(renderer.image)),
            ("command", Y.strings(renderer.command(node.kind))), ("ports", Y.list(ports)),
            ("readinessProbe", probe(node, services: plan.services.filter { $0.pool == pool.name })),
            ("volumeMounts", Y.list(mounts)),
        ])
        return Y.map([
            ("apiVersion", Y.string("apps/v1")), ("kind", Y.string("Deployment")), ("metadata", metadata(component, component)),
            ("spec", Y.map([
                ("replicas", Y.int(replicas)),
                ("selector", Y.map([("matchLabels", labels(component))])),
                ("template", Y.map([("metadata", Y.map([("labels", labels(component))])),
                                    ("spec", Y.map([("containers", Y.list([container])), ("volumes", Y.list(volumes))]))])),
            ])),
        ])
    }

    /// The pool's virtual services as one Service: each VIP port to the port the nodes serve it on.
    func service(pool: String, _ services: [PlannedService]) -> Node {
        let component = "\(name)-\(pool)"
        var spec: [(String, Node)] = [
            ("type", Y.string("LoadBalancer")), ("selector", labels(component)),
            ("ports", Y.list(services.map {
                Y.map([("name", Y.string($0.name)), ("protocol", Y.string("TCP")), ("port", Y.int($0.port)), ("targetPort", Y.int($0.nodePort))])
            })),
        ]
        if let timeout = services.compactMap(\.persistence).max() {
            spec.append(("sessionAffinity", Y.string("ClientIP")))
            spec.append(("sessionAffinityConfig", Y.map([("clientIP", Y.map([("timeoutSeconds", Y.int(timeout))]))])))
        }
        let annotations = Y.map([("shoal.io/schedulers", Y.string(services.map { "\($0.name)=\($0.scheduler)" }.joined(separator: ",")))])
        return Y.map([("apiVersion", Y.string("v1")), ("kind", Y.string("Service")),
                      ("metadata", Y.map([("name", Y.string(component)), ("labels", labels(component)), ("annotations", annotations)])),
                      ("spec", Y.map(spec))])
    }

    /// The directory tier: its files in a Secret, a StatefulSet that seeds slapd with slapadd and runs it, a Service.
    func directory(_ node: PlannedNode) -> [Node] {
        let (directory, files) = renderer.slapdFiles()
        let port = node.port("ldap") ?? ApplianceDefaultPort.ldap
        let secret = Y.map([("apiVersion", Y.string("v1")), ("kind", Y.string("Secret")), ("metadata", metadata(directoryService, directoryService)),
                            ("type", Y.string("Opaque")), ("stringData", Y.map(files.map { ($0.0, Y.string($0.1)) }))])
        let mounts = files.filter { $0.0 != "reader.secret" }.map { file in
            Y.map([("name", Y.string("seed")), ("mountPath", Y.string("\(directory)/\(file.0)")), ("subPath", Y.string(file.0)),
                   ("readOnly", Node("true", Tag(.bool)))])
        } + [Y.map([("name", Y.string("data")), ("mountPath", Y.string("\(directory)/data"))])]
        let container = Y.map([
            ("name", Y.string("slapd")), ("image", Y.string(renderer.image)),
            ("command", Y.strings(["sh", "-c", renderer.slapdCommand(directory: directory, port: port)])),
            ("ports", Y.list([Y.map([("name", Y.string("ldap")), ("containerPort", Y.int(port))])])),
            ("readinessProbe", Y.map([("tcpSocket", Y.map([("port", Y.int(port))])), ("periodSeconds", Y.int(2))])),
            ("volumeMounts", Y.list(mounts)),
        ])
        let statefulSet = Y.map([
            ("apiVersion", Y.string("apps/v1")), ("kind", Y.string("StatefulSet")), ("metadata", metadata(directoryService, directoryService)),
            ("spec", Y.map([
                ("serviceName", Y.string(directoryService)), ("replicas", Y.int(1)),
                ("selector", Y.map([("matchLabels", labels(directoryService))])),
                ("template", Y.map([("metadata", Y.map([("labels", labels(directoryService))])),
                                    ("spec", Y.map([("containers", Y.list([container])),
                                                    ("volumes", Y.list([Y.map([("name", Y.string("seed")), ("secret", Y.map([("secretName", Y.string(directoryService))]))]),
                                                                        Y.map([("name", Y.string("data")), ("emptyDir", Y.map([]))])]))]))])),
            ])),
        ])
        let service = Y.map([("apiVersion", Y.string("v1")), ("kind", Y.string("Service")), ("metadata", metadata(directoryService, directoryService)),
                             ("spec", Y.map([("selector", labels(directoryService)),
                                             ("ports", Y.list([Y.map([("name", Y.string("ldap")), ("port", Y.int(port)), ("targetPort", Y.int(port))])]))]))])
        return [secret, statefulSet, service]
    }
}
