import POP3Server
import Testing

/// The command parser and the transfer encoding of RETR/TOP.
@Suite struct POP3CommandTests {
    @Test func commandsParseCaseInsensitively() {
        #expect(POP3Command.parse("user alice") == .success(.user("alice")))
        #expect(POP3Command.parse("PASS a secret with spaces") == .success(.pass("a secret with spaces")))
        #expect(POP3Command.parse("list") == .success(.list(nil)))
        #expect(POP3Command.parse("LIST 3") == .success(.list(3)))
        #expect(POP3Command.parse("Uidl 12") == .success(.uidl(12)))
        #expect(POP3Command.parse("RETR 1") == .success(.retr(1)))
        #expect(POP3Command.parse("TOP 2 0") == .success(.top(2, lines: 0)))
        #expect(POP3Command.parse("AUTH plain AGFsaWNlAHB3") == .success(.auth(mechanism: "PLAIN", initialResponse: "AGFsaWNlAHB3")))
        #expect(POP3Command.parse("AUTH") == .success(.auth(mechanism: nil, initialResponse: nil)))
        for (line, command) in [("CAPA", POP3Command.capa), ("STLS", .stls), ("STAT", .stat), ("NOOP", .noop), ("RSET", .rset), ("QUIT", .quit)] {
            #expect(POP3Command.parse(line) == .success(command))
        }
    }

    @Test func badArgumentsAndUnknownCommandsAreErrorsNotCrashes() {
        #expect(POP3Command.parse("RETR") == .failure(.badArguments(keyword: "RETR", expected: "a message number")))
        #expect(POP3Command.parse("RETR -1") == .failure(.badArguments(keyword: "RETR", expected: "a message number")))
        #expect(POP3Command.parse("RETR 99999999999999999999") == .failure(.badArguments(keyword: "RETR", expected: "a message number")))
        #expect(POP3Command.parse("TOP 1") == .failure(.badArguments(keyword: "TOP", expected: "a message number and a number of lines")))
        #expect(POP3Command.parse("STAT now") == .failure(.badArguments(keyword: "STAT", expected: "no arguments")))
        #expect(POP3Command.parse("LIST 1 2") == .failure(.badArguments(keyword: "LIST", expected: "an optional message number")))
        #expect(POP3Command.parse("USER") == .failure(.badArguments(keyword: "USER", expected: "a user name")))
        #expect(POP3Command.parse("") == .failure(.unknownCommand("")))
        #expect(POP3Command.parse("APOP x y") == .failure(.unknownCommand("APOP")))
        #expect(POP3Command.parse(String(repeating: "X", count: 5000)) == .failure(.unknownCommand(String(repeating: "X", count: 40))))
    }

    @Test func transferUsesCRLFAndStuffsDots() {
        let message = Array("Subject: s\n\n.dot\nplain\r\n..two\nlast".utf8)
        #expect(String(decoding: POP3Transfer.encode(message), as: UTF8.self)
            == "Subject: s\r\n\r\n..dot\r\nplain\r\n...two\r\nlast\r\n.\r\n")
        #expect(POP3Transfer.size(message) == Array("Subject: s\r\n\r\n.dot\r\nplain\r\n..two\r\nlast".utf8).count)
        #expect(String(decoding: POP3Transfer.encode([]), as: UTF8.self) == ".\r\n")
    }

    /// RFC 1939 §3 byte by byte: the definition the line-at-a-time encoder must agree with.
    static func referenceEncode(_ message: [UInt8], bodyLines: Int?) -> [UInt8] {
        var out: [UInt8] = []
        var atLineStart = true, inBody = false, lineIsEmpty = true
        var bodyLinesLeft = bodyLines ?? Int.max
        var previous: UInt8 = 0
        for byte in message {
            if inBody && bodyLinesLeft <= 0 { break }
            if byte == 0x0A {
                if previous != 0x0D { out.append(0x0D) }
                out.append(0x0A)
                if inBody { bodyLinesLeft -= 1 } else if lineIsEmpty { inBody = true }
                atLineStart = true
                lineIsEmpty = true
                previous = byte
                continue
            }
            if atLineStart && byte == 0x2E { out.append(0x2E) }
            if byte != 0x0D { lineIsEmpty = false }
            atLineStart = false
            out.append(byte)
            previous = byte
        }
        if !atLineStart {
            if previous != 0x0D { out.append(0x0D) }
            out.append(0x0A)
        }
        return out + [0x2E, 0x0D, 0x0A]
    }

    @Test func transferAgreesWithTheByteByByteDefinitionOnRandomMessages() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x0A, 0x0D, 0x2E, 0x41, 0x20, 0x0A, 0x0D, 0x2E]
        for _ in 0..<2000 {
            let message = (0..<Int.random(in: 0...40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            for bodyLines in [nil, 0, 1, 3] {
                #expect(POP3Transfer.encode(message, bodyLines: bodyLines) == Self.referenceEncode(message, bodyLines: bodyLines),
                        "\(message) TOP \(String(describing: bodyLines))")
            }
        }
    }

    @Test func topSendsTheHeaderAndTheFirstBodyLines() {
        let message = Array("A: 1\r\nB: 2\r\n\r\nline 1\r\nline 2\r\nline 3\r\n".utf8)
        #expect(String(decoding: POP3Transfer.encode(message, bodyLines: 0), as: UTF8.self) == "A: 1\r\nB: 2\r\n\r\n.\r\n")
        #expect(String(decoding: POP3Transfer.encode(message, bodyLines: 2), as: UTF8.self)
            == "A: 1\r\nB: 2\r\n\r\nline 1\r\nline 2\r\n.\r\n")
        #expect(String(decoding: POP3Transfer.encode(message, bodyLines: 99), as: UTF8.self)
            == String(decoding: POP3Transfer.encode(message), as: UTF8.self))
        // No blank line: the whole message is header.
        #expect(String(decoding: POP3Transfer.encode(Array("A: 1\nB: 2".utf8), bodyLines: 0), as: UTF8.self) == "A: 1\r\nB: 2\r\n.\r\n")
    }

    @Test func uidlsAreDovecotsDefaultFormat() {
        #expect(POP3Message.uidl(uid: 1, uidValidity: 0x6B1189C0) == "000000016b1189c0")
        #expect(POP3Message.uidl(uid: 0xFFFFFFFF, uidValidity: 0) == "ffffffff00000000")
    }
}
