/// The hash key of a mail user for the sh/mh schedulers (`SchedulingRequest.affinityKey`): the user name
/// normalised (surrounding spaces dropped, lower case), then FNV-1a over its UTF-8, so `Alice`, `alice` and
/// ` alice ` land on the same server from any client address.
public enum UserAffinityKey {
    /// The name as it is hashed: trimmed of spaces and tabs, lower-cased.
    public static func normalised(_ user: String) -> String {
        var scalars = Substring(user)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return scalars.lowercased()
    }

    /// The 32-bit key of a user name (FNV-1a of the normalised name).
    public static func key(_ user: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in normalised(user).utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }
}
