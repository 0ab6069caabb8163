public import NIOCore
public import NIOPosix

/// A response body taken from an open file: byte strings (multipart headers) and slices of the file, written
/// in order. Over plain TCP the slices go out as `FileRegion`s (sendfile); over TLS they are read in chunks on
/// `fileIO`'s thread pool, one chunk in flight. The body owns `handle`: the layer closes it once the body is
/// written, or at once when it is not (HEAD, a closed connection).
public struct HTTPFileBody: Sendable {
    /// One piece of the body.
    public enum Part: Sendable {
        case bytes(ByteBuffer)
        case file(offset: Int64, count: Int64)
    }

    public let handle: NIOFileHandle
    public var parts: [Part]
    public let fileIO: NonBlockingFileIO

    public init(handle: NIOFileHandle, parts: [Part], fileIO: NonBlockingFileIO) {
        self.handle = handle
        self.parts = parts
        self.fileIO = fileIO
    }

    /// The number of body bytes (the `Content-Length`).
    public var length: Int64 {
        parts.reduce(0) { total, part in
            switch part {
            case let .bytes(buffer): total + Int64(buffer.readableBytes)
            case let .file(_, count): total + count
            }
        }
    }

    /// Closes the file; a second call does nothing.
    public func close() {
        try? handle.close()
    }
}

/// A file body could not be sent as announced.
enum HTTPFileBodyError: Error, CustomStringConvertible {
    /// The file shrank under us: fewer bytes than the `Content-Length` promised.
    case truncated(expected: Int64, read: Int)

    var description: String {
        switch self {
        case let .truncated(expected, read): "the file ended early: read \(read) of \(expected) bytes"
        }
    }
}
