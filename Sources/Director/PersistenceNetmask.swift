public import ShoalCore

/// Why a persistence netmask was refused.
public struct NetmaskError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text or value as given.
    public var given: String
    public var family: AddressFamily

    public var description: String {
        family == .inet
            ? "'\(given)' is not a contiguous IPv4 netmask (such as 255.255.255.0 or a prefix length 0-32)"
            : "'\(given)' is not an IPv6 prefix length 1-128"
    }
}

/// The persistence netmask (`-M`) rule every front end applies: what is valid, the default, and the text form.
///
/// IPv4 masks must be contiguous (ipvsadm itself would pass 255.0.255.0 to the kernel; Shoal refuses it
/// everywhere, since such a mask only ever comes from a typo); IPv6 takes a prefix length 1...128, as the
/// kernel requires.
public enum PersistenceNetmask {
    /// A host mask: /32 for IPv4, /128 for IPv6.
    public static func defaultValue(for family: AddressFamily) -> UInt32 {
        family == .inet ? 0xffff_ffff : 128
    }

    /// Checks a value already read by a front end (an IPv4 mask, or an IPv6 prefix length).
    public static func validate(_ value: UInt32, family: AddressFamily) throws(NetmaskError) -> UInt32 {
        switch family {
        case .inet:
            guard IPv4Netmask.prefixLength(value) != nil else {
                throw NetmaskError(given: IPAddress.v4(value).description, family: family)
            }
        case .inet6:
            guard (1...128).contains(value) else { throw NetmaskError(given: String(value), family: family) }
        }
        return value
    }

    /// Reads the text YAML and JSON give: IPv4 as a dotted quad or a prefix length 0...32, IPv6 as a prefix length.
    public static func parse(_ text: String, family: AddressFamily) throws(NetmaskError) -> UInt32 {
        let trimmed = text.hasPrefix("/") ? String(text.dropFirst()) : text
        switch family {
        case .inet:
            if trimmed.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), !trimmed.isEmpty, trimmed.count <= 2 {
                guard let prefix = Int(trimmed), let mask = IPv4Netmask.mask(prefixLength: prefix) else {
                    throw NetmaskError(given: text, family: family)
                }
                return mask
            }
            guard case let .v4(mask)? = IPAddress(trimmed) else { throw NetmaskError(given: text, family: family) }
            return try validate(mask, family: family)
        case .inet6:
            guard let prefix = UInt32(trimmed) else { throw NetmaskError(given: text, family: family) }
            return try validate(prefix, family: family)
        }
    }

    /// The text form: IPv4 as a dotted quad, IPv6 as a prefix length.
    public static func text(_ value: UInt32, family: AddressFamily) -> String {
        family == .inet6 ? "\(value)" : IPAddress.v4(value).description
    }
}
