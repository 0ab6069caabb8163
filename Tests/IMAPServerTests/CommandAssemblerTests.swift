import IMAPServer
import NIOCore
import Testing
import ShoalTestFixtures

/// Lines and literals assembled into commands, under the limits.
@Suite(.offCooperativePool) struct CommandAssemblerTests {
    typealias Step = IMAPCommandAssembler.Step

    @Test func singleLineCommand() {
        var assembler = IMAPCommandAssembler()
        #expect(assembler.receive(line: buffer("a1 NOOP")) == .command(IMAPCommand(tag: "a1", kind: .noop)))
        #expect(assembler.isIdle)
        guard case let .rejected(error) = assembler.receive(line: buffer("a2 FROB")) else { Issue.record("not rejected"); return }
        #expect(error.tag == "a2")
        #expect(!error.closeConnection)
        #expect(assembler.isIdle)
    }

    @Test func synchronizingLiterals() {
        var assembler = IMAPCommandAssembler()
        #expect(assembler.receive(line: buffer("a LOGIN {5}")) == .needLiteral(octets: 5, sendContinuation: true))
        #expect(assembler.pendingLiteralOctets == 5)
        #expect(assembler.receive(literal: buffer("al")) == .needMoreLiteral(remaining: 3))
        #expect(assembler.pendingLiteralOctets == 3)
        #expect(assembler.receive(literal: buffer("ice")) == .needLine)
        #expect(assembler.pendingLiteralOctets == 0)
        #expect(assembler.receive(line: buffer(" {6+}")) == .needLiteral(octets: 6, sendContinuation: false))
        #expect(assembler.receive(literal: buffer("se{5}\r")) == .needLine)
        #expect(assembler.receive(line: buffer("")) == .command(IMAPCommand(tag: "a", kind: .login(user: "alice", password: "se{5}\r"))))
    }

    @Test func appendKeepsMessageBytesExact() {
        var assembler = IMAPCommandAssembler()
        let message: [UInt8] = Array("Subject: x\r\n\r\n".utf8) + [0xFF, 0x80, 0x0D, 0x0A, 0x7B, 0x33, 0x7D]
        #expect(assembler.receive(line: buffer("A003 APPEND saved-messages (\\Seen) {\(message.count)}")) == .needLiteral(octets: message.count, sendContinuation: true))
        #expect(assembler.receive(literal: buffer(Array(message[..<4]))) == .needMoreLiteral(remaining: message.count - 4))
        #expect(assembler.receive(literal: buffer(Array(message[4...]))) == .needLine)
        guard case let .command(command) = assembler.receive(line: buffer("")), case let .append(append) = command.kind else {
            Issue.record("no APPEND")
            return
        }
        #expect(Array(append.message.readableBytesView) == message)
        #expect(append.flags == [.seen])
        #expect(append.mailbox.wire == "saved-messages")
    }

    @Test func literalInsideSearchAndMultipleLiterals() {
        var assembler = IMAPCommandAssembler()
        #expect(assembler.receive(line: buffer("s UID SEARCH CHARSET UTF-8 OR SUBJECT {6}")) == .needLiteral(octets: 6, sendContinuation: true))
        #expect(assembler.receive(literal: buffer("日本")) == .needLine)
        #expect(assembler.receive(line: buffer(" (FROM {3+}")) == .needLiteral(octets: 3, sendContinuation: false))
        #expect(assembler.receive(literal: buffer("bob")) == .needLine)
        #expect(assembler.receive(line: buffer(" SEEN)"))
            == .command(IMAPCommand(tag: "s", kind: .search(IMAPSearchCommand(charset: "UTF-8", key: .or(.subject("日本"), .and([.from("bob"), .seen]))), uid: true))))
    }

    @Test func zeroLengthLiteral() {
        var assembler = IMAPCommandAssembler()
        #expect(assembler.receive(line: buffer("z LOGIN {0}")) == .needLiteral(octets: 0, sendContinuation: true))
        #expect(assembler.pendingLiteralOctets == 0)
        #expect(assembler.receive(line: buffer(" {0+}")) == .needLiteral(octets: 0, sendContinuation: false))
        #expect(assembler.receive(line: buffer("")) == .command(IMAPCommand(tag: "z", kind: .login(user: "", password: ""))))
    }

    @Test func tooBigLiteralsAreRefusedBeforeAnyData() {
        var assembler = IMAPCommandAssembler(limits: .init(maximumLiteralSize: 100, maximumMessageSize: 1000))
        guard case let .rejected(sync) = assembler.receive(line: buffer("a APPEND INBOX {4294967295}")) else { Issue.record(); return }
        #expect(sync.response.rendered == "a NO [TOOBIG] Message too big (limit 1000 octets)\r\n")
        #expect(!sync.closeConnection)
        #expect(assembler.isIdle)
        guard case let .rejected(nonSync) = assembler.receive(line: buffer("b APPEND INBOX {1001+}")) else { Issue.record(); return }
        #expect(nonSync.status == .bad && nonSync.code == .tooBig && nonSync.closeConnection)
        // The mailbox name literal has the small limit; the message literal the large one.
        guard case let .rejected(name) = assembler.receive(line: buffer("c APPEND {101}")) else { Issue.record(); return }
        #expect(name.status == .bad && name.code == .tooBig && !name.closeConnection)
        #expect(assembler.receive(line: buffer("c APPEND {5}")) == .needLiteral(octets: 5, sendContinuation: true))
        #expect(assembler.receive(literal: buffer("Draft")) == .needLine)
        #expect(assembler.receive(line: buffer(" {1000}")) == .needLiteral(octets: 1000, sendContinuation: true))
        assembler.reset()
        guard case let .rejected(login) = assembler.receive(line: buffer("d LOGIN {101}")) else { Issue.record(); return }
        #expect(login.text == "Literal too big (limit 100 octets)")
        guard case let .rejected(huge) = assembler.receive(line: buffer("e LOGIN {99999999999999999999999}")) else { Issue.record(); return }
        #expect(huge.code == .tooBig)
    }

    @Test func literalCountAndCommandSizeLimits() {
        var assembler = IMAPCommandAssembler(limits: .init(maximumLiteralSize: 100, maximumMessageSize: 1000, maximumLiteralCount: 2, maximumCommandSize: 60))
        #expect(assembler.receive(line: buffer("a SEARCH TEXT {1}")) == .needLiteral(octets: 1, sendContinuation: true))
        #expect(assembler.receive(literal: buffer("x")) == .needLine)
        #expect(assembler.receive(line: buffer(" TEXT {1}")) == .needLiteral(octets: 1, sendContinuation: true))
        #expect(assembler.receive(literal: buffer("y")) == .needLine)
        guard case let .rejected(count) = assembler.receive(line: buffer(" TEXT {1+}")) else { Issue.record(); return }
        #expect(count.tag == "a" && count.closeConnection && count.text.contains("Too many literals"))
        guard case let .rejected(size) = assembler.receive(line: buffer("b SEARCH TEXT {50}")) else { Issue.record(); return }
        #expect(size.text.contains("Command too long"))
        guard case let .rejected(line) = assembler.receive(line: buffer("c SEARCH TEXT " + String(repeating: "x", count: 60))) else { Issue.record(); return }
        #expect(line.tag == "c")
        #expect(assembler.receive(line: buffer("d NOOP")) == .command(IMAPCommand(tag: "d", kind: .noop)))
    }

    @Test func badLiteralSyntaxIsBAD() {
        var assembler = IMAPCommandAssembler()
        for line in ["a LOGIN {12a}", "a LOGIN {}", "a LOGIN {+}", "a LOGIN {-1}", "a LOGIN {5} x", "a LOGIN x{5}", "a LOGIN {5"] {
            guard case let .rejected(error) = assembler.receive(line: buffer(line)) else { Issue.record("\(line)"); continue }
            #expect(error.tag == "a" && !error.closeConnection, "\(line)")
        }
        // A literal announced as 3 octets cannot be given 4.
        #expect(assembler.receive(line: buffer("b LOGIN {3}")) == .needLiteral(octets: 3, sendContinuation: true))
        guard case let .rejected(over) = assembler.receive(literal: buffer("abcd")) else { Issue.record(); return }
        #expect(over.closeConnection)
        guard case let .rejected(stray) = assembler.receive(literal: buffer("x")) else { Issue.record(); return }
        #expect(stray.tag == nil && stray.closeConnection)
    }

    @Test func hugeGarbageLineIsLinear() {
        var assembler = IMAPCommandAssembler()
        let garbage = String(repeating: "{((\"\\", count: 50_000) + "}"
        guard case .rejected = assembler.receive(line: buffer("t " + garbage)) else { Issue.record(); return }
        let braces = String(repeating: "{1}", count: 50_000)
        guard case .rejected = assembler.receive(line: buffer(braces + "x")) else { Issue.record(); return }
    }
}
