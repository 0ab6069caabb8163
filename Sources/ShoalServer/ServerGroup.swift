public import ServiceLifecycle

/// Several services run as one: started together, and on graceful shutdown drained together (each child
/// task sees the same shutdown), so a node's listeners share one drain period instead of taking turns.
public struct ServerGroup: Service {
    public let services: [any Service]

    public init(_ services: [any Service]) {
        self.services = services
    }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for service in services {
                group.addTask { try await service.run() }
            }
        }
    }
}
