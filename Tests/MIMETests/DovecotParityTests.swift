import MIME
import Testing

/// BODYSTRUCTURE, BODY and ENVELOPE byte for byte as Dovecot 2.3 answers FETCH for the same messages.
@Suite struct DovecotParityTests {
    @Test(arguments: DovecotSamples.all.map(\.name))
    func matchesDovecot(_ name: String) throws {
        let sample = try #require(DovecotSamples.all.first { $0.name == name })
        let message = MIMEMessage.parse(sample.message)
        #expect(text(message.bodyStructure()) == text(sample.bodyStructure))
        #expect(text(message.bodyStructure(extended: false)) == text(sample.body))
        #expect(text(message.envelope.imapBytes) == text(sample.envelope))
    }

    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
