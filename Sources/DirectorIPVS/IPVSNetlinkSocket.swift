import CNetlink

/// One generic netlink socket talking to the kernel's IPVS family. Its calls block: use it from one
/// thread-pool thread at a time (``IPVSKernel`` does), never from an event loop.
final class IPVSNetlinkSocket {
    private let handle: OpaquePointer
    let family: UInt16
    private var sequence: UInt32 = 0

    /// Opens the socket and resolves the "IPVS" family.
    init() throws(IPVSKernelError) {
        var error: Int32 = 0
        guard let handle = shoal_genl_open(&error) else {
            throw IPVSKernelError(.initialize, .unavailable(Self.text(error)))
        }
        let family = shoal_genl_resolve(handle, IPVSGenericNetlink.familyName)
        guard family > 0 else {
            shoal_genl_close(handle)
            // libnl says "Object not found" when no IPVS family is registered; ipvsadm then says this.
            throw IPVSKernelError(.initialize, .unavailable("Protocol not available"))
        }
        self.handle = handle
        self.family = UInt16(family)
    }

    deinit { shoal_genl_close(handle) }

    static func text(_ code: Int32) -> String { String(cString: shoal_nl_error_text(code)) }

    /// Sends one request and collects the answer's generic netlink bodies: every message of a dump up to
    /// NLMSG_DONE, or the single reply (if any) up to the acknowledgement.
    func transact(_ request: IPVSRequest) throws(IPVSKernelError) -> [GenericNetlinkBody] {
        sequence &+= 1
        let seq = sequence
        let bytes = request.message(family: family, sequence: seq, portID: shoal_nl_local_port(handle)).bytes
        let sent = bytes.withUnsafeBytes { shoal_nl_send(handle, $0.baseAddress, $0.count) }
        guard sent >= 0 else { throw IPVSKernelError(request.operation, .socket(Self.text(sent))) }
        var bodies: [GenericNetlinkBody] = []
        while true {
            var buffer: UnsafeMutablePointer<UInt8>?
            let count = shoal_nl_receive(handle, &buffer)
            defer { shoal_nl_free_buffer(buffer) }
            guard count > 0, let buffer else {
                throw IPVSKernelError(request.operation, .socket(count == 0 ? "netlink socket closed" : Self.text(count)))
            }
            let messages: [NetlinkMessage]
            do {
                messages = try NetlinkMessage.split(UnsafeBufferPointer(start: buffer, count: Int(count)))
            } catch {
                throw IPVSKernelError(request.operation, .malformed(error))
            }
            for message in messages where message.sequence == seq {
                switch message.type {
                case NetlinkConstant.messageError, NetlinkConstant.messageDone:
                    let code: Int32
                    do { code = try message.errorCode() } catch { throw IPVSKernelError(request.operation, .malformed(error)) }
                    if code < 0 { throw IPVSKernelError(request.operation, .kernel(errno: -code)) }
                    return bodies
                case NetlinkConstant.messageNoop:
                    continue
                case NetlinkConstant.messageOverrun:
                    throw IPVSKernelError(request.operation, .socket("netlink overrun"))
                default:
                    do {
                        bodies.append(try GenericNetlinkBody(message.payload, context: "\(request.command)"))
                    } catch {
                        throw IPVSKernelError(request.operation, .malformed(error))
                    }
                }
            }
        }
    }
}
