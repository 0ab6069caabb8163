import Crypto
import Foundation
import NIOHTTP1
import ShoalCore

/// The on-disk form of one `CachedResponse`: `SHC1`, a 4-byte metadata length, JSON metadata (with the
/// body's length and SHA-256), the body. Written to a temporary file, fsynced and renamed into place, so a
/// crash leaves either the old file, the new one, or a stray temporary file — and `decode` refuses anything
/// whose lengths or checksum disagree (a torn object is never served).
public enum StoredObjectFile {
    static let magic: [UInt8] = Array("SHC1".utf8)

    struct Metadata: Codable {
        var url: String
        var status: UInt
        var headers: [[String]]
        var requestTime: Int64
        var responseTime: Int64
        var varyValues: [String: String]
        var bodyLength: Int
        var bodySHA256: String
    }

    /// The file's bytes.
    public static func encode(_ response: CachedResponse) -> [UInt8] {
        let metadata = Metadata(url: response.url, status: response.status, headers: response.headers.map { [$0.name, $0.value] },
                                requestTime: response.requestTime, responseTime: response.responseTime, varyValues: response.varyValues,
                                bodyLength: response.body.count, bodySHA256: digest(response.body))
        let json = (try? JSONEncoder().encode(metadata)).map { Array($0) } ?? []
        let length = UInt32(json.count)
        var bytes = magic
        bytes += [UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
        bytes += json
        bytes += response.body
        return bytes
    }

    /// Why bytes are not a whole stored object.
    public enum DecodeError: Error, Equatable {
        case notAnObject
        case truncated
        case checksumMismatch
    }

    /// The response in a file's bytes; throws for anything torn or foreign.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> CachedResponse {
        guard bytes.count >= 8, Array(bytes[0..<4]) == magic else { throw .notAnObject }
        let length = Int(bytes[4]) << 24 | Int(bytes[5]) << 16 | Int(bytes[6]) << 8 | Int(bytes[7])
        guard length <= bytes.count - 8 else { throw .truncated }
        guard let metadata = try? JSONDecoder().decode(Metadata.self, from: Data(bytes[8..<(8 + length)])) else { throw .notAnObject }
        let body = Array(bytes[(8 + length)...])
        guard body.count == metadata.bodyLength else { throw .truncated }
        guard digest(body) == metadata.bodySHA256 else { throw .checksumMismatch }
        var headers = HTTPHeaders()
        for pair in metadata.headers where pair.count == 2 { headers.add(name: pair[0], value: pair[1]) }
        return CachedResponse(url: metadata.url, status: metadata.status, headers: headers, body: body, requestTime: metadata.requestTime,
                              responseTime: metadata.responseTime, varyValues: metadata.varyValues)
    }

    /// The file name of a variant: SHA-256 of the URL and its Vary values.
    public static func name(url: String, varyValues: [String: String]) -> String {
        let key = url + "\n" + varyValues.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        return digest(Array(key.utf8))
    }

    static func digest(_ bytes: [UInt8]) -> String {
        Hex.lowercase(SHA256.hash(data: bytes))
    }
}
