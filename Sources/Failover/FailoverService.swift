public import Logging

/// The director's failover: every configured VRRP instance, started together and stopped together (a master
/// sends priority 0 so its backup takes over at once).
public final class FailoverService: @unchecked Sendable {
    public let instances: [VRRPInstance]

    public init(configuration: FailoverConfiguration, logger: Logger) {
        instances = configuration.instances.map { VRRPInstance(configuration: $0, logger: logger) }
    }

    /// Starts every instance; when one cannot start, those started are stopped again and the error is thrown.
    public func start() async throws {
        var started: [VRRPInstance] = []
        for instance in instances {
            do {
                try instance.start()
                started.append(instance)
            } catch {
                for running in started { await running.stop() }
                throw error
            }
        }
    }

    /// Every instance's status, in configuration order.
    public var status: [VRRPInstanceStatus] { instances.map(\.status) }

    public func stop() async {
        for instance in instances { await instance.stop() }
    }
}
