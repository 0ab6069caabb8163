/// The server side of ICP as a pure function: one received datagram in, a reply to send (or nothing) out.
///
/// Rules (RFC 2186 §2, RFC 2187 §4): a datagram whose header cannot be read (short, unknown version,
/// length field disagreeing with its size, over 16 KiB) is dropped, never answered: answering spoofed or
/// foreign-version traffic only amplifies it. A v2 header with a bad payload or unknown opcode is answered
/// ICP_OP_ERR with its request number. A query from outside the ACL gets ICP_OP_DENIED, one while warming up
/// or overloaded ICP_OP_MISS_NOFETCH, else HIT (fresh for 30 s more), HIT_OBJ (when the querier set the
/// flag and the object fits) or MISS. SECHO/DECHO are echoed. Replies go to the querier side (`.reply`).
public enum ICPQueryAnswerer {
    /// What the local cache knows of a URL.
    public enum ObjectState: Sendable, Equatable {
        /// Stored and fresh for at least 30 s more; `object` is the whole cached response when it is small
        /// enough to go in a HIT_OBJ reply (nil otherwise).
        case hit(object: [UInt8]?)
        /// Not stored, or not fresh long enough.
        case miss
    }

    /// The node's state when the query arrives.
    public struct Conditions: Sendable, Equatable {
        /// The sender is inside the ICP ACL.
        public var allowed: Bool
        /// Warming up or overloaded: queries are answered MISS_NOFETCH.
        public var refusingFetches: Bool
        /// The node's round trip to the URL's origin in milliseconds (for ICP_FLAG_SRC_RTT), when known.
        public var sourceRTTMilliseconds: UInt16?

        public init(allowed: Bool = true, refusingFetches: Bool = false, sourceRTTMilliseconds: UInt16? = nil) {
            self.allowed = allowed
            self.refusingFetches = refusingFetches
            self.sourceRTTMilliseconds = sourceRTTMilliseconds
        }
    }

    /// What to do with one datagram.
    public enum Outcome: Sendable, Equatable {
        /// Send these bytes back to the sender; `opcode` is the reply's (for the counters).
        case answer([UInt8], opcode: ICPOpcode, query: ICPMessage?)
        /// A reply to one of our own queries: hand it to the client side.
        case reply(ICPMessage)
        /// Dropped without an answer, for this reason (counted by the caller).
        case drop(ICPDecodingError)
    }

    /// Decides the fate of one datagram. `lookup` is asked only for a query that is allowed.
    public static func handle(_ datagram: some Collection<UInt8>, conditions: Conditions,
                              lookup: (String) -> ObjectState) -> Outcome {
        handle(Array(datagram), conditions: conditions, lookup: lookup)
    }

    /// ``handle(_:conditions:lookup:)`` for bytes in an array: the decoding it calls is specialized for arrays in
    /// this module, where a caller's other collection would go through the generic code byte by byte.
    public static func handle(_ datagram: [UInt8], conditions: Conditions, lookup: (String) -> ObjectState) -> Outcome {
        let header: ICPMessage.Header
        do {
            header = try ICPMessage.Header(datagram)
        } catch {
            return .drop(error)
        }
        let message: ICPMessage
        do {
            message = try ICPMessage(decoding: datagram)
        } catch {
            return answer(ICPMessage(opcode: .err, requestNumber: header.requestNumber, url: ""), to: nil)
        }
        switch message.opcode {
        case .query:
            return answer(reply(to: message, conditions: conditions, lookup: lookup), to: message)
        case .secho, .decho:
            return answer(ICPMessage(opcode: message.opcode, requestNumber: message.requestNumber, url: message.url), to: message)
        case .hit, .miss, .err, .missNoFetch, .denied, .hitObj:
            return .reply(message)
        case .invalid:
            return answer(ICPMessage(opcode: .err, requestNumber: header.requestNumber, url: ""), to: nil)
        }
    }

    /// The reply to one well-formed query.
    public static func reply(to query: ICPMessage, conditions: Conditions, lookup: (String) -> ObjectState) -> ICPMessage {
        var reply = ICPMessage(opcode: .miss, requestNumber: query.requestNumber, url: query.url)
        guard conditions.allowed else {
            reply.opcode = .denied
            return reply
        }
        if query.options.contains(.sourceRTT), let rtt = conditions.sourceRTTMilliseconds {
            reply.options.insert(.sourceRTT)
            reply.optionData = UInt32(rtt)
        }
        guard !conditions.refusingFetches else {
            reply.opcode = .missNoFetch
            return reply
        }
        switch lookup(query.url) {
        case .miss:
            reply.opcode = .miss
        case let .hit(object):
            reply.opcode = .hit
            if query.options.contains(.hitObject), let object, hitObjectFits(url: query.url, object: object) {
                reply.opcode = .hitObj
                reply.options.insert(.hitObject)
                reply.object = object
            }
        }
        return reply
    }

    /// True when a HIT_OBJ reply carrying `object` stays within 16 KiB.
    public static func hitObjectFits(url: String, object: [UInt8]) -> Bool {
        ICPMessage.headerLength + url.utf8.count + 1 + 2 + object.count <= ICPMessage.maximumLength
    }

    static func answer(_ message: ICPMessage, to query: ICPMessage?) -> Outcome {
        // A URL too long to echo back is answered without it (the request number still matches).
        let bytes = (try? message.encoded())
            ?? (try? ICPMessage(opcode: message.opcode == .hitObj ? .hit : message.opcode, requestNumber: message.requestNumber,
                                url: "").encoded()) ?? []
        return .answer(bytes, opcode: message.opcode, query: query)
    }
}
