public import Logging
public import NIOCore
import NIOHTTP1

/// Installs ShoalHTTP's handlers on a server connection: byte observer (request-line scanner), NIO's HTTP/1.1
/// codec with pipelining and quiescing, then the connection handler for `responder` (which also answers parse
/// errors: 414 for an oversized request line, 431 for an oversized head, 501 for an unknown method token, else 400).
public enum HTTPServerPipeline {
    /// Configures a new connection's pipeline; call on its event loop (as a child channel initializer does).
    public static func configure<Responder: HTTPResponder>(
        _ channel: any Channel, responder: Responder, configuration: HTTPServerConfiguration, logger: Logger
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = configuration.maxHeaderBytes
        limits.maxHeaderFieldSize = configuration.maxHeaderBytes
        if !configuration.sendsFileRegions { try pipeline.addHandler(HTTPWriteCoalescer()) }  // TLS below: one record per response
        let observer = HTTPBytesReceivedObserver(requestLineLimit: configuration.maxHeaderBytes)
        try pipeline.addHandler(observer)
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: true, withErrorHandling: false,
            withOutboundHeaderValidation: configuration.validatesResponseHeaders,
            withEncoderConfiguration: HTTPResponseEncoder.Configuration(), withDecoderLimitConfiguration: limits)
        try pipeline.addHandler(HTTPConnectionHandler(responder: responder, configuration: configuration, logger: logger,
                                                      requestBytes: observer))
    }

    /// Configures a connection that is over the cap: it is answered 503 and closed.
    public static func configureOverloaded(_ channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandler(HTTPOverloadHandler())
    }
}
