public import NIOCore
import ShoalServer

/// Splices a client connection to a server connection that another handler opened (the mail director's
/// login proxies): `TCPProxyGlue` on both, traffic reported against the lease, the idle timeout watched.
public enum ProxySplice {
    /// Adds the glue at the end of both pipelines, writes `clientBytes` (read from the client but not yet
    /// sent) to the server, and reports the close of the client connection to the scheduler. Call it on the
    /// client's event loop, with the server channel on the same loop; the caller then removes its own handler.
    public static func splice(client: any Channel, backend: any Channel, lease: ProxyLease, scheduler: any ConnectionScheduler,
                              idleTimeout: TimeAmount, clientBytes: [ByteBuffer]) throws {
        let meter = TrafficMeter(scheduler: scheduler)
        meter.lease = lease
        watchIdleness(client, meter: meter, timeout: idleTimeout)
        let boundMeter = NIOLoopBound(meter, eventLoop: client.eventLoop)
        client.closeFuture.whenComplete { _ in boundMeter.value.finish() }
        let clientGlue = TCPProxyGlue(meter: meter, fromClient: true)
        let backendGlue = TCPProxyGlue(meter: meter, fromClient: false)
        TCPProxyGlue.pair(clientGlue, backendGlue)
        try backend.pipeline.syncOperations.addHandler(backendGlue)
        try client.pipeline.syncOperations.addHandler(clientGlue)
        for buffer in clientBytes where buffer.readableBytes > 0 {
            meter.inbound(buffer.readableBytes)
            backend.write(buffer, promise: nil)
        }
        backend.flush()
    }
}
