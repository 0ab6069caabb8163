import CLDAP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libldap handle (`LDAP *`) to one URI. Every method blocks on the network, so call them only on a
/// `NIOThreadPool` thread; the pool lends a connection to one caller at a time, hence `@unchecked Sendable`.
final class LDAPConnection: @unchecked Sendable {
    let uri: String
    private var handle: OpaquePointer?

    private init(uri: String, handle: OpaquePointer) {
        self.uri = uri
        self.handle = handle
    }

    deinit { close() }

    /// Connects to `uri` with the configuration's timeouts and TLS settings, then binds as `bindDN` (simple bind),
    /// or only connects (anonymous) when `bindDN` is nil.
    static func open(uri: String, configuration: LDAPConfiguration, bindDN: String?, password: String?)
        throws(LDAPFailure) -> LDAPConnection
    {
        ignoreSIGPIPE
        var ld: OpaquePointer?
        let rc = ldap_initialize(&ld, uri)
        guard rc == LDAP_SUCCESS, let ld else { throw LDAPFailure(code: rc, operation: "ldap_initialize", uri: uri) }
        let connection = LDAPConnection(uri: uri, handle: ld)
        try connection.configure(configuration)
        let trust = configuration.verifyCertificate
            ? configuration.caFile.map { "verified with CA file \($0)" } ?? "verified with the system's CA certificates"
            : "certificate not verified"
        if uri.lowercased().hasPrefix("ldaps://") {
            try connection.check(ldap_connect(ld), "TLS connect (ldaps, \(trust))",
                                 hint: "server unreachable, or TLS handshake or certificate check failed")
        } else if configuration.tls == .startTLS {
            try connection.check(ldap_start_tls_s(ld, nil, nil), "StartTLS (\(trust))",
                                 hint: "TLS handshake or certificate check failed: is the server's certificate "
                                     + "signed by that CA and issued for the host in the URI?")
        } else if bindDN == nil {
            try connection.check(ldap_connect(ld), "connect")
        }
        if let bindDN {
            try connection.bind(dn: bindDN, password: password ?? "")
        }
        return connection
    }

    private func configure(_ configuration: LDAPConfiguration) throws(LDAPFailure) {
        guard let ld = handle else { return }
        try setOption(shoal_ldap_set_int(ld, LDAP_OPT_PROTOCOL_VERSION, LDAP_VERSION3), "protocol version 3")
        let (connectSeconds, connectMicros) = Self.split(configuration.connectTimeout)
        try setOption(shoal_ldap_set_timeout(ld, LDAP_OPT_NETWORK_TIMEOUT, connectSeconds, connectMicros), "network timeout")
        let (opSeconds, opMicros) = Self.split(configuration.operationTimeout)
        try setOption(shoal_ldap_set_timeout(ld, LDAP_OPT_TIMEOUT, opSeconds, opMicros), "operation timeout")
        try setOption(shoal_ldap_set_on(ld, LDAP_OPT_RESTART), "restart on EINTR")
        guard configuration.tls == .startTLS || uri.lowercased().hasPrefix("ldaps://") else { return }
        if let caFile = configuration.caFile {
            try setOption(shoal_ldap_set_string(ld, LDAP_OPT_X_TLS_CACERTFILE, caFile), "TLS CA file \(caFile)")
        }
        let require = configuration.verifyCertificate ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER
        try setOption(shoal_ldap_set_int(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, require), "TLS certificate checking")
        // A new TLS context for this handle, so that the settings above apply (and a bad CA file shows here).
        let caText = configuration.caFile.map { "CA file \($0)" } ?? "the system's CA certificates"
        try setOption(shoal_ldap_set_int(ld, LDAP_OPT_X_TLS_NEWCTX, 0), "TLS context with \(caText)")
    }

    /// Simple bind; the password goes by length, so it may hold any bytes.
    func bind(dn: String, password: String) throws(LDAPFailure) {
        guard let ld = handle else { throw closedFailure("bind") }
        let length = password.utf8.count
        let bytes = Array(password.utf8) + [0]
        let rc = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                shoal_ldap_simple_bind(ld, dn, chars.baseAddress, length)
            }
        }
        try check(rc, "bind as \(dn)")
    }

    /// Entries matching `filter`; with `allowPartial`, a size-limit answer returns the entries received.
    func search(base: String, scope: Int32, filter: String, attributes: [String], sizeLimit: Int32,
                timeoutSeconds: Int, allowPartial: Bool = false) throws(LDAPFailure) -> [LDAPEntry]
    {
        guard let ld = handle else { throw closedFailure("search") }
        var attrs: [UnsafeMutablePointer<CChar>?] = attributes.map { strdup($0) } + [nil]
        defer { attrs.forEach { free($0) } }
        var result: OpaquePointer?
        let rc = attrs.withUnsafeMutableBufferPointer { buffer in
            shoal_ldap_search(ld, base, scope, filter, buffer.baseAddress, timeoutSeconds, sizeLimit, &result)
        }
        defer { if let result { ldap_msgfree(result) } }
        if !(allowPartial && rc == LDAP_SIZELIMIT_EXCEEDED) {
            try check(rc, "search \(filter) under \(base)")
        }
        var entries: [LDAPEntry] = []
        var entry = ldap_first_entry(ld, result)
        while let current = entry {
            entries.append(read(current, attributes: attributes))
            entry = ldap_next_entry(ld, current)
        }
        return entries
    }

    private func read(_ entry: OpaquePointer, attributes: [String]) -> LDAPEntry {
        var dn = ""
        if let raw = ldap_get_dn(handle, entry) {
            dn = String(cString: raw)
            ldap_memfree(raw)
        }
        var values: [String: [String]] = [:]
        for name in attributes {
            guard let list = shoal_ldap_values(handle, entry, name) else { continue }
            defer { ldap_value_free_len(list) }
            let count = Int(shoal_ldap_count_values(list))
            values[name.lowercased()] = (0..<count).compactMap { i in
                guard let value = list[i], let bytes = value.pointee.bv_val else { return nil }
                let buffer = UnsafeRawBufferPointer(start: bytes, count: Int(value.pointee.bv_len))
                return String(decoding: buffer, as: UTF8.self)
            }
        }
        return LDAPEntry(dn: dn, attributes: values)
    }

    /// A change to one attribute: add, replace or delete with these values.
    struct Modification: Hashable {
        enum Operation: Hashable { case add, replace, delete }
        var operation: Operation
        var attribute: String
        var values: [String]
    }

    /// Adds an entry with these attributes (each a `.add` modification).
    func add(dn: String, attributes: [(String, [String])]) throws(LDAPFailure) {
        guard let ld = handle else { throw closedFailure("add") }
        let mods = Self.makeMods(attributes.map { Modification(operation: .add, attribute: $0.0, values: $0.1) })
        defer { shoal_ldap_mods_free(mods) }
        try check(ldap_add_ext_s(ld, dn, mods, nil, nil), "add \(dn)")
    }

    /// Applies modifications to an entry.
    func modify(dn: String, _ modifications: [Modification]) throws(LDAPFailure) {
        guard let ld = handle else { throw closedFailure("modify") }
        let mods = Self.makeMods(modifications)
        defer { shoal_ldap_mods_free(mods) }
        try check(ldap_modify_ext_s(ld, dn, mods, nil, nil), "modify \(dn)")
    }

    /// Deletes an entry.
    func delete(dn: String) throws(LDAPFailure) {
        guard let ld = handle else { throw closedFailure("delete") }
        try check(ldap_delete_ext_s(ld, dn, nil, nil), "delete \(dn)")
    }

    /// Unbinds and frees the handle; later calls fail with "server down".
    func close() {
        guard let ld = handle else { return }
        handle = nil
        ldap_unbind_ext_s(ld, nil, nil)
    }

    /// A NULL-terminated `LDAPMod *` array allocated with malloc, as ldap_mods_free expects.
    private static func makeMods(_ modifications: [Modification]) -> UnsafeMutablePointer<UnsafeMutablePointer<LDAPMod>?> {
        let mods = calloc(modifications.count + 1, MemoryLayout<UnsafeMutablePointer<LDAPMod>?>.stride)!
            .bindMemory(to: UnsafeMutablePointer<LDAPMod>?.self, capacity: modifications.count + 1)
        for (i, modification) in modifications.enumerated() {
            let op: Int32 = switch modification.operation {
            case .add: shoal_ldap_op_add()
            case .replace: shoal_ldap_op_replace()
            case .delete: shoal_ldap_op_delete()
            }
            var values: [UnsafePointer<CChar>?] = modification.values.map { UnsafePointer(strdup($0)) }
            defer { values.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
            mods[i] = values.withUnsafeMutableBufferPointer { buffer in
                shoal_ldap_mod_new(op, modification.attribute, buffer.baseAddress, Int32(buffer.count))
            }
        }
        return mods
    }

    /// Throws for a result other than success, with the server's diagnostic message and, for a lost
    /// connection, the hint of what probably went wrong.
    private func check(_ rc: Int32, _ operation: String, hint: String? = nil) throws(LDAPFailure) {
        guard rc != LDAP_SUCCESS else { return }
        var details: [String] = []
        if let handle, let raw = shoal_ldap_diagnostic(handle) {
            let text = String(cString: raw)
            ldap_memfree(raw)
            if !text.isEmpty && text != "(unknown error code)" { details.append(text) }
        }
        if let hint, rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR { details.append(hint) }
        throw LDAPFailure(code: rc, operation: operation, uri: uri,
                          diagnostic: details.isEmpty ? nil : details.joined(separator: "; "))
    }

    private func setOption(_ rc: Int32, _ what: String) throws(LDAPFailure) {
        guard rc != LDAP_OPT_SUCCESS else { return }
        throw LDAPFailure(code: LDAP_PARAM_ERROR, operation: "setting \(what)", uri: uri,
                          diagnostic: "ldap_set_option returned \(rc)")
    }

    private func closedFailure(_ operation: String) -> LDAPFailure {
        LDAPFailure(code: LDAP_SERVER_DOWN, operation: operation, uri: uri, diagnostic: "connection closed")
    }

    private static func split(_ seconds: Double) -> (Int, Int) {
        let whole = max(0, Int(seconds))
        return (whole, max(0, Int((seconds - Double(whole)) * 1_000_000)))
    }
}

/// libldap writes to sockets with write(2); a peer that went away would kill the process with SIGPIPE.
/// Ignored once, process-wide, as SwiftNIO does on Linux.
private let ignoreSIGPIPE: Void = {
    _ = signal(SIGPIPE, SIG_IGN)
}()
