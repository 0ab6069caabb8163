import ShoalCore
import Testing

/// YAML configuration reading: every error names the file, the line and the field.
@Suite struct ConfigDocumentTests {
    static let text = """
        hostname: mx1.shoal.test
        listeners:
          smtp: 127.0.0.1:2525
          lmtp: 127.0.0.1:99999
        limits:
          message_size: 10485760
          recipients: abc
        tls: yes
        directory: ~
        """

    @Test func readsTypedFieldsWithPaths() throws {
        let doc = try ConfigDocument.parse(Self.text, file: "node.yaml")
        #expect(try doc.required("hostname").string() == "mx1.shoal.test")
        #expect(try doc.required("listeners").required("smtp").endpoint() == Endpoint("127.0.0.1:2525"))
        #expect(try doc.required("limits").required("message_size").int(in: 1...1 << 40) == 10_485_760)
        #expect(try doc.required("tls").bool())
        #expect(try doc.optional("directory") == nil)
        #expect(try doc.optional("absent") == nil)
        #expect(try doc.required("listeners").entries().map(\.key) == ["smtp", "lmtp"])
    }

    @Test func errorsNameFileLineAndField() throws {
        let doc = try ConfigDocument.parse(Self.text, file: "node.yaml")
        #expect(throws: ConfigError(file: "node.yaml", line: 4, field: "listeners.lmtp", "port 99999 is out of range 0-65535")) {
            try doc.required("listeners").required("lmtp").endpoint()
        }
        #expect(throws: ConfigError(file: "node.yaml", line: 7, field: "limits.recipients", "'abc' is not a whole number")) {
            try doc.required("limits").required("recipients").int(in: 1...1000)
        }
        #expect(throws: ConfigError(file: "node.yaml", line: 6, field: "limits.timeout", "required field is missing")) {
            try doc.required("limits").required("timeout")
        }
        #expect(throws: ConfigError(file: "node.yaml", line: 1, field: "hostname", "'mx1.shoal.test' is not one of: a, b")) {
            try doc.required("hostname").choice(["a", "b"])
        }
        #expect(throws: ConfigError(file: "node.yaml", line: 8, field: "tls", "unknown field (expected one of: hostname, limits, listeners)")) {
            try doc.allowOnly(["hostname", "listeners", "limits"])
        }
    }

    @Test func badYAMLNamesItsLine() {
        #expect(throws: ConfigError.self) { try ConfigDocument.parse("a: [1, 2\nb: 3\n", file: "x.yaml") }
        do {
            _ = try ConfigDocument.parse("a: 1\nb: : :\n  - c\n", file: "x.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "x.yaml")
            #expect(error.line != nil)
            #expect(error.message.hasPrefix("invalid YAML"))
        }
        #expect(throws: ConfigError(file: "e.yaml", line: 1, "the configuration is empty")) { try ConfigDocument.parse("", file: "e.yaml") }
    }
}

/// Issue 10 #8: a duplicate key, bad UTF-8 and a directory are reported with file, line and field.
@Suite struct ConfigDocumentErrorLocationTests {
    @Test func aDuplicateKeyNamesItsLineAndTheKey() {
        let yaml = "hostname: a\nstore:\n  root: /x\n  fsync: true\n  root: /y\n"
        #expect(throws: ConfigError(file: "d.yaml", line: 5, field: "root", "the key appears twice in one mapping")) {
            try ConfigDocument.parse(yaml, file: "d.yaml")
        }
    }

    @Test func invalidUTF8NamesTheLineAndColumn() {
        let bytes = Array("hostname: a\nbanner: caf".utf8) + [0xE9] + Array("\n".utf8)
        #expect(throws: ConfigError(file: "u.yaml", line: 2, "the file is not UTF-8 text (invalid byte at column 12)")) {
            try ConfigDocument.parse(bytes: bytes, file: "u.yaml")
        }
    }

    @Test func aDirectoryOrAMissingFileIsSaidPlainly() {
        #expect(throws: ConfigError(file: "/tmp", "is a directory, not a configuration file")) { try ConfigDocument.load(path: "/tmp") }
        #expect(throws: ConfigError(file: "/nonexistent/x.yaml", "no such configuration file")) {
            try ConfigDocument.load(path: "/nonexistent/x.yaml")
        }
    }
}
