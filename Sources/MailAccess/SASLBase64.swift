/// Base64 (RFC 4648) as SASL uses it: strict, padded, no line breaks.
public enum SASLBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index < input.count {
            let b0 = input[index]
            let b1 = index + 1 < input.count ? input[index + 1] : 0
            let b2 = index + 2 < input.count ? input[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < input.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < input.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil unless `text` is valid padded base64.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLast = index + 4 == input.count
            let c0 = values[Int(input[index])], c1 = values[Int(input[index + 1])]
            guard c0 != 0xFF, c1 != 0xFF else { return nil }
            out.append(c0 << 2 | c1 >> 4)
            if isLast && input[index + 2] == UInt8(ascii: "=") {
                guard input[index + 3] == UInt8(ascii: "="), c1 & 0x0F == 0 else { return nil }
            } else {
                let c2 = values[Int(input[index + 2])]
                guard c2 != 0xFF else { return nil }
                out.append((c1 & 0x0F) << 4 | c2 >> 2)
                if isLast && input[index + 3] == UInt8(ascii: "=") {
                    guard c2 & 0x03 == 0 else { return nil }
                } else {
                    let c3 = values[Int(input[index + 3])]
                    guard c3 != 0xFF else { return nil }
                    out.append((c2 & 0x03) << 6 | c3)
                }
            }
            index += 4
        }
        return out
    }
}
