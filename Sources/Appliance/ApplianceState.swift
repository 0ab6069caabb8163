import Foundation

/// What the supervisor last wrote about each node (`state.json`): read by `status`, `down` and the next `up`.
public struct ApplianceState: Sendable, Hashable, Codable {
    /// One node's process.
    public struct Node: Sendable, Hashable, Codable {
        public var name: String
        public var pid: Int32?
        public var running: Bool
        public var restarts: Int
        public var lastExit: String?

        public init(name: String, pid: Int32?, running: Bool, restarts: Int, lastExit: String?) {
            self.name = name
            self.pid = pid
            self.running = running
            self.restarts = restarts
            self.lastExit = lastExit
        }
    }

    public var supervisorPid: Int32
    /// Seconds since 1970 of the last write.
    public var updated: Double
    public var nodes: [Node]

    public init(supervisorPid: Int32, updated: Double, nodes: [Node]) {
        self.supervisorPid = supervisorPid
        self.updated = updated
        self.nodes = nodes
    }

    public func node(_ name: String) -> Node? { nodes.first { $0.name == name } }

    /// Reads `state.json`; nil when absent or unreadable.
    public static func read(_ layout: ApplianceLayout) -> ApplianceState? {
        guard let data = FileManager.default.contents(atPath: layout.stateFile) else { return nil }
        return try? JSONDecoder().decode(ApplianceState.self, from: data)
    }

    /// Writes `state.json` atomically (write and rename).
    public func write(_ layout: ApplianceLayout) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: layout.stateFile), options: .atomic)
    }
}

extension AppliancePlan {
    /// Reads `plan.json`.
    public static func read(_ layout: ApplianceLayout) throws -> AppliancePlan {
        guard let data = FileManager.default.contents(atPath: layout.planFile) else {
            throw AppliancePlanError("\(layout.root): no appliance there (no plan.json); start one with shoal up SPEC")
        }
        return try JSONDecoder().decode(AppliancePlan.self, from: data)
    }

    /// Writes `plan.json` atomically.
    public func write(_ layout: ApplianceLayout) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: layout.planFile), options: .atomic)
    }
}
