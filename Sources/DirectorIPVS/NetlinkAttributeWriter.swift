/// Builds netlink attributes (struct nlattr: length, type, payload padded to 4 bytes) in host byte order,
/// as libnl's nla_put_* do; nests patch their length when they end.
public struct NetlinkAttributeWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// An attribute with raw payload bytes.
    public mutating func put(_ type: UInt16, bytes payload: some Collection<UInt8>) {
        let length = 4 + payload.count
        appendHost(UInt16(length))
        appendHost(type)
        bytes.append(contentsOf: payload)
        pad()
    }

    public mutating func putU8(_ type: UInt16, _ value: UInt8) { put(type, bytes: [value]) }
    public mutating func putU16(_ type: UInt16, _ value: UInt16) { put(type, bytes: Self.host(value)) }
    public mutating func putU32(_ type: UInt16, _ value: UInt32) { put(type, bytes: Self.host(value)) }
    public mutating func putU64(_ type: UInt16, _ value: UInt64) { put(type, bytes: Self.host(value)) }
    /// A 16-bit value in network byte order (ports: `__be16`).
    public mutating func putBigEndianU16(_ type: UInt16, _ value: UInt16) { put(type, bytes: Self.host(value.bigEndian)) }
    /// A NUL-terminated string (NLA_PUT_STRING).
    public mutating func putString(_ type: UInt16, _ value: String) { put(type, bytes: Array(value.utf8) + [0]) }

    /// A nested attribute whose payload `body` writes.
    public mutating func nest(_ type: UInt16, _ body: (inout NetlinkAttributeWriter) -> Void) {
        var inner = NetlinkAttributeWriter()
        body(&inner)
        appendHost(UInt16(4 + inner.bytes.count))
        appendHost(type)
        bytes.append(contentsOf: inner.bytes)
    }

    mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    mutating func appendHost<T: FixedWidthInteger>(_ value: T) { bytes.append(contentsOf: Self.host(value)) }

    /// The bytes of an integer in host (little-endian on every Linux target Shoal builds for) order.
    static func host<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }
}
