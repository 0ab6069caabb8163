import Testing
import Webmail

/// Form and query parsing: decoding, repeated names, and every limit refusing instead of truncating.
@Suite struct FormFieldsTests {
    @Test func decodesPlusPercentAndRepeats() throws {
        let form = try FormFields.parse(Array("a=1+2&b=%C3%A9t%C3%A9&uid=3&uid=4&empty=&flag".utf8))
        #expect(form["a"] == "1 2")
        #expect(form["b"] == "été")
        #expect(form.all("uid") == ["3", "4"])
        #expect(form["empty"] == "")
        #expect(form["flag"] == "")
        #expect(form["missing"] == nil)
    }

    @Test func limitsRefuse() {
        let limits = FormFields.Limits(maximumFields: 3, maximumNameBytes: 8, maximumValueBytes: 10, longFields: ["text"], maximumLongValueBytes: 20)
        #expect(throws: FormFields.ParseError.tooManyFields(3)) { try FormFields.parse(Array("a=1&b=2&c=3&d=4".utf8), limits: limits) }
        #expect(throws: FormFields.ParseError.valueTooLong(field: "a", limit: 10)) { try FormFields.parse(Array("a=12345678901".utf8), limits: limits) }
        #expect(throws: FormFields.ParseError.valueTooLong(field: "a", limit: 10)) {
            try FormFields.parse(Array(("a=" + String(repeating: "%41", count: 11)).utf8), limits: limits)
        }
        #expect((try? FormFields.parse(Array("text=12345678901234567890".utf8), limits: limits))?["text"]?.count == 20)
        #expect(throws: FormFields.ParseError.valueTooLong(field: "text", limit: 20)) { try FormFields.parse(Array("text=123456789012345678901".utf8), limits: limits) }
        #expect(throws: (any Error).self) { try FormFields.parse(Array("averylongname=1".utf8), limits: limits) }
    }

    @Test(arguments: ["a=%", "a=%4", "a=%G1", "a=%C3"])
    func malformedEscapesAreRefused(body: String) {
        #expect(throws: (any Error).self) { try FormFields.parse(Array(body.utf8)) }
    }

    @Test func queryOfATarget() {
        #expect(FormFields.query(of: "/mail?folder=Sent&page=2")["page"] == "2")
        #expect(FormFields.query(of: "/mail").pairs.isEmpty)
        #expect(FormFields.query(of: "/mail?a=%zz").pairs.isEmpty)
    }

    @Test func escapeRoundTrips() throws {
        let text = "a b&c=d/é?#%+"
        #expect(try FormFields.parse(Array("x=\(FormFields.escape(text))".utf8))["x"] == text)
    }

    @Test func listQueryFallsBackToDefaults() {
        let query = MessageListQuery(FormFields.query(of: "/mail?page=-3&sort=bogus&q=\(String(repeating: "x", count: 300))"))
        #expect(query.folder == "INBOX")
        #expect(query.page == 1)
        #expect(query.sort == .arrivalDescending)
        #expect(query.search.count == 200)
        #expect(MessageListQuery(page: 3).range(total: 120, pageSize: 50) == 100..<120)
        #expect(MessageListQuery(page: 9).range(total: 120, pageSize: 50) == 120..<120)
    }
}
