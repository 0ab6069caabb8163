/// The attributes of one netlink attribute stream, parsed without trusting a single length: a truncated or
/// overlong attribute ends the stream with an error, never a crash.
public struct NetlinkAttributes: Sendable, Hashable {
    /// Each attribute's type (flag bits removed) and payload, in stream order.
    public private(set) var entries: [NetlinkAttribute] = []

    /// Parses `bytes` as a sequence of nlattr; `context` names what is parsed for errors.
    public init(_ bytes: some Collection<UInt8>, context: String) throws(NetlinkParseError) {
        let data = Array(bytes)
        var offset = 0
        while offset + 4 <= data.count {
            let length = Int(UInt16(data[offset]) | UInt16(data[offset + 1]) << 8)
            let type = (UInt16(data[offset + 2]) | UInt16(data[offset + 3]) << 8) & NetlinkConstant.attributeTypeMask
            guard length >= 4, offset + length <= data.count else {
                throw NetlinkParseError(context: context, "attribute \(type) at offset \(offset) claims \(length) bytes, \(data.count - offset) left")
            }
            entries.append(NetlinkAttribute(type: type, payload: Array(data[(offset + 4)..<(offset + length)])))
            offset += (length + 3) & ~3
        }
        if offset < data.count {
            throw NetlinkParseError(context: context, "\(data.count - offset) trailing bytes after the last attribute")
        }
    }

    /// The first attribute of this type.
    public subscript(type: UInt16) -> [UInt8]? { entries.first { $0.type == type }?.payload }

    /// An attribute that must be there, as an unsigned integer of exactly this width.
    public func integer<T: FixedWidthInteger & UnsignedInteger>(_ type: UInt16, _: T.Type = T.self, context: String, name: String) throws(NetlinkParseError) -> T {
        guard let payload = self[type] else { throw NetlinkParseError(context: context, "missing \(name)") }
        return try Self.integer(payload, context: context, name: name)
    }

    /// An optional attribute as an unsigned integer of exactly this width.
    public func optionalInteger<T: FixedWidthInteger & UnsignedInteger>(_ type: UInt16, _: T.Type = T.self, context: String, name: String) throws(NetlinkParseError) -> T? {
        guard let payload = self[type] else { return nil }
        return try Self.integer(payload, context: context, name: name)
    }

    /// A NUL-terminated (or unterminated) UTF-8 string attribute.
    public func string(_ type: UInt16, context: String, name: String) throws(NetlinkParseError) -> String? {
        guard let payload = self[type] else { return nil }
        let text = payload.prefix { $0 != 0 }
        guard let string = String(validating: text, as: UTF8.self) else {
            throw NetlinkParseError(context: context, "\(name) is not UTF-8")
        }
        return string
    }

    /// A nested attribute's own attributes.
    public func nested(_ type: UInt16, context: String) throws(NetlinkParseError) -> NetlinkAttributes? {
        guard let payload = self[type] else { return nil }
        return try NetlinkAttributes(payload, context: context)
    }

    static func integer<T: FixedWidthInteger & UnsignedInteger>(_ payload: [UInt8], context: String, name: String) throws(NetlinkParseError) -> T {
        let width = T.bitWidth / 8
        guard payload.count == width else {
            throw NetlinkParseError(context: context, "\(name) has \(payload.count) bytes, expected \(width)")
        }
        var value: T = 0
        for (i, byte) in payload.enumerated() { value |= T(byte) << (8 * i) }
        return value
    }
}

/// One attribute: its type without the flag bits, and its payload without padding.
public struct NetlinkAttribute: Hashable, Sendable {
    public var type: UInt16
    public var payload: [UInt8]
}

/// A netlink reply that does not have the layout ip_vs.h promises: what was parsed and what is wrong.
public struct NetlinkParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public var context: String
    public var message: String

    public init(context: String, _ message: String) {
        self.context = context
        self.message = message
    }

    public var description: String { "malformed netlink reply (\(context)): \(message)" }
}
