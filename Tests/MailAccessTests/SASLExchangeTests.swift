import MailAccess
import Testing

/// PLAIN and LOGIN as SMTP, IMAP and POP3 run them, and strict base64.
@Suite struct SASLExchangeTests {
    static func b64(_ text: String) -> String { SASLBase64.encode(text.utf8) }

    @Test func plainWithAnInitialResponseYieldsCredentialsAtOnce() {
        var exchange = SASLExchange(mechanism: .plain)
        #expect(exchange.start(initialResponse: Self.b64("\0alice\0secret")) == .credentials(login: "alice", password: "secret"))
    }

    @Test func plainWithoutAnInitialResponseSendsAnEmptyChallenge() {
        var exchange = SASLExchange(mechanism: .plain)
        #expect(exchange.start(initialResponse: nil) == .challenge(""))
        #expect(exchange.respond(Self.b64("alice\0alice\0pw")) == .credentials(login: "alice", password: "pw"))
    }

    @Test func plainRefusesAProxyAuthorizationIdentityAndMalformedResponses() {
        var proxy = SASLExchange(mechanism: .plain)
        #expect(proxy.start(initialResponse: Self.b64("root\0alice\0pw")) == .failed(.malformedCredentials))
        var short = SASLExchange(mechanism: .plain)
        #expect(short.start(initialResponse: Self.b64("alice\0pw")) == .failed(.malformedCredentials))
        var empty = SASLExchange(mechanism: .plain)
        #expect(empty.start(initialResponse: "=") == .failed(.malformedCredentials))
    }

    @Test func loginAsksForTheUserThenThePassword() {
        var exchange = SASLExchange(mechanism: .login)
        #expect(exchange.start(initialResponse: nil) == .challenge(Self.b64("Username:")))
        #expect(exchange.respond(Self.b64("bob")) == .challenge(Self.b64("Password:")))
        #expect(exchange.respond(Self.b64("hunter2")) == .credentials(login: "bob", password: "hunter2"))
    }

    @Test func aStarCancelsAndBadBase64CannotBeDecoded() {
        var cancelled = SASLExchange(mechanism: .login)
        _ = cancelled.start(initialResponse: nil)
        #expect(cancelled.respond("*") == .failed(.cancelled))
        for bad in ["abc", "a===", "@@@@", "YW=j", "YQ"] {
            var exchange = SASLExchange(mechanism: .login)
            _ = exchange.start(initialResponse: nil)
            #expect(exchange.respond(bad) == .failed(.cannotDecode), "\(bad)")
        }
    }

    @Test func base64RoundTripsEveryLengthAndRejectsNonCanonicalPadding() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(SASLBase64.decode(SASLBase64.encode(bytes)) == bytes)
        }
        #expect(SASLBase64.decode("YR==") == nil)  // the unused bits must be zero
        #expect(SASLBase64.decode("YQ==") == [0x61])
    }
}
