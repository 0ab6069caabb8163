public import Director

extension IPVSRequest {
    /// The request that carries out one ipvsadm command that changes the kernel's table.
    public init(_ command: IPVSCommand) throws(IPVSKernelError) {
        switch command {
        case let .addService(config): self = .newService(config)
        case let .editService(config): self = .setService(config)
        case let .deleteService(key): self = .deleteService(key)
        case .flush: self = .flush
        case let .zero(key): self = .zero(key)
        case let .addServer(key, server): self = .newDest(key, server)
        case let .editServer(key, server): self = .setDest(key, server)
        case let .deleteServer(key, endpoint): self = .deleteDest(key, endpoint)
        case let .setTimeouts(tcp, tcpFin, udp):
            self = .setConfig(tcp: UInt32(clamping: tcp), tcpFin: UInt32(clamping: tcpFin), udp: UInt32(clamping: udp))
        case let .syncDaemon(start, state, settings):
            let role: IPVSSyncDaemon.Role = state == "backup" ? .backup : .master
            self = start ? .newDaemon(IPVSSyncDaemon(role: role, settings: settings)) : .deleteDaemon(role)
        case .list, .save, .restore:
            throw IPVSKernelError(.initialize, .socket("\(command) does not change the table"))
        }
    }
}
