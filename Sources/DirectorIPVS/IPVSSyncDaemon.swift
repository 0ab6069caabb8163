public import Director
public import ShoalCore

/// A connection synchronisation daemon of the kernel (`--start-daemon`, `-L --daemon`): its role and the
/// core's `SyncDaemonSettings`.
public struct IPVSSyncDaemon: Hashable, Sendable {
    /// Master sends connection state; backup receives it.
    public enum Role: String, Hashable, Sendable { case master, backup }

    public var role: Role
    public var settings: SyncDaemonSettings

    public init(role: Role, settings: SyncDaemonSettings) {
        self.role = role
        self.settings = settings
    }

    public init(role: Role, interface: String = "", syncID: UInt32 = 0, maxLength: UInt16 = 0, group: IPAddress? = nil,
                port: UInt16 = 0, ttl: UInt8 = 0) {
        self.init(role: role, settings: SyncDaemonSettings(interface: interface, syncID: syncID, maxLength: maxLength, group: group, port: port, ttl: ttl))
    }

    var stateValue: UInt32 { role == .master ? IPVSGenericNetlink.DaemonState.master : IPVSGenericNetlink.DaemonState.backup }
}

extension IPVSSyncDaemon {
    /// `ipvsadm -L --daemon` (print_daemon): one line per running daemon, master first.
    public static func listing(_ daemons: [IPVSSyncDaemon]) -> String {
        var out = ""
        for role in [Role.master, .backup] {
            for daemon in daemons where daemon.role == role {
                let s = daemon.settings
                out += "\(role.rawValue) sync daemon (mcast=\(s.interface), syncid=\(s.syncID)"
                if s.maxLength != 0 { out += ", maxlen=\(s.maxLength)" }
                if let group = s.group { out += ", group=\(group)" }
                if s.port != 0 { out += ", port=\(s.port)" }
                if s.ttl != 0 { out += ", ttl=\(s.ttl)" }
                out += ")\n"
            }
        }
        return out
    }
}
