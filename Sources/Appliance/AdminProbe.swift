public import Foundation
import CLinuxFS
#if canImport(Glibc)
import Glibc
#endif

/// Blocking probes of a running appliance from the CLI (`up --wait`, `status`, `scale`): a TCP connect, and
/// HTTP/1.1 requests to the director's admin API with `Connection: close`, each with a timeout and a size cap.
/// With a `namespace` (the netns host's client namespace) the socket is made inside that network namespace.
public enum AdminProbe {
    /// A probe failed; says what was asked of whom.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Whether `host:port` accepts a TCP connection within `timeout` seconds.
    public static func canConnect(_ host: String, _ port: Int, timeout: Double = 1, namespace: String? = nil) -> Bool {
        (try? connect(host, port, timeout: timeout, namespace: namespace)).map { close($0); return true } ?? false
    }

    /// A request's status and body. Bodies over `limit` bytes are an error.
    public static func request(_ method: String, host: String, port: Int, path: String, body: Data? = nil,
                               timeout: Double = 5, limit: Int = 8 << 20, namespace: String? = nil) throws -> (status: Int, body: Data) {
        let fd = try connect(host, port, timeout: timeout, namespace: namespace)
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nUser-Agent: shoal-appliance\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        var out = Data(head.utf8)
        if let body { out.append(body) }
        try out.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                guard sent > 0 else { throw Failure(description: "\(host):\(port): sending \(method) \(path) failed (errno \(errno))") }
                offset += sent
            }
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { break }
            guard count > 0 else { throw Failure(description: "\(host):\(port): no whole answer to \(method) \(path) within \(timeout) s") }
            response.append(contentsOf: buffer[0..<count])
            guard response.count <= limit else { throw Failure(description: "\(host):\(port): answer to \(path) over \(limit) bytes") }
        }
        return try parse(response, what: "\(host):\(port) \(method) \(path)")
    }

    /// GET `path` and decode the JSON body; non-2xx answers are errors.
    public static func json(host: String, port: Int, path: String, namespace: String? = nil) throws -> Any {
        let (status, body) = try request("GET", host: host, port: port, path: path, namespace: namespace)
        guard (200..<300).contains(status) else {
            throw Failure(description: "\(host):\(port) answered HTTP \(status) to GET \(path): \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        return try JSONSerialization.jsonObject(with: body)
    }

    /// Splits an HTTP/1.1 response into status and body (Content-Length, chunked, or to the end). The answer is
    /// network input: anything malformed is an error or a shorter body, never a trap (fuzzed as `admin-answer`).
    public static func parse(_ response: Data, what: String) throws -> (status: Int, body: Data) {
        let bytes = [UInt8](response)
        guard let end = bytes.firstRange(of: [13, 10, 13, 10]) else { throw Failure(description: "\(what): no HTTP head in the answer") }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n")
        let statusLine = head.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw Failure(description: "\(what): not an HTTP status line")
        }
        var body = Array(bytes[end.upperBound...])
        let headers = head.dropFirst().map { $0.lowercased() }
        if headers.contains(where: { $0.hasPrefix("transfer-encoding:") && $0.contains("chunked") }) {
            var decoded: [UInt8] = [], rest = body[...]
            while let lineEnd = rest.firstRange(of: [13, 10]) {
                let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else { break }
                if size == 0 { break }
                let start = lineEnd.upperBound
                guard rest.endIndex - start >= size else { break }
                decoded += rest[start..<(start + size)]
                rest = rest[min(rest.endIndex, start + size + 2)...]
            }
            body = decoded
        } else if let length = headers.first(where: { $0.hasPrefix("content-length:") }).flatMap({ Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) }),
                  length >= 0 {
            body = Array(body.prefix(length))
        }
        return (status, Data(body))
    }

    static func connect(_ host: String, _ port: Int, timeout: Double, namespace: String? = nil) throws -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw Failure(description: "\(host) is not an IPv4 address") }
        let fd = try tcpSocket(namespace: namespace)
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw Failure(description: "cannot connect to \(host):\(port): \(String(cString: strerror(code)))")
        }
        return fd
    }

    /// A free TCP port on `host` (bound, read, closed).
    public static func freePort(on host: String, namespace: String? = nil) throws -> Int {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw Failure(description: "\(host) is not an IPv4 address") }
        let fd = try tcpSocket(namespace: namespace)
        defer { close(fd) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure(description: "cannot bind \(host):0: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A TCP socket, made inside the network namespace `namespace` (a name under /run/netns) when one is given:
    /// this thread enters it, makes the socket (which stays in it) and returns to its own namespace at once.
    static func tcpSocket(namespace: String?) throws -> Int32 {
        guard let namespace else {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
            return fd
        }
        let own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard own >= 0 else { throw Failure(description: "cannot open this thread's network namespace: errno \(errno)") }
        defer { close(own) }
        let target = open(NetnsHost.directory + "/" + namespace, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { throw Failure(description: "no network namespace \(namespace): \(String(cString: strerror(errno)))") }
        defer { close(target) }
        guard shoal_setns_net(target) == 0 else {
            throw Failure(description: "cannot enter network namespace \(namespace): \(String(cString: strerror(errno)))")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let code = errno
        // A thread left in the cluster's namespace would make every later socket of this process there.
        guard shoal_setns_net(own) == 0 else { fatalError("cannot return to this thread's network namespace: errno \(errno)") }
        guard fd >= 0 else { throw Failure(description: "socket in \(namespace): errno \(code)") }
        return fd
    }
}
