public import ShoalCore

/// A connection synchronisation daemon of the kernel (`--start-daemon`, `-L --daemon`): its role and settings.
public struct IPVSSyncDaemon: Hashable, Sendable {
    /// Master sends connection state; backup receives it.
    public enum Role: String, Hashable, Sendable { case master, backup }

    public var role: Role
    /// `--mcast-interface` (the kernel requires one to start a daemon).
    public var interface: String
    /// `--syncid` 0...255.
    public var syncID: UInt32
    /// `--sync-maxlen`: the UDP payload size (0: the kernel's default).
    public var maxLength: UInt16
    /// `--mcast-group` (nil: the kernel's default 224.0.0.81).
    public var group: IPAddress?
    /// `--mcast-port` (0: the kernel's default 8848).
    public var port: UInt16
    /// `--mcast-ttl` (0: the kernel's default 1).
    public var ttl: UInt8

    public init(role: Role, interface: String = "", syncID: UInt32 = 0, maxLength: UInt16 = 0, group: IPAddress? = nil,
                port: UInt16 = 0, ttl: UInt8 = 0) {
        self.role = role
        self.interface = interface
        self.syncID = syncID
        self.maxLength = maxLength
        self.group = group
        self.port = port
        self.ttl = ttl
    }

    var stateValue: UInt32 { role == .master ? IPVSGenericNetlink.DaemonState.master : IPVSGenericNetlink.DaemonState.backup }
}
