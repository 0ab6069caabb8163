import NIOCore
public import NIOHTTP1
public import ShoalHTTP

/// The admin API as a ShoalHTTP responder: the bearer token is checked on the head (a refused client's
/// body is never read), whole requests go to `handle`, and the layer's own errors (413, 408) are JSON too.
extension AdminAPI: HTTPResponder {
    public func screen(_ head: HTTPRequestHead) -> HTTPServerResponse? {
        let request = AdminRequest(method: head.method, uri: head.uri, headers: head.headers)
        do {
            try authorize(request, route: AdminRoute(path: request.path))
            return nil
        } catch {
            return HTTPServerResponse(AdminResponse.error(error))
        }
    }

    public func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        var body = request.body
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        let response = await handle(AdminRequest(method: request.head.method, uri: request.head.uri, headers: request.head.headers, body: bytes))
        return HTTPServerResponse(response)
    }

    public func errorResponse(_ status: HTTPResponseStatus, message: String) -> HTTPServerResponse {
        HTTPServerResponse(AdminResponse.error(APIError(status, message)))
    }
}

extension HTTPServerResponse {
    /// The admin response on the wire: never cached.
    init(_ response: AdminResponse) {
        var headers = response.headers
        headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        self.init(status: response.status, headers: headers, body: ByteBuffer(bytes: response.body))
    }
}
