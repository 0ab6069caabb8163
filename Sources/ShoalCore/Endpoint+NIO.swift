public import NIOCore

extension Endpoint {
    /// The endpoint of an IPv4 or IPv6 socket address; nil for Unix sockets.
    public init?(socketAddress: SocketAddress) {
        guard let ip = socketAddress.ipAddress, let port = socketAddress.port,
              let address = IPAddress(ip), let p = UInt16(exactly: port) else { return nil }
        self.init(address, p)
    }

    /// The socket address to connect or bind to.
    public var socketAddress: SocketAddress {
        // The printed address always parses back: inet_ntop form.
        // swiftlint:disable:next force_try
        try! SocketAddress(ipAddress: address.description, port: Int(port))
    }
}
