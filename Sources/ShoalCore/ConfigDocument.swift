import Foundation
import Yams

/// A YAML configuration file read with positions, so that every error names the file, the line and the field.
public struct ConfigDocument: Sendable {
    /// Reads and parses a configuration file.
    public static func load(path: String) throws(ConfigError) -> ConfigNode {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(file: path, "no such configuration file")
        }
        if isDirectory.boolValue { throw ConfigError(file: path, "is a directory, not a configuration file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, "cannot read the configuration file (permissions?)")
        }
        return try parse(bytes: Array(data), file: path)
    }

    /// Parses configuration bytes, which must be UTF-8: the first invalid byte is named by line and column.
    public static func parse(bytes: [UInt8], file: String) throws(ConfigError) -> ConfigNode {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let (line, column) = firstInvalidUTF8(bytes)
            throw ConfigError(file: file, line: line, "the file is not UTF-8 text (invalid byte at column \(column))")
        }
        return try parse(text, file: file)
    }

    /// The 1-based line and column (in bytes) of the first byte that breaks UTF-8.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0, index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let length = byte < 0x80 ? 1 : byte >> 5 == 0b110 ? 2 : byte >> 4 == 0b1110 ? 3 : byte >> 3 == 0b11110 ? 4 : 0
            let end = index + length
            if length == 0 || end > bytes.count || String(validating: bytes[index..<end], as: UTF8.self) == nil {
                return (line, index - lineStart + 1)
            }
            if byte == 0x0A {
                line += 1
                lineStart = end
            }
            index = end
        }
        return (line, index - lineStart + 1)
    }

    /// Parses configuration text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigNode {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigError(file: file, line: 1, "the configuration is empty")
            }
            return ConfigNode(node: node, file: file, path: "")
        } catch let error as ConfigError {
            throw error
        } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
            let key = duplicates.sorted().first ?? ""
            throw ConfigError(file: file, line: Self.secondOccurrence(of: key, in: text, from: context.mark.line) ?? context.mark.line,
                              field: key, "the key appears twice in one mapping")
        } catch let error as YamlError {
            throw ConfigError(file: file, line: Self.line(of: error), "invalid YAML: \(Self.problem(of: error))")
        } catch {
            throw ConfigError(file: file, "invalid YAML: \(error)")
        }
    }

    /// The line of the second `key:` at the start of a line (after indentation or `- `) from line `start` on.
    static func secondOccurrence(of key: String, in text: String, from start: Int) -> Int? {
        var seen = 0
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where offset + 1 >= start {
            var rest = line.drop { $0 == " " || $0 == "\t" }
            if rest.hasPrefix("- ") { rest = rest.dropFirst(2).drop { $0 == " " } }
            for candidate in [key, "\"\(key)\"", "'\(key)'"] where rest.hasPrefix(candidate + ":") {
                seen += 1
                if seen == 2 { return offset + 1 }
            }
        }
        return nil
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _): return mark.line
        default: return nil
        }
    }

    static func problem(of error: YamlError) -> String {
        switch error {
        case let .scanner(_, problem, _, _), let .parser(_, problem, _, _), let .composer(_, problem, _, _): return problem
        case let .duplicatedKeysInMapping(duplicates, _): return "duplicated keys \(duplicates.joined(separator: ", "))"
        default: return "\(error)"
        }
    }
}

/// One node of a configuration document, with the dotted path of the field it is (`listeners.smtp.port`).
public struct ConfigNode: @unchecked Sendable {
    let node: Node
    public let file: String
    public let path: String

    /// The 1-based line the node starts on.
    public var line: Int? { node.mark?.line }

    /// An error about this node, naming the file, its line and its field.
    public func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: line, field: path.isEmpty ? nil : path, message)
    }

    func child(_ key: String, _ value: Node) -> ConfigNode {
        ConfigNode(node: value, file: file, path: path.isEmpty ? key : "\(path).\(key)")
    }

    /// The field `key` of a mapping, or nil when absent (or null).
    public func optional(_ key: String) throws(ConfigError) -> ConfigNode? {
        guard case let .mapping(mapping) = node else { throw error("expected a mapping of fields") }
        for (k, v) in mapping where k.string == key {
            if case let .scalar(s) = v, s.tag.description.hasSuffix("null") || (s.string == "~" || (s.string.isEmpty && s.style == .plain)) {
                return nil
            }
            return child(key, v)
        }
        return nil
    }

    /// The field `key` of a mapping; missing is an error naming the field.
    public func required(_ key: String) throws(ConfigError) -> ConfigNode {
        guard let value = try optional(key) else {
            let field = path.isEmpty ? key : "\(path).\(key)"
            throw ConfigError(file: file, line: line, field: field, "required field is missing")
        }
        return value
    }

    /// Rejects fields other than `allowed` (a typo is an error, not a silent default).
    public func allowOnly(_ allowed: Set<String>) throws(ConfigError) {
        guard case let .mapping(mapping) = node else { throw error("expected a mapping of fields") }
        for (k, v) in mapping {
            let name = k.string ?? "?"
            if !allowed.contains(name) {
                throw child(name, v).error("unknown field (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
    }

    /// The keys of a mapping, in file order, with their values.
    public func entries() throws(ConfigError) -> [(key: String, value: ConfigNode)] {
        guard case let .mapping(mapping) = node else { throw error("expected a mapping") }
        return mapping.map { (k, v) in (k.string ?? "", child(k.string ?? "", v)) }
    }

    /// The items of a sequence.
    public func list() throws(ConfigError) -> [ConfigNode] {
        guard case let .sequence(sequence) = node else { throw error("expected a list") }
        return sequence.enumerated().map { i, v in ConfigNode(node: v, file: file, path: "\(path)[\(i)]") }
    }

    /// A scalar as text.
    public func string() throws(ConfigError) -> String {
        guard case let .scalar(s) = node else { throw error("expected a single value") }
        return s.string
    }

    /// A whole number within `range`.
    public func int(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let text = try string()
        guard let value = Int(text) else { throw error("'\(text)' is not a whole number") }
        guard range.contains(value) else { throw error("\(value) is out of range \(range.lowerBound)-\(range.upperBound)") }
        return value
    }

    /// A number of seconds (fractions allowed), within `range`.
    public func seconds(in range: ClosedRange<Double> = 0...86_400 * 365) throws(ConfigError) -> Double {
        let text = try string()
        guard let value = Double(text), value.isFinite else { throw error("'\(text)' is not a number of seconds") }
        guard range.contains(value) else { throw error("\(text) is out of range \(range.lowerBound)-\(range.upperBound)") }
        return value
    }

    /// true/false (also yes/no, on/off).
    public func bool() throws(ConfigError) -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw error("'\(other)' is not true or false")
        }
    }

    /// One of a fixed set of words.
    public func choice(_ allowed: [String]) throws(ConfigError) -> String {
        let value = try string()
        guard allowed.contains(value) else { throw error("'\(value)' is not one of: \(allowed.joined(separator: ", "))") }
        return value
    }

    /// An `address:port` endpoint.
    public func endpoint() throws(ConfigError) -> Endpoint {
        let text = try string()
        guard let e = Endpoint(text) else {
            if let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), !(0...65535).contains(port) {
                throw error("port \(port) is out of range 0-65535")
            }
            throw error("'\(text)' is not an address:port (IPv6 as [addr]:port)")
        }
        return e
    }
}
