import DirectorAdmin
import Foundation
import NIOCore
import NIOHTTP1
import ShoalHTTP
import Testing

/// The admin API's pure handler and its ShoalHTTP adapter, called in process: no sockets, no curl.
@Suite struct InProcessAPITests {
    static func api(token: String? = nil) throws -> (AdminAPI, TestDirector) {
        let director = try AdminFixture.director()
        return (AdminAPI(control: director, token: token, clock: { 1_700_000_200 }), director)
    }

    static func json(_ body: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
    }

    @Test func readsListsAndAddsWithoutASocket() async throws {
        let (api, director) = try Self.api()
        let list = await api.handle(AdminRequest(method: .GET, uri: "/api/services"))
        #expect(list.status == .ok)
        #expect(list.headers["Content-Type"] == ["application/json; charset=utf-8"])
        #expect((try Self.json(list.body)["services"] as? [Any])?.count == 3)
        let added = await api.handle(AdminRequest(method: .POST, uri: "/api/services", body: Array(#"{"address": "127.0.0.5", "port": 80}"#.utf8)))
        #expect(added.status == .created)
        #expect(await director.applyCalls == 1)
        let gone = await api.handle(AdminRequest(method: .DELETE, uri: "/api/services/tcp-127.0.0.5-80"))
        #expect(gone.status == .noContent)
    }

    @Test func headAnswersTheLengthWithoutABody() async throws {
        let (api, _) = try Self.api()
        let get = await api.handle(AdminRequest(method: .GET, uri: "/api/stats"))
        let head = await api.handle(AdminRequest(method: .HEAD, uri: "/api/stats"))
        #expect(head.status == .ok)
        #expect(head.body.isEmpty)
        #expect(head.headers["Content-Length"] == ["\(get.body.count)"])
    }

    @Test func errorsAreJSONWithTheRightStatus() async throws {
        let (api, director) = try Self.api()
        let before = await director.rules()
        let bad = await api.handle(AdminRequest(method: .POST, uri: "/api/services", body: Array("{not json".utf8)))
        #expect(bad.status == .badRequest)
        #expect(try Self.json(bad.body)["error"] as? String == "malformed JSON body")
        let missing = await api.handle(AdminRequest(method: .GET, uri: "/nope"))
        #expect(missing.status == .notFound)
        let method = await api.handle(AdminRequest(method: .PUT, uri: "/api/services"))
        #expect(method.status == .methodNotAllowed)
        #expect(method.headers["Allow"] == ["GET, POST"])
        #expect(await director.rules() == before)
    }

    @Test func theTokenIsCheckedOnTheHeadAlone() async throws {
        let (api, _) = try Self.api(token: "s3cret")
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/services", headers: ["Content-Length": "100000"])
        let refused = try #require(api.screen(head))
        #expect(refused.status == .unauthorized)
        #expect(refused.headers["WWW-Authenticate"].first?.hasPrefix("Bearer") == true)
        #expect(refused.headers["Cache-Control"] == ["no-store"])
        head.headers.add(name: "Authorization", value: "Bearer s3cret")
        #expect(api.screen(head) == nil)
        // The status page also takes ?token= on the head.
        #expect(api.screen(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/status?token=s3cret")) == nil)
        #expect(api.screen(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/stats?token=s3cret")) != nil)
    }

    @Test func theAdapterPassesTheBodyAndMarksAnswersUncacheable() async throws {
        let (api, _) = try Self.api()
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/ipvsadm")
        let response = await api.respond(to: HTTPServerRequest(head: head, body: ByteBuffer(string: #"{"args": ["-S", "-n"]}"#)))
        #expect(response.status == .ok)
        #expect(response.headers["Cache-Control"] == ["no-store"])
        #expect(String(buffer: response.body).contains("-A -t 127.0.0.1:8080 -s wrr"))
        let tooLarge = api.errorResponse(.payloadTooLarge, message: "request body larger than 1024 bytes")
        #expect(tooLarge.status == .payloadTooLarge)
        #expect(tooLarge.headers["Content-Type"] == ["application/json; charset=utf-8"])
    }
}
