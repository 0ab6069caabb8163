import MIME
import Testing
import ShoalTestFixtures

/// RFC 5322 address lists into ENVELOPE addresses.
@Suite(.offCooperativePool) struct AddressParserTests {
    func parse(_ text: String) -> [EnvelopeAddress] { AddressParser.parse(Array(text.utf8)) }

    @Test func displayNamesQuotedStringsAndComments() {
        #expect(parse(#""Doe, John" <john@example.com>, bob@y.example (Bob (the) Smith), Ann Lee <ann@z>"#) == [
            EnvelopeAddress(name: "Doe, John", mailbox: "john", host: "example.com"),
            EnvelopeAddress(name: "Bob (the) Smith", mailbox: "bob", host: "y.example"),
            EnvelopeAddress(name: "Ann Lee", mailbox: "ann", host: "z"),
        ])
    }

    @Test func groupsAreMarkedWithStartAndEnd() {
        #expect(parse("friends: x@y.z, \"Q\" <q@r.s>;, t@u.v") == [
            .groupStart("friends"),
            EnvelopeAddress(mailbox: "x", host: "y.z"),
            EnvelopeAddress(name: "Q", mailbox: "q", host: "r.s"),
            .groupEnd,
            EnvelopeAddress(mailbox: "t", host: "u.v"),
        ])
        #expect(parse("Undisclosed recipients:;") == [.groupStart("Undisclosed recipients"), .groupEnd])
        #expect(parse("open: a@b") == [.groupStart("open"), EnvelopeAddress(mailbox: "a", host: "b"), .groupEnd])
    }

    @Test func obsoleteRoutesAndMissingParts() {
        #expect(parse("<@r1,@r2:user@host>") == [EnvelopeAddress(adl: "@r1,@r2", mailbox: "user", host: "host")])
        #expect(parse("nohost") == [EnvelopeAddress(mailbox: "nohost", host: "MISSING_DOMAIN")])
        #expect(parse("<>") == [EnvelopeAddress(mailbox: "MISSING_MAILBOX", host: "MISSING_DOMAIN")])
        #expect(parse("@") == [EnvelopeAddress(mailbox: "MISSING_MAILBOX", host: "MISSING_DOMAIN")])
        #expect(parse("a@[1.2.3.4]") == [EnvelopeAddress(mailbox: "a", host: "[1.2.3.4]")])
    }

    @Test func junkNeverTraps() {
        for text in ["", ",", ";;;", "<", "\"", "(", "a <b", "::::", "a@", "<@", "\"a\" <@x", ">>>", "a,,b"] {
            _ = parse(text)
        }
        #expect(parse("   ").isEmpty)
    }

    @Test func hugeListsAreCapped() {
        let list = Array(repeating: "a@b", count: 20_000).joined(separator: ",")
        #expect(parse(list).count == AddressParser.maximumAddresses)
    }
}
