public import ICP

/// The ICP probe of an ICP check: an ICP_OP_SECHO request and the verdict on a reply, over the `ICP` codec.
public struct ICPProbe: Hashable, Sendable {
    public var requestNumber: UInt32
    public var url: String

    public init(requestNumber: UInt32, url: String) {
        self.requestNumber = requestNumber
        self.url = url
    }

    /// The ICP_OP_SECHO request (a URL that cannot be encoded is replaced by `/`).
    public var request: [UInt8] {
        let message = ICPMessage(opcode: .secho, requestNumber: requestNumber, url: url)
        return (try? message.encoded()) ?? (try? ICPMessage(opcode: .secho, requestNumber: requestNumber, url: "/").encoded()) ?? []
    }

    /// The verdict for a datagram from the probed server; nil when it answers another (older) request.
    public func judge(_ datagram: [UInt8]) -> Verdict? {
        let header: ICPMessage.Header
        do {
            header = try ICPMessage.Header(datagram)
        } catch {
            return .down("malformed ICP reply (\(error))")
        }
        guard header.requestNumber == requestNumber else { return nil }
        let message: ICPMessage
        do {
            message = try ICPMessage(decoding: datagram)
        } catch {
            return .down("malformed ICP reply (\(error))")
        }
        switch message.opcode {
        case .err: return .down("ICP_OP_ERR")
        case let opcode where opcode.isReply: return .up("ICP reply opcode \(opcode.rawValue)")
        default: return .down("malformed ICP reply (opcode \(message.opcode.rawValue) is not a reply)")
        }
    }
}
