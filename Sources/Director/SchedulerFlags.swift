/// The three scheduler flag bits (`-b`): sh/mh read flag-1 as fallback and flag-2 as port.
public struct SchedulerFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let flag1 = SchedulerFlags(rawValue: 0x0008)
    public static let flag2 = SchedulerFlags(rawValue: 0x0010)
    public static let flag3 = SchedulerFlags(rawValue: 0x0020)
    /// sh-fallback / mh-fallback: look further round the table when the hashed server is unavailable.
    public static let fallback = flag1
    /// sh-port / mh-port: hash the client port too.
    public static let port = flag2
    /// mh, Shoal only (the kernel's mh ignores flag-3): the table is built from the servers' addresses alone,
    /// ports left out, so services over the same nodes on different ports put a key on the same node. The mail
    /// proxy services set it: a user's IMAP, POP3 and submission sessions meet on one node.
    public static let addressOnly = flag3
}

/// Why a scheduler flag name was refused (ipvsadm's parse_sched_flags wording).
public enum SchedulerFlagError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Not a flag name at all.
    case invalid(String)
    /// An sh-/mh- name given to another scheduler.
    case incompatible(String, scheduler: String)

    public var description: String {
        switch self {
        case let .invalid(name): return "invalid scheduler flag `\(name)'"
        case let .incompatible(name, _): return "incompatible scheduler flag `\(name)'"
        }
    }
}

extension SchedulerFlags {
    /// The one name table: generic names for every scheduler, then the names sh and mh give their flags.
    static let genericNames: [(name: String, flag: SchedulerFlags)] = [("flag-1", .flag1), ("flag-2", .flag2), ("flag-3", .flag3)]
    static let schedulerNames: [(name: String, flag: SchedulerFlags, scheduler: SchedulerName)] = [
        ("sh-fallback", .fallback, .sh), ("sh-port", .port, .sh), ("mh-fallback", .fallback, .mh), ("mh-port", .port, .mh),
    ]

    /// Every name a front end may accept, for error messages and documentation.
    public static let acceptedNames: [String] = genericNames.map(\.name) + schedulerNames.map(\.name)

    /// One flag by name (exact, lower case); `sh-*`/`mh-*` only for their own scheduler, as ipvsadm checks.
    ///
    /// `scheduler` is the scheduler's name as given (ipvsadm checks against the name seen so far, default wlc).
    public static func named(_ name: some StringProtocol, scheduler: String) throws(SchedulerFlagError) -> SchedulerFlags {
        if let generic = genericNames.first(where: { $0.name == name }) { return generic.flag }
        guard let specific = schedulerNames.first(where: { $0.name == name }) else { throw .invalid(String(name)) }
        guard specific.scheduler.rawValue == scheduler else { throw .incompatible(String(name), scheduler: scheduler) }
        return specific.flag
    }

    /// A list of names, each checked by ``named(_:scheduler:)``.
    public static func parse(_ names: some Sequence<some StringProtocol>, scheduler: String) throws(SchedulerFlagError) -> SchedulerFlags {
        var flags: SchedulerFlags = []
        for name in names { flags.insert(try named(name, scheduler: scheduler)) }
        return flags
    }

    /// print_sched_flags: the names sh and mh give their flags, `flag-N` for every other scheduler.
    public func names(for scheduler: SchedulerName) -> [String] {
        let specific = Self.schedulerNames.filter { $0.scheduler == scheduler }
        if !specific.isEmpty { return specific.filter { contains($0.flag) }.map(\.name) }
        return Self.genericNames.filter { contains($0.flag) }.map(\.name)
    }
}
