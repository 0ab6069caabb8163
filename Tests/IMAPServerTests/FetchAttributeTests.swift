import MIME
import IMAPServer
import Testing

/// FETCH items, macros, modifiers, section specs and response labels.
@Suite struct FetchAttributeTests {
    func attributes(_ items: String) -> [IMAPFetchAttribute]? {
        guard case let .fetch(_, attributes, _, _) = kind("a FETCH 1 \(items)") else { return nil }
        return attributes
    }

    @Test func simpleItemsAndMacros() {
        #expect(attributes("ALL") == [.flags, .internalDate, .rfc822Size, .envelope])
        #expect(attributes("fast") == [.flags, .internalDate, .rfc822Size])
        #expect(attributes("FULL") == [.flags, .internalDate, .rfc822Size, .envelope, .bodyStructureWithoutExtensions])
        #expect(attributes("(FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT ENVELOPE BODY BODYSTRUCTURE UID MODSEQ)")
            == [.flags, .internalDate, .rfc822, .rfc822Header, .rfc822Size, .rfc822Text, .envelope, .bodyStructureWithoutExtensions, .bodyStructure, .uid, .modSeq])
        #expect(attributes("uid") == [.uid])
        #expect(attributes("(ALL)") == nil)
        #expect(attributes("()") == nil)
        #expect(attributes("FOO") == nil)
        #expect(attributes("(FLAGS") == nil)
        #expect(attributes("BODY.PEEK") == nil)
    }

    @Test func sections() {
        let cases: [(String, IMAPFetchAttribute, String)] = [
            ("BODY[]", .body(section: .whole, partial: nil, peek: false), "BODY[]"),
            ("body.peek[]<0.1024>", .body(section: .whole, partial: IMAPPartial(origin: 0, count: 1024), peek: true), "BODY[]<0>"),
            ("BODY[HEADER]", .body(section: MessageSection(text: .header), partial: nil, peek: false), "BODY[HEADER]"),
            ("BODY[TEXT]<100.50>", .body(section: MessageSection(text: .text), partial: IMAPPartial(origin: 100, count: 50), peek: false), "BODY[TEXT]<100>"),
            ("BODY.PEEK[header.fields (From To)]", .body(section: MessageSection(text: .headerFields(["From", "To"])), partial: nil, peek: true), "BODY[HEADER.FIELDS (From To)]"),
            ("BODY[HEADER.FIELDS.NOT (X-A)]", .body(section: MessageSection(text: .headerFieldsNot(["X-A"])), partial: nil, peek: false), "BODY[HEADER.FIELDS.NOT (X-A)]"),
            ("BODY[1]", .body(section: MessageSection(path: [1]), partial: nil, peek: false), "BODY[1]"),
            ("BODY[1.2.3]", .body(section: MessageSection(path: [1, 2, 3]), partial: nil, peek: false), "BODY[1.2.3]"),
            ("BODY[1.2.MIME]", .body(section: MessageSection(path: [1, 2], text: .mime), partial: nil, peek: false), "BODY[1.2.MIME]"),
            ("BODY[4.2.TEXT]", .body(section: MessageSection(path: [4, 2], text: .text), partial: nil, peek: false), "BODY[4.2.TEXT]"),
            ("BODY[1.2.HEADER.FIELDS (FROM \"X Y\")]", .body(section: MessageSection(path: [1, 2], text: .headerFields(["FROM", "X Y"])), partial: nil, peek: false), "BODY[1.2.HEADER.FIELDS (FROM \"X Y\")]"),
            ("BINARY[1]", .binary(part: [1], partial: nil, peek: false), "BINARY[1]"),
            ("BINARY.PEEK[1.2]<0.10>", .binary(part: [1, 2], partial: IMAPPartial(origin: 0, count: 10), peek: true), "BINARY[1.2]<0>"),
            ("BINARY[]", .binary(part: [], partial: nil, peek: false), "BINARY[]"),
            ("BINARY.SIZE[3]", .binarySize(part: [3]), "BINARY.SIZE[3]"),
        ]
        for (text, expected, label) in cases {
            #expect(attributes(text) == [expected], "\(text)")
            #expect(expected.responseLabel == label)
            #expect(attributes(expected.requestForm) == [expected], "\(expected.requestForm)")
        }
        #expect(IMAPFetchAttribute.body(section: .whole, partial: nil, peek: true).requestForm == "BODY.PEEK[]")
    }

    @Test func invalidSections() {
        for bad in [
            "BODY[", "BODY[MIME]", "BODY[0]", "BODY[1.]", "BODY[1..2]", "BODY[HEADER.FIELDS]", "BODY[HEADER.FIELDS ()]",
            "BODY[HEADER.FIELDS (A]", "BODY[FOO]", "BODY[]<>", "BODY[]<1>", "BODY[]<0.0>", "BODY[]<a.1>", "BODY[1.TEXT.MIME]",
            "BINARY[TEXT]", "BINARY.SIZE[]<0.1>", "BODY[] ", "BODY [1]", "BODY[1]x",
        ] {
            #expect(attributes(bad) == nil, "\(bad)")
        }
    }

    @Test func setsSeen() {
        #expect(IMAPFetchAttribute.rfc822.setsSeen)
        #expect(IMAPFetchAttribute.body(section: .whole, partial: nil, peek: false).setsSeen)
        #expect(!IMAPFetchAttribute.body(section: .whole, partial: nil, peek: true).setsSeen)
        #expect(!IMAPFetchAttribute.rfc822Header.setsSeen)
    }

    @Test func fetchCommandForms() {
        #expect(kind("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)")
            == .fetch(.all, attributes: [.flags], modifiers: IMAPFetchModifiers(changedSince: 12345, vanished: true), uid: true))
        #expect(kind("a FETCH 2,4 FAST") == .fetch(set("2,4"), attributes: IMAPFetchAttribute.fast, modifiers: .none, uid: false))
        #expect(kind("a FETCH 1 (FLAGS) (BOGUS)") == nil)
        #expect(kind("a FETCH 1") == nil)
        #expect(kind("a FETCH FLAGS") == nil)
    }
}
