import Foundation

/// Any JSON value, decoded without a schema so request bodies can be checked field by field.
enum JSONValue: Decodable, Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Parses a request body; malformed JSON is a 400.
    static func parse(_ body: [UInt8]) throws(APIError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            throw APIError(.badRequest, "malformed JSON body")
        }
    }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A JSON object read field by field: every getter names the field in its error, and unknown fields are refused.
struct JSONFields {
    let values: [String: JSONValue]
    /// The path prefix for error fields, e.g. `servers[0].`.
    let prefix: String

    /// Reads an object and refuses fields not in `allowed`.
    init(_ value: JSONValue, allowed: Set<String>, prefix: String = "", what: String = "request body") throws(APIError) {
        guard case let .object(values) = value else {
            throw APIError(.badRequest, "\(what) must be a JSON object", field: prefix.isEmpty ? nil : String(prefix.dropLast()))
        }
        if let unknown = values.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError(.badRequest, "unknown field (expected one of: \(allowed.sorted().joined(separator: ", ")))", field: prefix + unknown)
        }
        self.values = values
        self.prefix = prefix
    }

    func has(_ name: String) -> Bool { values[name] != nil }

    /// True when the field is present and explicitly null.
    func isNull(_ name: String) -> Bool { values[name] == .null }

    func string(_ name: String) throws(APIError) -> String? {
        switch values[name] {
        case nil, .null?: return nil
        case let .string(s)?: return s
        case let other?: throw APIError(.badRequest, "expected a string, got \(other.typeName)", field: prefix + name)
        }
    }

    func bool(_ name: String) throws(APIError) -> Bool? {
        switch values[name] {
        case nil, .null?: return nil
        case let .bool(b)?: return b
        case let other?: throw APIError(.badRequest, "expected true or false, got \(other.typeName)", field: prefix + name)
        }
    }

    /// An integer within `range`.
    func int(_ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        switch values[name] {
        case nil, .null?: return nil
        case let .number(n)?:
            guard n.rounded() == n, n >= Double(range.lowerBound), n <= Double(range.upperBound) else {
                throw APIError(.badRequest, "expected an integer in \(range.lowerBound)...\(range.upperBound)", field: prefix + name)
            }
            return Int(n)
        case let other?: throw APIError(.badRequest, "expected an integer, got \(other.typeName)", field: prefix + name)
        }
    }

    func strings(_ name: String) throws(APIError) -> [String]? {
        switch values[name] {
        case nil, .null?: return nil
        case let .array(items)?:
            var out: [String] = []
            for item in items {
                guard case let .string(s) = item else { throw APIError(.badRequest, "expected an array of strings", field: prefix + name) }
                out.append(s)
            }
            return out
        case let other?: throw APIError(.badRequest, "expected an array of strings, got \(other.typeName)", field: prefix + name)
        }
    }

    func value(_ name: String) -> JSONValue? { values[name] }

    func field(_ name: String) -> String { prefix + name }
}
