/// Splits `ipvsadm -S` rules text into argument lists, the way ipvsadm's `config_stream_read` does for `-R`.
///
/// - Lines end at `\n`; tokens are separated by spaces, tabs and carriage returns (so CRLF text works).
/// - Every token that is exactly `ipvsadm` is dropped, wherever it stands (config_stream.c does that), so
///   `ipvsadm -A -t 10.0.0.1:80` and `-A -t 10.0.0.1:80` give the same arguments.
/// - A token starting with `#` starts a comment that runs to the end of the line; a line whose first
///   non-blank character is `#` is therefore a comment line.
/// - Lines left without tokens (blank, comment-only, or only `ipvsadm`) are skipped, as `restore_table` does.
public enum RuleTokenizer {
    /// The tokens of one line (no `\n` expected; a stray one is treated as a blank).
    public static func tokenize(_ line: some StringProtocol) -> [String] {
        tokenize(bytes: line.utf8)
    }

    static func tokenize(bytes: some Sequence<UInt8>) -> [String] {
        var tokens: [String] = []
        var current: [UInt8] = []
        var inComment = false

        func finish() {
            guard !current.isEmpty else { return }
            defer { current.removeAll(keepingCapacity: true) }
            if current.first == UInt8(ascii: "#") {
                inComment = true
                return
            }
            let token = String(decoding: current, as: UTF8.self)
            if token != "ipvsadm" { tokens.append(token) }
        }

        for byte in bytes {
            if inComment { break }
            if isSeparator(byte) {
                finish()
            } else {
                current.append(byte)
            }
        }
        if !inComment { finish() }
        return tokens
    }

    /// The non-empty lines of a rules text with their 1-based line numbers and tokens.
    public static func lines(_ text: String) -> [(line: Int, tokens: [String])] {
        var out: [(line: Int, tokens: [String])] = []
        var lineNumber = 1
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            if utf8[index] == UInt8(ascii: "\n") {
                let tokens = tokenize(bytes: utf8[start..<index])
                if !tokens.isEmpty { out.append((lineNumber, tokens)) }
                lineNumber += 1
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        let tokens = tokenize(bytes: utf8[start..<utf8.endIndex])
        if !tokens.isEmpty { out.append((lineNumber, tokens)) }
        return out
    }

    /// The characters of config_stream.c's `[^ \t\n\r]` scan set, which end a token.
    @inline(__always)
    static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }
}
