import IMAPServer
import NIOCore

/// The parsed kind of a one-line command, or nil when it does not parse.
func kind(_ line: String) -> IMAPCommand.Kind? {
    try? IMAPCommand.parse(line).get().kind
}

/// The error of a one-line command that must not parse.
func failure(_ line: String) -> IMAPCommandError? {
    if case let .failure(error) = IMAPCommand.parse(line) { return error }
    return nil
}

func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

func set(_ text: String) -> IMAPSequenceSet { IMAPSequenceSet(parsing: text)! }
func date(_ text: String) -> IMAPDate { IMAPDate(parsing: text)! }
