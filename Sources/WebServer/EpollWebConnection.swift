#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import ShoalHTTP

/// One client connection of an `EpollWebWorker`: the bytes received and not yet parsed, where it is in its
/// request/response cycle, and the response bytes and file slices the socket has not taken yet.
struct EpollWebConnection {
    /// Where the connection is in its request/response cycle (as `HTTPConnectionHandler.Phase` on the NIO path).
    enum Phase {
        /// Waiting for a request head; `idle` until the first byte of a kept-alive connection's next request.
        case awaitingHead(idle: Bool)
        /// Reading and dropping a request body, then answering `head` (`answered`: the answer went out already).
        case discardingBody(head: HTTPRequestHead, keepAlive: Bool, left: BodyLeft, answered: Bool)
        /// The responder is answering on the concurrency pool.
        case responding
        /// The last answer is going out; nothing more is read.
        case closing
    }

    /// What is left of a request body.
    enum BodyLeft {
        case bytes(Int)
        case chunked(ChunkedBodySkipper, seen: Int)
    }

    /// A piece of output: bytes, or a slice of an open file (sendfile).
    enum Output {
        case bytes(ByteBuffer)
        case file(HTTPFileBody, descriptor: Int32, offset: Int64, count: Int64, last: Bool)
    }

    let fd: Int32
    let remote: SocketAddress?
    var phase = Phase.awaitingHead(idle: false)
    var input: [UInt8] = []
    var inputStart = 0
    var output: [Output] = []
    var outputIndex = 0
    var requestCount = 0
    var readable = false
    var writable = true
    /// Close once the output is written.
    var closeAfterOutput = false
    /// The client sent its FIN: answer what came before it, then close.
    var peerClosed = false
    /// When the sweep closes the connection unless something happens first (engine milliseconds).
    var deadline: Int64

    init(fd: Int32, remote: SocketAddress?, deadline: Int64) {
        self.fd = fd
        self.remote = remote
        self.deadline = deadline
    }

    var hasOutput: Bool { outputIndex < output.count }
    var bufferedInput: Int { input.count - inputStart }

    mutating func append(_ pointer: UnsafeRawPointer, count: Int) {
        if inputStart == input.count {
            input.removeAll(keepingCapacity: true)
            inputStart = 0
        } else if inputStart > 4096, inputStart * 2 > input.count {
            input.removeFirst(inputStart)
            inputStart = 0
        }
        input.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: count))
    }

    mutating func consume(_ count: Int) {
        inputStart += count
        if inputStart == input.count {
            input.removeAll(keepingCapacity: input.capacity <= 16 * 1024)
            inputStart = 0
        }
    }

    /// Closes the files of output not sent.
    mutating func dropOutput() {
        for index in outputIndex..<output.count {
            if case let .file(body, _, _, _, last) = output[index], last { body.close() }
        }
        output = []
        outputIndex = 0
    }

    /// Writes as much output as the socket takes: (false, errno) on a hard error; true when it took everything
    /// or would block (then `writable` is false).
    mutating func flush() -> (ok: Bool, progressed: Bool) {
        var progressed = false
        while hasOutput {
            switch output[outputIndex] {
            case .bytes:
                let sent = sendBytes()
                if sent < 0 {
                    if errno == EAGAIN || errno == EINTR {
                        if errno == EAGAIN { writable = false }
                        return (true, progressed)
                    }
                    return (false, progressed)
                }
                progressed = progressed || sent > 0
            case let .file(body, descriptor, start, count, last):
                var position = off_t(start)
                let sent = sendfile(fd, descriptor, &position, Int(min(count, 1 << 30)))
                let offset = Int64(position)
                if sent < 0 {
                    if errno == EAGAIN { writable = false; return (true, progressed) }
                    if errno == EINTR { continue }
                    return (false, progressed)
                }
                if sent == 0 { return (false, progressed) }  // the file shrank under us: cut the answer short
                progressed = true
                let left = count - Int64(sent)
                if left == 0 {
                    if last { body.close() }
                    outputIndex += 1
                } else {
                    output[outputIndex] = .file(body, descriptor: descriptor, offset: offset, count: left, last: last)
                }
            }
        }
        output.removeAll(keepingCapacity: true)
        outputIndex = 0
        return (true, progressed)
    }

    /// One `writev` of the byte pieces at the front (a head and its small body in one call); the count sent or -1.
    private mutating func sendBytes() -> Int {
        var vectors: [iovec] = []
        var index = outputIndex
        var keep: [ByteBuffer] = []
        while index < output.count, vectors.count < 16, case let .bytes(buffer) = output[index] {
            keep.append(buffer)
            index += 1
        }
        let sent: Int = withExtendedLifetime(keep) {
            for buffer in keep {
                buffer.withUnsafeReadableBytes { raw in
                    vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count))
                }
            }
            var message = msghdr()
            return vectors.withUnsafeMutableBufferPointer { pointer in
                message.msg_iov = pointer.baseAddress
                message.msg_iovlen = pointer.count
                return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
            }
        }
        guard sent > 0 else { return sent }
        var left = sent
        while left > 0, case var .bytes(buffer) = output[outputIndex] {
            let take = min(left, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: take)
            left -= take
            if buffer.readableBytes == 0 {
                outputIndex += 1
                if outputIndex == output.count { break }
            } else {
                output[outputIndex] = .bytes(buffer)
            }
        }
        return sent
    }
}
