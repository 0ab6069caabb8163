public import ShoalCore
public import ShoalHTTP

/// How the admin server listens and whom it lets in; every field has a default.
public struct AdminServerConfiguration: Sendable {
    /// Where to listen (port 0 picks a free port; `start()` returns the bound one).
    public var listen: Endpoint
    /// When set, every route needs `Authorization: Bearer TOKEN` (the status page also takes `?token=`).
    public var token: String?
    /// How often the status page's script refreshes the tables, in seconds.
    public var statusRefreshSeconds: Double
    /// The HTTP layer's limits and timeouts (body cap, drain cap, header/body/idle timeouts, connection cap).
    public var http: HTTPServerConfiguration

    /// Request bodies larger than this are refused with 413.
    public var maxBodyBytes: Int {
        get { http.maxBodyBytes }
        set { http.maxBodyBytes = newValue }
    }

    /// The most request-body bytes read and discarded after a 413 to answer cleanly before closing.
    public var maxDrainBytes: Int {
        get { http.maxDrainBytes }
        set { http.maxDrainBytes = newValue }
    }

    public static let defaultListen = Endpoint(.v4(0x7f00_0001), 9180)

    /// The admin API's HTTP defaults: small bodies (64 KiB), at most 128 connections.
    public static let defaultHTTP = HTTPServerConfiguration(maxBodyBytes: 64 * 1024, maxConnections: 128)

    public init(listen: Endpoint = AdminServerConfiguration.defaultListen, token: String? = nil, statusRefreshSeconds: Double = 2,
                maxBodyBytes: Int = 64 * 1024, maxDrainBytes: Int = 4 * 1024 * 1024,
                http: HTTPServerConfiguration = AdminServerConfiguration.defaultHTTP) {
        self.listen = listen
        self.token = token
        self.statusRefreshSeconds = statusRefreshSeconds
        self.http = http
        self.http.maxBodyBytes = maxBodyBytes
        self.http.maxDrainBytes = maxDrainBytes
    }
}
