public import Directory

/// One signed-in browser: who it is, its CSRF token, and when it started and was last seen.
public struct WebSession: Hashable, Sendable {
    /// The random session id (the cookie carries it with its signature).
    public var id: String
    /// The user as the directory gave it at sign-in.
    public var user: DirectoryUser
    /// The login as the directory knows it.
    public var login: String { user.login }
    /// The user's primary address (the From of what they send).
    public var address: String
    /// Whether the user may reach the administration pages.
    public var isAdmin: Bool
    /// The token every state-changing form must return.
    public var csrfToken: String
    /// Seconds since 1970 when the session was created, and when it was last used.
    public var created: Double
    public var lastSeen: Double
}

/// The signed-in sessions of one webmail process, with idle and absolute timeouts and a cap. Pure: the clock
/// is passed in and ids and tokens come from the caller, so tests drive it without waiting.
public struct WebSessionTable: Sendable {
    /// Seconds without a request after which a session ends.
    public var idleTimeout: Double
    /// Seconds after sign-in after which a session ends whatever its use.
    public var absoluteTimeout: Double
    /// The most sessions kept; the least recently used one goes first.
    public var capacity: Int
    private var sessions: [String: WebSession] = [:]

    public init(idleTimeout: Double, absoluteTimeout: Double, capacity: Int = 10_000) {
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
        self.capacity = capacity
    }

    /// How many sessions are kept.
    public var count: Int { sessions.count }

    /// Starts a session under a fresh id (never one a client chose: no fixation).
    public mutating func start(id: String, user: DirectoryUser, address: String, isAdmin: Bool, csrfToken: String, now: Double) -> WebSession {
        if sessions.count >= capacity { evict(now: now) }
        let session = WebSession(id: id, user: user, address: address, isAdmin: isAdmin, csrfToken: csrfToken, created: now, lastSeen: now)
        sessions[id] = session
        return session
    }

    /// The live session with this id, its idle clock restarted; nil (and the session removed) when it expired.
    public mutating func touch(id: String, now: Double) -> WebSession? {
        guard var session = sessions[id] else { return nil }
        guard !isExpired(session, now: now) else {
            sessions[id] = nil
            return nil
        }
        session.lastSeen = now
        sessions[id] = session
        return session
    }

    /// Ends a session (sign-out).
    public mutating func end(id: String) {
        sessions[id] = nil
    }

    /// Ends every session of a login (its account was deleted or its password changed).
    public mutating func end(login: String) {
        sessions = sessions.filter { $0.value.login != login }
    }

    public func isExpired(_ session: WebSession, now: Double) -> Bool {
        now - session.lastSeen >= idleTimeout || now - session.created >= absoluteTimeout
    }

    /// Removes the expired sessions, and the least recently used ones while still at capacity.
    private mutating func evict(now: Double) {
        sessions = sessions.filter { !isExpired($0.value, now: now) }
        while sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
            sessions[oldest.key] = nil
        }
    }
}
