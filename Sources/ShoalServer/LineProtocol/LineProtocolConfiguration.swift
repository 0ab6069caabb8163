public import NIOCore
public import ShoalCore

/// The driver's limits for one listener, each with a default.
public struct LineProtocolConfiguration: Sendable {
    /// The longest line in octets, counting its CR LF.
    public var maximumLineLength: Int
    /// Silence allowed while waiting for a command (RFC 5321 §4.5.3.2: at least 5 minutes).
    public var commandTimeout: TimeAmount
    /// Silence allowed inside a message or literal (RFC 5321: at least 3 minutes per data block).
    public var dataTimeout: TimeAmount
    /// Input held while the session waits before the driver stops reading.
    public var maximumBufferedInput: Int
    /// Output the client has not read yet above which the channel counts as unwritable (and the session's
    /// next work waits), and below which it is writable again. Above one piece of FETCH or RETR work, so the
    /// next piece is read while the client still drains the last one: the output never pauses between them.
    public var outputWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 256 * 1024, high: 512 * 1024)

    public init(maximumLineLength: Int = CRLFLineDecoder.defaultMaximumLineLength, commandTimeout: TimeAmount = .minutes(5),
                dataTimeout: TimeAmount = .minutes(3), maximumBufferedInput: Int = 1 << 20) {
        self.maximumLineLength = maximumLineLength
        self.commandTimeout = commandTimeout
        self.dataTimeout = dataTimeout
        self.maximumBufferedInput = maximumBufferedInput
    }

    func timeout(_ kind: LineTimeoutKind) -> TimeAmount {
        switch kind {
        case .command: commandTimeout
        case .data: dataTimeout
        }
    }
}
