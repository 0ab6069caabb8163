import NIOCore

/// Knows the open admin connections and which are inside a request, so shutdown can close idle
/// keep-alive connections at once and let busy ones finish their response.
actor ConnectionTracker {
    private var channels: [ObjectIdentifier: (channel: any Channel, busy: Bool)] = [:]
    private(set) var isQuiescing = false

    /// Registers a new connection; false (and the caller closes it) when shutting down.
    func opened(_ channel: any Channel) -> Bool {
        guard !isQuiescing else { return false }
        channels[ObjectIdentifier(channel)] = (channel, false)
        return true
    }

    func closed(_ channel: any Channel) { channels[ObjectIdentifier(channel)] = nil }

    /// A request arrived; false when shutting down (answer it with `Connection: close`).
    func beginRequest(_ channel: any Channel) -> Bool {
        channels[ObjectIdentifier(channel)]?.busy = true
        return !isQuiescing
    }

    /// The response went out; false when the connection should now close.
    func endRequest(_ channel: any Channel) -> Bool {
        channels[ObjectIdentifier(channel)]?.busy = false
        return !isQuiescing
    }

    /// Stops keep-alive: idle connections close now, busy ones after their response.
    func quiesce() {
        isQuiescing = true
        for (_, entry) in channels where !entry.busy { entry.channel.close(promise: nil) }
    }
}
