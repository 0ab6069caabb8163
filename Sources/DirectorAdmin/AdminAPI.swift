import Director
import Foundation
import HealthCheck
import NIOHTTP1
import ShoalCore

/// The admin API's request handling, independent of sockets: auth, routing, reading and changing the director.
///
/// Routes (all answer JSON unless said otherwise; see docs/ADMIN_API.md for the fields):
/// - `GET /` and `GET /status`: HTML status page (refreshes itself from `/api/services`).
/// - `GET /metrics`: Prometheus text exposition.
/// - `GET /api/services`, `POST /api/services` (add, optionally with `servers`).
/// - `GET|PATCH|DELETE /api/services/{id}` with `{id}` as `tcp-127.0.0.1-8080`, `fwm-5`, `tcp-%5B::1%5D-80`.
/// - `GET|POST /api/services/{id}/servers`, `GET|PATCH|DELETE /api/services/{id}/servers/{server}` with
///   `{server}` as `127.0.0.2-80`; `POST /api/services/{id}/servers/{server}/drain` (weight 0).
/// - `GET /api/stats`, `GET /api/connections`.
/// - `POST /api/ipvsadm` with `{"args": [...]}`: mutations are applied, `-L`/`-l`/`-S` answer `text/plain`.
///
/// Errors: 400 bad JSON/field/ipvsadm arguments, 401 missing or wrong token, 404 unknown route, service or
/// server, 405 wrong method, 409 the director refused the change, 413 body too large (answered by the
/// connection). When a token is configured every route needs `Authorization: Bearer TOKEN`; the status page
/// also takes `?token=TOKEN`. A refused request changes nothing: all validation happens before `apply`,
/// and `apply` itself is all or nothing.
public struct AdminAPI: Sendable {
    public var control: any DirectorControl
    public var token: String?
    public var statusRefreshSeconds: Double
    /// Wall-clock seconds since 1970 (injectable for tests).
    public var clock: @Sendable () -> Double

    public init(control: any DirectorControl, token: String? = nil, statusRefreshSeconds: Double = 2,
                clock: @escaping @Sendable () -> Double = AdminAPI.wallClock) {
        self.control = control
        self.token = token
        self.statusRefreshSeconds = statusRefreshSeconds
        self.clock = clock
    }

    /// Wall-clock seconds since 1970.
    public static let wallClock: @Sendable () -> Double = { Date().timeIntervalSince1970 }

    /// Answers one request; never throws (every failure is an error response).
    public func handle(_ request: AdminRequest) async -> AdminResponse {
        do {
            var response = try await route(request)
            if request.method == .HEAD { response.headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.count)"); response.body = [] }
            return response
        } catch {
            var response = AdminResponse.error(error)
            if error.status == .methodNotAllowed, let route = AdminRoute(path: request.path) {
                response.headers.add(name: "Allow", value: route.allowedMethods.map(\.rawValue).joined(separator: ", "))
            }
            return response
        }
    }

    func route(_ request: AdminRequest) async throws(APIError) -> AdminResponse {
        let route = AdminRoute(path: request.path)
        try authorize(request, route: route)
        guard let route else { throw APIError(.notFound, "no such route: \(request.path)") }
        let method = request.method == .HEAD ? HTTPMethod.GET : request.method
        guard route.allowedMethods.contains(method) else {
            throw APIError(.methodNotAllowed, "\(request.method.rawValue) is not allowed here (allowed: \(route.allowedMethods.map(\.rawValue).joined(separator: ", ")))")
        }
        switch (route, method) {
        case (.statusPage, _):
            let snapshot = await control.snapshot()
            var html = StatusPage.render(snapshot, now: clock(), refreshSeconds: statusRefreshSeconds)
            if let failover = control as? any FailoverDirectorControl, let end = html.range(of: "<div id=\"services\">") {
                html.insert(contentsOf: FailoverRendering.html(await failover.failoverStatus()), at: end.lowerBound)
            }
            return .text(html, contentType: "text/html; charset=utf-8")
        case (.metrics, _):
            let snapshot = await control.snapshot()
            var text = MetricsExporter.render(snapshot, now: clock())
            if let mail = control as? any MailDirectorControl { text += MetricsExporter.renderMail(await mail.mailCounters()) }
            if let failover = control as? any FailoverDirectorControl { text += FailoverRendering.metrics(await failover.failoverStatus()) }
            return .text(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
        case (.services, .GET):
            let snapshot = await control.snapshot()
            return .json(ServiceListDTO(services: snapshot.table.services.map { ServiceDTO($0, health: snapshot.health) }))
        case (.services, _):
            let commands = try MutationRequests.addService(try JSONValue.parse(request.body))
            guard case let .addService(config) = commands[0] else { throw APIError(.internalServerError, "unexpected command") }
            try await apply(commands)
            return try await serviceResponse(config.key, status: .created)
        case let (.service(id), .GET):
            return try await serviceResponse(try serviceKey(id), status: .ok)
        case let (.service(id), .PATCH):
            let key = try serviceKey(id)
            let body = try JSONValue.parse(request.body)
            let current = try await service(key)
            try await apply([try MutationRequests.editService(body, current: current)])
            return try await serviceResponse(key, status: .ok)
        case let (.service(id), _):
            let key = try serviceKey(id)
            _ = try await service(key)
            try await apply([.deleteService(key)])
            return AdminResponse(status: .noContent)
        case let (.servers(id), .GET):
            let key = try serviceKey(id)
            let snapshot = await control.snapshot()
            guard let service = snapshot.table.service(key) else { throw noSuchService(id) }
            return .json(ServiceDTO(service, health: snapshot.health).servers)
        case let (.servers(id), _):
            let key = try serviceKey(id)
            let body = try JSONValue.parse(request.body)
            _ = try await service(key)
            let command = try MutationRequests.addServer(body, service: key)
            guard case let .addServer(_, config) = command else { throw APIError(.internalServerError, "unexpected command") }
            try await apply([command])
            return try await serverResponse(key, config.endpoint, status: .created)
        case let (.server(id, serverID), .GET):
            return try await serverResponse(try serviceKey(id), try serverEndpoint(serverID), status: .ok)
        case let (.server(id, serverID), .PATCH):
            let key = try serviceKey(id), endpoint = try serverEndpoint(serverID)
            let body = try JSONValue.parse(request.body)
            let current = try await server(key, endpoint)
            try await apply([try MutationRequests.editServer(body, service: key, current: current)])
            return try await serverResponse(key, endpoint, status: .ok)
        case let (.server(id, serverID), _):
            let key = try serviceKey(id), endpoint = try serverEndpoint(serverID)
            _ = try await server(key, endpoint)
            try await apply([.deleteServer(key, endpoint)])
            return AdminResponse(status: .noContent)
        case let (.drain(id, serverID), _):
            let key = try serviceKey(id), endpoint = try serverEndpoint(serverID)
            let current = try await server(key, endpoint)
            try await apply([MutationRequests.drain(service: key, current: current)])
            return try await serverResponse(key, endpoint, status: .ok)
        case (.stats, _):
            return .json(TotalsDTO(await control.snapshot(), now: clock()))
        case (.connections, _):
            let listing = await control.connectionListing()
            let entries = listing.entries.map { ConnectionDTO($0, now: listing.now) }
            return .json(ConnectionListDTO(count: entries.count, connections: entries))
        case (.ipvsadm, _):
            return try await ipvsadm(request.body)
        case let (.mailWho(encoded), _):
            guard let mail = control as? any MailDirectorControl else { throw APIError(.notFound, "this director runs no mail proxy") }
            let user = encoded.removingPercentEncoding ?? encoded
            return .json(MailWhoDTO(user: user, placements: await mail.mailPlacements(for: user)))
        case (.failover, _):
            guard let failover = control as? any FailoverDirectorControl else { throw APIError(.notFound, "this director runs no failover") }
            return .json(FailoverDTO(await failover.failoverStatus(), sync: await failover.connectionSyncCounters()))
        case (.mailStats, _):
            guard let mail = control as? any MailDirectorControl else { throw APIError(.notFound, "this director runs no mail proxy") }
            return .json(MailStatsDTO(await mail.mailCounters()))
        }
    }

    // MARK: Auth

    func authorize(_ request: AdminRequest, route: AdminRoute?) throws(APIError) {
        guard let token else { return }
        if let presented = BearerToken.presented(in: request.headers), BearerToken.matches(presented, expected: token) { return }
        if route == .statusPage, let presented = request.query["token"], BearerToken.matches(presented, expected: token) { return }
        throw .unauthorized
    }

    // MARK: ipvsadm

    /// `POST /api/ipvsadm`: `{"args": [...]}`; an empty list lists the table, as ipvsadm does.
    func ipvsadm(_ body: [UInt8]) async throws(APIError) -> AdminResponse {
        let fields = try JSONFields(try JSONValue.parse(body), allowed: ["args"])
        guard let args = try fields.strings("args") else { throw APIError(.badRequest, "required: an array of ipvsadm arguments", field: "args") }
        let command: IPVSCommand
        do {
            command = args.isEmpty ? .list(ListOptions()) : try IPVSRuleParser.parse(args)
        } catch {
            throw APIError(.badRequest, error.message, field: error.field)
        }
        switch command {
        case .restore:
            throw APIError(.badRequest, "-R is not available over the API: send one command per request, or use the JSON routes", field: "-R")
        case .syncDaemon:
            throw APIError(.badRequest, "connection synchronisation daemons are not part of the director core", field: "args")
        case let .list(options) where options.connections:
            return .text(IPVSListing.connections(await control.connectionListing(), persistentEngine: options.persistentConnections))
        case .list, .save:
            let table = await control.snapshot().table
            do {
                return .text(try IPVSListing.render(command, table: table) ?? "")
            } catch {
                throw APIError(.notFound, error.message, field: error.field)
            }
        default:
            try await apply([command])
            return .text("")
        }
    }

    // MARK: Helpers

    func apply(_ commands: [IPVSCommand]) async throws(APIError) {
        do {
            try await control.apply(commands)
        } catch {
            throw APIError(.conflict, error.message, field: error.field)
        }
    }

    func serviceKey(_ id: String) throws(APIError) -> VirtualServiceKey {
        do {
            return try ServicePathID.parseService(id)
        } catch {
            throw APIError(.notFound, "no such service: \(error.message)", field: "id")
        }
    }

    func serverEndpoint(_ id: String) throws(APIError) -> Endpoint {
        do {
            return try ServicePathID.parseServer(id)
        } catch {
            throw APIError(.notFound, "no such server: \(error.message)", field: "server")
        }
    }

    func noSuchService(_ key: VirtualServiceKey) -> APIError {
        APIError(.notFound, "no such service: \(ServiceKeyText.text(key))", field: "id")
    }

    func noSuchService(_ id: String) -> APIError {
        APIError(.notFound, "no such service: \(id)", field: "id")
    }

    /// The service as configured (the base of edits).
    func service(_ key: VirtualServiceKey) async throws(APIError) -> VirtualService {
        let snapshot = await control.snapshot()
        guard let service = (snapshot.configured ?? snapshot.table).service(key) else { throw noSuchService(key) }
        return service
    }

    func server(_ key: VirtualServiceKey, _ endpoint: Endpoint) async throws(APIError) -> RealServer {
        let service = try await service(key)
        guard let i = service.index(of: endpoint) else {
            throw APIError(.notFound, "no such server: \(endpoint) in \(ServiceKeyText.text(key))", field: "server")
        }
        return service.servers[i]
    }

    func serviceResponse(_ key: VirtualServiceKey, status: HTTPResponseStatus) async throws(APIError) -> AdminResponse {
        let snapshot = await control.snapshot()
        guard let service = snapshot.table.service(key) else { throw noSuchService(key) }
        return .json(ServiceDTO(service, health: snapshot.health), status: status)
    }

    func serverResponse(_ key: VirtualServiceKey, _ endpoint: Endpoint, status: HTTPResponseStatus) async throws(APIError) -> AdminResponse {
        let snapshot = await control.snapshot()
        // A server that health checks took out of the live table is answered as configured.
        let live = snapshot.table.service(key).flatMap { $0.index(of: endpoint) == nil ? nil : $0 }
        guard let service = live ?? (snapshot.configured ?? snapshot.table).service(key) else { throw noSuchService(key) }
        guard let i = service.index(of: endpoint) else {
            throw APIError(.notFound, "no such server: \(endpoint) in \(ServiceKeyText.text(key))", field: "server")
        }
        let dto = ServerDTO(service.servers[i], health: snapshot.health[HealthKey(service: key, server: endpoint)])
        return .json(dto, status: status)
    }
}
