import Foundation

/// An offline check of Kubernetes objects against the rules the API server enforces on create (no cluster and
/// no downloaded schema here): the known apiVersion/kind pairs, strict field sets with their types, object and
/// label names (DNS-1123 / DNS-1035 / qualified names), workload selectors matching their pod templates,
/// containers (names, images, ports 1–65535 with IANA port names of at most 15 characters, unique per pod),
/// volumes and mounts, probes (one handler, ports that exist, thresholds), Services (ports, names, protocols,
/// targetPorts that are container ports of the pods they select, affinity), claims (access modes, a storage
/// quantity) and ConfigMap/Secret keys. Each violation names the object and the field path.
struct KubernetesSchema {
    typealias Object = [String: Any]

    /// The violations found in `objects` (one manifest's documents); empty when the server would accept them.
    static func violations(_ objects: [Object]) -> [String] {
        var checker = KubernetesSchema()
        for object in objects { checker.check(object) }
        checker.crossCheck(objects)
        return checker.found
    }

    var found: [String] = []
    var at = ""

    mutating func fail(_ path: String, _ message: String) { found.append("\(at): \(path): \(message)") }

    // MARK: Kinds

    static let kinds: [String: String] = [
        "ConfigMap": "v1", "Secret": "v1", "Service": "v1", "PersistentVolumeClaim": "v1",
        "Deployment": "apps/v1", "StatefulSet": "apps/v1",
    ]

    mutating func check(_ object: Object) {
        let kind = object["kind"] as? String ?? "?"
        let name = (object["metadata"] as? Object)?["name"] as? String ?? "?"
        at = "\(kind) \(name)"
        guard let apiVersion = object["apiVersion"] as? String else { return fail("apiVersion", "required") }
        guard let expected = Self.kinds[kind] else { return fail("kind", "'\(kind)' is not a kind this checker knows") }
        guard apiVersion == expected else { return fail("apiVersion", "\(kind) is served as \(expected), not '\(apiVersion)'") }
        var fields: Set<String> = ["apiVersion", "kind", "metadata"]
        switch kind {
        case "ConfigMap": fields.formUnion(["data", "binaryData", "immutable"])
        case "Secret": fields.formUnion(["data", "stringData", "type", "immutable"])
        default: fields.insert("spec")
        }
        allowOnly(object, fields, "")
        metadata(object["metadata"], kind: kind)
        switch kind {
        case "ConfigMap": configData(object)
        case "Secret": secret(object)
        case "Service": service(object["spec"])
        case "PersistentVolumeClaim": claim(object["spec"])
        case "Deployment", "StatefulSet": workload(object["spec"], statefulSet: kind == "StatefulSet")
        default: break
        }
    }

    // MARK: Metadata and names

    mutating func metadata(_ value: Any?, kind: String) {
        guard let metadata = value as? Object else { return fail("metadata", "required, a mapping") }
        allowOnly(metadata, ["name", "namespace", "labels", "annotations"], "metadata")
        guard let name = metadata["name"] as? String else { return fail("metadata.name", "required, a string") }
        if kind == "Service" {
            if let problem = Self.dns1035Label(name) { fail("metadata.name", problem) }
        } else if let problem = Self.dns1123Subdomain(name) {
            fail("metadata.name", problem)
        }
        if let labels = metadata["labels"] { self.labels(labels, "metadata.labels") }
        if let annotations = metadata["annotations"] {
            guard let map = annotations as? Object else { return fail("metadata.annotations", "a mapping") }
            for (key, value) in map {
                if let problem = Self.qualifiedName(key) { fail("metadata.annotations[\(key)]", problem) }
                if !(value is String) { fail("metadata.annotations[\(key)]", "values are strings") }
            }
        }
    }

    mutating func labels(_ value: Any, _ path: String) {
        guard let map = value as? Object else { return fail(path, "a mapping of strings") }
        for (key, value) in map {
            if let problem = Self.qualifiedName(key) { fail("\(path)[\(key)]", problem) }
            guard let text = value as? String else { fail("\(path)[\(key)]", "label values are strings"); continue }
            if let problem = Self.labelValue(text) { fail("\(path)[\(key)]", problem) }
        }
    }

    static func isAlphanumeric(_ c: Character) -> Bool { c.isASCII && (c.isLowercase || c.isNumber) }

    /// RFC 1123 label: at most 63 of a-z 0-9 '-', starting and ending alphanumeric.
    static func dns1123Label(_ s: String) -> String? {
        guard !s.isEmpty, s.count <= 63, s.allSatisfy({ isAlphanumeric($0) || $0 == "-" }),
              isAlphanumeric(s.first!), isAlphanumeric(s.last!) else {
            return "'\(s)' is not a DNS-1123 label (at most 63 of a-z 0-9 -, alphanumeric at both ends)"
        }
        return nil
    }

    /// RFC 1123 subdomain: at most 253 characters, dot-separated labels.
    static func dns1123Subdomain(_ s: String) -> String? {
        guard !s.isEmpty, s.count <= 253, s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ dns1123Label(String($0)) == nil }) else {
            return "'\(s)' is not a DNS-1123 subdomain (at most 253 of a-z 0-9 - ., alphanumeric at both ends)"
        }
        return nil
    }

    /// RFC 1035 label (Service names): a DNS-1123 label starting with a letter.
    static func dns1035Label(_ s: String) -> String? {
        guard dns1123Label(s) == nil, s.first!.isLetter else { return "'\(s)' is not a DNS-1035 label (a-z first, then a-z 0-9 -, at most 63)" }
        return nil
    }

    /// `[prefix/]name`: prefix a DNS-1123 subdomain, name at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends.
    static func qualifiedName(_ s: String) -> String? {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2 else { return "'\(s)' has more than one '/'" }
        if parts.count == 2, let problem = dns1123Subdomain(parts[0]) { return "prefix of '\(s)': \(problem)" }
        let name = parts.last!
        guard !name.isEmpty, name.count <= 63, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }),
              name.first!.isLetter || name.first!.isNumber, name.last!.isLetter || name.last!.isNumber else {
            return "'\(s)' is not a qualified name (at most 63 of A-Z a-z 0-9 - _ ., alphanumeric at both ends)"
        }
        return nil
    }

    static func labelValue(_ s: String) -> String? {
        guard !s.isEmpty else { return nil }
        return qualifiedName(s) == nil && !s.contains("/") ? nil : "'\(s)' is not a label value (at most 63 of A-Z a-z 0-9 - _ .)"
    }

    /// IANA service name (container port names): 1–15 of a-z 0-9 '-', at least one letter, no '-' at the ends or twice.
    static func ianaServiceName(_ s: String) -> String? {
        guard !s.isEmpty, s.count <= 15, s.allSatisfy({ isAlphanumeric($0) || $0 == "-" }), s.contains(where: \.isLetter),
              s.first != "-", s.last != "-", !s.contains("--") else {
            return "'\(s)' is not an IANA service name (1 to 15 of a-z 0-9 -, a letter, no leading, trailing or double -)"
        }
        return nil
    }

    /// ConfigMap and Secret keys: at most 253 of [-._a-zA-Z0-9], not "." or "..".
    static func configKey(_ s: String) -> String? {
        guard !s.isEmpty, s.count <= 253, s != ".", s != "..", s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }) else {
            return "'\(s)' is not a valid key (at most 253 of - . _ a-z A-Z 0-9, not . or ..)"
        }
        return nil
    }

    // MARK: Field sets and types

    mutating func allowOnly(_ map: Object, _ allowed: Set<String>, _ path: String) {
        for key in map.keys.sorted() where !allowed.contains(key) {
            fail(path.isEmpty ? key : "\(path).\(key)", "unknown field (the server's strict decoding refuses it)")
        }
    }

    mutating func integer(_ value: Any?, _ path: String, required: Bool = false, in range: ClosedRange<Int>? = nil) -> Int? {
        guard let value else {
            if required { fail(path, "required") }
            return nil
        }
        guard let number = value as? Int, !(value is Bool) else {
            fail(path, "an integer, not \(type(of: value)) '\(value)'")
            return nil
        }
        if let range, !range.contains(number) { fail(path, "\(number) is out of \(range.lowerBound)...\(range.upperBound)") }
        return number
    }

    mutating func string(_ value: Any?, _ path: String, required: Bool = false) -> String? {
        guard let value else {
            if required { fail(path, "required") }
            return nil
        }
        guard let text = value as? String else {
            fail(path, "a string, not \(type(of: value)) '\(value)'")
            return nil
        }
        if required && text.isEmpty { fail(path, "required (empty)") }
        return text
    }

    mutating func boolean(_ value: Any?, _ path: String) {
        if let value, !(value is Bool) { fail(path, "a boolean, not '\(value)'") }
    }

    mutating func strings(_ value: Any?, _ path: String) {
        guard let value else { return }
        guard let list = value as? [Any], list.allSatisfy({ $0 is String }) else { return fail(path, "a list of strings") }
    }

    mutating func list(_ value: Any?, _ path: String, required: Bool = false) -> [Object] {
        guard let value else {
            if required { fail(path, "required") }
            return []
        }
        guard let list = value as? [Any] else {
            fail(path, "a list")
            return []
        }
        var objects: [Object] = []
        for (index, item) in list.enumerated() {
            guard let object = item as? Object else { fail("\(path)[\(index)]", "a mapping"); continue }
            objects.append(object)
        }
        if required && objects.isEmpty { fail(path, "required (at least one)") }
        return objects
    }

    mutating func mapping(_ value: Any?, _ path: String, required: Bool = false) -> Object? {
        guard let value else {
            if required { fail(path, "required") }
            return nil
        }
        guard let map = value as? Object else {
            fail(path, "a mapping")
            return nil
        }
        return map
    }

    // MARK: ConfigMap, Secret

    mutating func configData(_ object: Object) {
        var total = 0
        if let data = mapping(object["data"], "data") {
            for (key, value) in data {
                if let problem = Self.configKey(key) { fail("data[\(key)]", problem) }
                if let text = value as? String { total += text.utf8.count } else { fail("data[\(key)]", "values are strings") }
            }
            if let binary = object["binaryData"] as? Object {
                for key in binary.keys where data[key] != nil { fail("binaryData[\(key)]", "also a key of data") }
            }
        }
        if total > 1 << 20 { fail("data", "\(total) bytes: a ConfigMap holds at most 1 MiB") }
    }

    mutating func secret(_ object: Object) {
        if let type = string(object["type"], "type"), type.isEmpty { fail("type", "empty") }
        var total = 0
        if let data = mapping(object["data"], "data") {
            for (key, value) in data {
                if let problem = Self.configKey(key) { fail("data[\(key)]", problem) }
                guard let text = value as? String, let bytes = Data(base64Encoded: text) else { fail("data[\(key)]", "values are base64"); continue }
                total += bytes.count
            }
        }
        if let data = mapping(object["stringData"], "stringData") {
            for (key, value) in data {
                if let problem = Self.configKey(key) { fail("stringData[\(key)]", problem) }
                if let text = value as? String { total += text.utf8.count } else { fail("stringData[\(key)]", "values are strings") }
            }
        }
        if total > 1 << 20 { fail("data", "\(total) bytes: a Secret holds at most 1 MiB") }
    }

    // MARK: PersistentVolumeClaim

    static let accessModes: Set<String> = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]

    /// A resource quantity: a decimal number and an optional binary or decimal suffix.
    static func quantity(_ s: String) -> Bool {
        let suffixes = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E", ""]
        for suffix in suffixes where s.hasSuffix(suffix) {
            let number = s.dropLast(suffix.count)
            let parts = number.split(separator: ".", omittingEmptySubsequences: false)
            if !number.isEmpty, parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) { return true }
        }
        return false
    }

    mutating func claim(_ value: Any?) {
        guard let spec = mapping(value, "spec", required: true) else { return }
        allowOnly(spec, ["accessModes", "resources", "storageClassName", "volumeMode", "selector", "volumeName", "dataSource"], "spec")
        guard let modes = spec["accessModes"] as? [Any], !modes.isEmpty else { return fail("spec.accessModes", "required (at least one)") }
        for (index, mode) in modes.enumerated() where !(mode is String && Self.accessModes.contains(mode as! String)) {
            fail("spec.accessModes[\(index)]", "'\(mode)' is not one of \(Self.accessModes.sorted())")
        }
        let storage = ((spec["resources"] as? Object)?["requests"] as? Object)?["storage"]
        guard let size = string(storage, "spec.resources.requests.storage", required: true) else { return }
        if !Self.quantity(size) { fail("spec.resources.requests.storage", "'\(size)' is not a quantity") }
        if let resources = spec["resources"] as? Object { allowOnly(resources, ["requests", "limits"], "spec.resources") }
    }

    // MARK: Workloads

    mutating func workload(_ value: Any?, statefulSet: Bool) {
        guard let spec = mapping(value, "spec", required: true) else { return }
        var fields: Set<String> = ["replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit", "paused",
                                   "progressDeadlineSeconds"]
        if statefulSet {
            fields = ["replicas", "selector", "template", "serviceName", "volumeClaimTemplates", "podManagementPolicy", "updateStrategy",
                      "revisionHistoryLimit", "minReadySeconds", "persistentVolumeClaimRetentionPolicy", "ordinals"]
            _ = string(spec["serviceName"], "spec.serviceName")
        }
        allowOnly(spec, fields, "spec")
        _ = integer(spec["replicas"], "spec.replicas", in: 0...Int(Int32.max))
        guard let selector = mapping(spec["selector"], "spec.selector", required: true) else { return }
        allowOnly(selector, ["matchLabels", "matchExpressions"], "spec.selector")
        let matchLabels = selector["matchLabels"] as? Object ?? [:]
        if let labels = selector["matchLabels"] { self.labels(labels, "spec.selector.matchLabels") }
        if matchLabels.isEmpty && selector["matchExpressions"] == nil { fail("spec.selector", "empty: it would select every pod") }
        guard let template = mapping(spec["template"], "spec.template", required: true) else { return }
        allowOnly(template, ["metadata", "spec"], "spec.template")
        let templateLabels = (template["metadata"] as? Object)?["labels"] as? Object ?? [:]
        if let labels = (template["metadata"] as? Object)?["labels"] { self.labels(labels, "spec.template.metadata.labels") }
        for (key, value) in matchLabels where templateLabels[key] as? String != value as? String {
            fail("spec.template.metadata.labels", "`selector` does not match template `labels` (\(key)=\(value))")
        }
        guard let pod = mapping(template["spec"], "spec.template.spec", required: true) else { return }
        podSpec(pod, "spec.template.spec")
    }

    mutating func podSpec(_ pod: Object, _ path: String) {
        allowOnly(pod, ["containers", "initContainers", "volumes", "restartPolicy", "terminationGracePeriodSeconds", "serviceAccountName",
                        "securityContext", "nodeSelector", "affinity", "tolerations", "hostname", "subdomain", "dnsPolicy", "enableServiceLinks"],
                  path)
        if let policy = string(pod["restartPolicy"], "\(path).restartPolicy"), policy != "Always" {
            fail("\(path).restartPolicy", "'\(policy)': Deployments and StatefulSets allow only Always")
        }
        var volumes: Set<String> = []
        for (index, volume) in list(pod["volumes"], "\(path).volumes").enumerated() {
            let at = "\(path).volumes[\(index)]"
            guard let name = string(volume["name"], "\(at).name", required: true) else { continue }
            if let problem = Self.dns1123Label(name) { fail("\(at).name", problem) }
            if !volumes.insert(name).inserted { fail("\(at).name", "'\(name)' is declared twice") }
            let sources = ["configMap", "secret", "persistentVolumeClaim", "emptyDir", "hostPath"]
            allowOnly(volume, Set(sources + ["name"]), at)
            let present = sources.filter { volume[$0] != nil }
            guard present.count == 1 else { fail(at, "exactly one volume source, not \(present)"); continue }
            switch present[0] {
            case "configMap": _ = string((volume["configMap"] as? Object)?["name"], "\(at).configMap.name", required: true)
            case "secret": _ = string((volume["secret"] as? Object)?["secretName"], "\(at).secret.secretName", required: true)
            case "persistentVolumeClaim":
                _ = string((volume["persistentVolumeClaim"] as? Object)?["claimName"], "\(at).persistentVolumeClaim.claimName", required: true)
            case "emptyDir": _ = mapping(volume["emptyDir"], "\(at).emptyDir")
            default: _ = string((volume["hostPath"] as? Object)?["path"], "\(at).hostPath.path", required: true)
            }
        }
        var containerNames: Set<String> = []
        var portNames: Set<String> = []
        for (index, container) in list(pod["containers"], "\(path).containers", required: true).enumerated() {
            let at = "\(path).containers[\(index)]"
            allowOnly(container, ["name", "image", "command", "args", "env", "ports", "readinessProbe", "livenessProbe", "startupProbe",
                                  "volumeMounts", "resources", "workingDir", "securityContext", "imagePullPolicy"], at)
            if let name = string(container["name"], "\(at).name", required: true) {
                if let problem = Self.dns1123Label(name) { fail("\(at).name", problem) }
                if !containerNames.insert(name).inserted { fail("\(at).name", "'\(name)' is used twice") }
            }
            _ = string(container["image"], "\(at).image", required: true)
            strings(container["command"], "\(at).command")
            strings(container["args"], "\(at).args")
            if let policy = string(container["imagePullPolicy"], "\(at).imagePullPolicy"), !["Always", "Never", "IfNotPresent"].contains(policy) {
                fail("\(at).imagePullPolicy", "'\(policy)' is not Always, Never or IfNotPresent")
            }
            var numbers: Set<Int> = []
            var names: Set<String> = []
            for (p, port) in list(container["ports"], "\(at).ports").enumerated() {
                let portAt = "\(at).ports[\(p)]"
                allowOnly(port, ["name", "containerPort", "protocol", "hostPort", "hostIP"], portAt)
                if let number = integer(port["containerPort"], "\(portAt).containerPort", required: true, in: 1...65535),
                   !numbers.insert(number).inserted {
                    fail("\(portAt).containerPort", "\(number) is listed twice")
                }
                if let name = string(port["name"], "\(portAt).name") {
                    if let problem = Self.ianaServiceName(name) { fail("\(portAt).name", problem) }
                    if !portNames.insert(name).inserted { fail("\(portAt).name", "'\(name)' is used twice in the pod") }
                    names.insert(name)
                }
                if let proto = string(port["protocol"], "\(portAt).protocol"), !["TCP", "UDP", "SCTP"].contains(proto) {
                    fail("\(portAt).protocol", "'\(proto)' is not TCP, UDP or SCTP")
                }
            }
            for probeName in ["readinessProbe", "livenessProbe", "startupProbe"] {
                guard let probe = mapping(container[probeName], "\(at).\(probeName)") else { continue }
                self.probe(probe, "\(at).\(probeName)", liveness: probeName != "readinessProbe", portNames: names)
            }
            var mountPaths: Set<String> = []
            for (m, mount) in list(container["volumeMounts"], "\(at).volumeMounts").enumerated() {
                let mountAt = "\(at).volumeMounts[\(m)]"
                allowOnly(mount, ["name", "mountPath", "subPath", "readOnly"], mountAt)
                if let name = string(mount["name"], "\(mountAt).name", required: true), !volumes.contains(name) {
                    fail("\(mountAt).name", "no volume named '\(name)'")
                }
                if let mountPath = string(mount["mountPath"], "\(mountAt).mountPath", required: true) {
                    if !mountPath.hasPrefix("/") { fail("\(mountAt).mountPath", "'\(mountPath)' is not absolute") }
                    if !mountPaths.insert(mountPath).inserted { fail("\(mountAt).mountPath", "'\(mountPath)' is mounted twice") }
                }
                if let subPath = string(mount["subPath"], "\(mountAt).subPath"),
                   subPath.hasPrefix("/") || subPath.split(separator: "/").contains("..") {
                    fail("\(mountAt).subPath", "'\(subPath)' must be relative, without '..'")
                }
                boolean(mount["readOnly"], "\(mountAt).readOnly")
            }
        }
    }

    mutating func probe(_ probe: Object, _ path: String, liveness: Bool, portNames: Set<String>) {
        let handlers = ["httpGet", "tcpSocket", "exec", "grpc"]
        allowOnly(probe, Set(handlers + ["periodSeconds", "failureThreshold", "successThreshold", "timeoutSeconds", "initialDelaySeconds",
                                         "terminationGracePeriodSeconds"]), path)
        let present = handlers.filter { probe[$0] != nil }
        if present.count != 1 { fail(path, "exactly one handler of \(handlers), not \(present)") }
        for handler in ["httpGet", "tcpSocket"] {
            guard let action = probe[handler] as? Object else { continue }
            allowOnly(action, handler == "httpGet" ? ["path", "port", "host", "scheme", "httpHeaders"] : ["port", "host"], "\(path).\(handler)")
            port(action["port"], "\(path).\(handler).port", names: portNames, required: true)
            if handler == "httpGet", let request = string(action["path"], "\(path).httpGet.path"), !request.hasPrefix("/") {
                fail("\(path).httpGet.path", "'\(request)' does not start with /")
            }
            if handler == "httpGet", let scheme = string(action["scheme"], "\(path).httpGet.scheme"), !["HTTP", "HTTPS"].contains(scheme) {
                fail("\(path).httpGet.scheme", "'\(scheme)' is not HTTP or HTTPS")
            }
        }
        if let exec = probe["exec"] as? Object { strings(exec["command"], "\(path).exec.command") }
        for field in ["periodSeconds", "failureThreshold", "timeoutSeconds"] { _ = integer(probe[field], "\(path).\(field)", in: 1...Int(Int32.max)) }
        _ = integer(probe["initialDelaySeconds"], "\(path).initialDelaySeconds", in: 0...Int(Int32.max))
        if let success = integer(probe["successThreshold"], "\(path).successThreshold", in: 1...Int(Int32.max)), liveness, success != 1 {
            fail("\(path).successThreshold", "must be 1 for liveness and startup probes")
        }
    }

    /// A port given by number (1–65535) or by the IANA name of a container port.
    mutating func port(_ value: Any?, _ path: String, names: Set<String>?, required: Bool) {
        guard let value else {
            if required { fail(path, "required") }
            return
        }
        if value is Int && !(value is Bool) {
            _ = integer(value, path, in: 1...65535)
        } else if let name = value as? String {
            if let problem = Self.ianaServiceName(name) { fail(path, problem) } else if let names, !names.contains(name) {
                fail(path, "no container port is named '\(name)'")
            }
        } else {
            fail(path, "a port number or name, not '\(value)'")
        }
    }

    // MARK: Service

    mutating func service(_ value: Any?) {
        guard let spec = mapping(value, "spec", required: true) else { return }
        allowOnly(spec, ["type", "selector", "ports", "sessionAffinity", "sessionAffinityConfig", "clusterIP", "externalTrafficPolicy",
                         "loadBalancerIP", "publishNotReadyAddresses", "externalName", "loadBalancerSourceRanges"], "spec")
        let type = string(spec["type"], "spec.type") ?? "ClusterIP"
        if !["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].contains(type) { fail("spec.type", "'\(type)' is no Service type") }
        if let selector = spec["selector"] { labels(selector, "spec.selector") }
        let ports = list(spec["ports"], "spec.ports", required: type != "ExternalName")
        var names: Set<String> = []
        var keys: Set<String> = []
        for (index, port) in ports.enumerated() {
            let at = "spec.ports[\(index)]"
            allowOnly(port, ["name", "protocol", "port", "targetPort", "nodePort", "appProtocol"], at)
            if let name = string(port["name"], "\(at).name") {
                if let problem = Self.dns1123Label(name) { fail("\(at).name", problem) }
                if !names.insert(name).inserted { fail("\(at).name", "'\(name)' is used twice") }
            } else if ports.count > 1 {
                fail("\(at).name", "required when a Service has more than one port")
            }
            let proto = string(port["protocol"], "\(at).protocol") ?? "TCP"
            if !["TCP", "UDP", "SCTP"].contains(proto) { fail("\(at).protocol", "'\(proto)' is not TCP, UDP or SCTP") }
            if let number = integer(port["port"], "\(at).port", required: true, in: 1...65535), !keys.insert("\(number)/\(proto)").inserted {
                fail("\(at).port", "\(number)/\(proto) is listed twice")
            }
            self.port(port["targetPort"], "\(at).targetPort", names: nil, required: false)
            if let nodePort = port["nodePort"] {
                if type == "ClusterIP" { fail("\(at).nodePort", "only NodePort and LoadBalancer Services have node ports") }
                _ = integer(nodePort, "\(at).nodePort", in: 1...65535)
            }
        }
        let affinity = string(spec["sessionAffinity"], "spec.sessionAffinity") ?? "None"
        if !["None", "ClientIP"].contains(affinity) { fail("spec.sessionAffinity", "'\(affinity)' is not None or ClientIP") }
        if let config = mapping(spec["sessionAffinityConfig"], "spec.sessionAffinityConfig") {
            if affinity != "ClientIP" { fail("spec.sessionAffinityConfig", "only with sessionAffinity: ClientIP") }
            _ = integer((config["clientIP"] as? Object)?["timeoutSeconds"], "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                        required: true, in: 1...86400)
        }
    }

    // MARK: Between objects

    /// Services select exactly one workload and target its container ports (by number or name); mounted
    /// ConfigMaps, Secrets and claims exist among the objects.
    mutating func crossCheck(_ objects: [Object]) {
        func named(_ kind: String) -> [String: Object] {
            Dictionary(objects.filter { $0["kind"] as? String == kind }.compactMap { object in
                ((object["metadata"] as? Object)?["name"] as? String).map { ($0, object) }
            }, uniquingKeysWith: { a, _ in a })
        }
        for kind in Self.kinds.keys.sorted() {
            var seen: Set<String> = []
            for object in objects where object["kind"] as? String == kind {
                let name = (object["metadata"] as? Object)?["name"] as? String ?? "?"
                at = "\(kind) \(name)"
                if !seen.insert(name).inserted { fail("metadata.name", "a second \(kind) of this name") }
            }
        }
        let workloads = objects.filter { ["Deployment", "StatefulSet"].contains($0["kind"] as? String ?? "") }
        func pod(_ workload: Object) -> Object? { ((workload["spec"] as? Object)?["template"] as? Object)?["spec"] as? Object }
        func podLabels(_ workload: Object) -> Object {
            ((((workload["spec"] as? Object)?["template"] as? Object)?["metadata"] as? Object)?["labels"] as? Object) ?? [:]
        }
        let configMaps = named("ConfigMap"), secrets = named("Secret"), claims = named("PersistentVolumeClaim")
        for workload in workloads {
            at = "\(workload["kind"] as? String ?? "?") \((workload["metadata"] as? Object)?["name"] as? String ?? "?")"
            for (index, volume) in ((pod(workload)?["volumes"] as? [Object]) ?? []).enumerated() {
                let path = "spec.template.spec.volumes[\(index)]"
                if let name = (volume["configMap"] as? Object)?["name"] as? String, configMaps[name] == nil { fail(path, "no ConfigMap '\(name)'") }
                if let name = (volume["secret"] as? Object)?["secretName"] as? String, secrets[name] == nil { fail(path, "no Secret '\(name)'") }
                if let name = (volume["persistentVolumeClaim"] as? Object)?["claimName"] as? String, claims[name] == nil {
                    fail(path, "no PersistentVolumeClaim '\(name)'")
                }
            }
        }
        for (name, service) in named("Service").sorted(by: { $0.key < $1.key }) {
            at = "Service \(name)"
            guard let spec = service["spec"] as? Object, let selector = spec["selector"] as? Object, !selector.isEmpty else { continue }
            let selected = workloads.filter { workload in
                let labels = podLabels(workload)
                return selector.allSatisfy { labels[$0.key] as? String == $0.value as? String }
            }
            guard selected.count == 1 else {
                fail("spec.selector", "selects \(selected.count) workloads, not one")
                continue
            }
            let containerPorts = ((pod(selected[0])?["containers"] as? [Object]) ?? []).flatMap { ($0["ports"] as? [Object]) ?? [] }
            let numbers = Set(containerPorts.compactMap { $0["containerPort"] as? Int })
            let portNames = Set(containerPorts.compactMap { $0["name"] as? String })
            for (index, port) in ((spec["ports"] as? [Object]) ?? []).enumerated() {
                let target = port["targetPort"] ?? port["port"]
                if let number = target as? Int, !numbers.contains(number) {
                    fail("spec.ports[\(index)].targetPort", "\(number) is no container port of the pods it selects (\(numbers.sorted()))")
                } else if let name = target as? String, !portNames.contains(name) {
                    fail("spec.ports[\(index)].targetPort", "'\(name)' names no container port of the pods it selects")
                }
            }
        }
    }
}
