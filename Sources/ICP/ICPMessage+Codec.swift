extension ICPMessage {
    /// The message on the wire.
    public func encoded() throws(ICPEncodingError) -> [UInt8] {
        let urlBytes = Array(url.utf8)
        guard !urlBytes.contains(0) else { throw .nulInURL }
        var payload: [UInt8] = []
        if opcode == .query { Self.append(requesterAddress, to: &payload) }
        payload += urlBytes
        payload.append(0)
        if opcode == .hitObj {
            guard object.count <= Int(UInt16.max) else { throw .tooLong(Self.headerLength + payload.count + 2 + object.count) }
            Self.append(UInt16(object.count), to: &payload)
            payload += object
        }
        let length = Self.headerLength + payload.count
        guard length <= Self.maximumLength else { throw .tooLong(length) }
        var bytes: [UInt8] = [opcode.rawValue, Self.version]
        bytes.reserveCapacity(length)
        Self.append(UInt16(length), to: &bytes)
        Self.append(requestNumber, to: &bytes)
        Self.append(options.rawValue, to: &bytes)
        Self.append(optionData, to: &bytes)
        Self.append(senderAddress, to: &bytes)
        return bytes + payload
    }

    /// The fixed header fields, checked for what every message needs: size, version and length field.
    public struct Header: Hashable, Sendable {
        public var opcodeValue: UInt8
        public var length: Int
        public var requestNumber: UInt32
        public var options: ICPOptions
        public var optionData: UInt32
        public var senderAddress: UInt32

        /// Reads the header of a whole datagram; never traps, whatever the bytes.
        public init(_ datagram: some Collection<UInt8>) throws(ICPDecodingError) {
            let bytes = Array(datagram.prefix(ICPMessage.maximumLength + 1))
            guard bytes.count >= ICPMessage.headerLength else { throw .shorterThanHeader(bytes.count) }
            guard bytes[1] == ICPMessage.version else { throw .unsupportedVersion(bytes[1]) }
            let length = Int(ICPMessage.read16(bytes, 2))
            let size = datagram.count
            guard length == size else { throw .lengthMismatch(field: length, datagram: size) }
            guard size <= ICPMessage.maximumLength else { throw .tooLong(size) }
            opcodeValue = bytes[0]
            self.length = length
            requestNumber = ICPMessage.read32(bytes, 4)
            options = ICPOptions(rawValue: ICPMessage.read32(bytes, 8))
            optionData = ICPMessage.read32(bytes, 12)
            senderAddress = ICPMessage.read32(bytes, 16)
        }
    }

    /// Decodes one datagram; any malformed input is an ``ICPDecodingError``, never a trap.
    public init(decoding datagram: some Collection<UInt8>) throws(ICPDecodingError) {
        let header = try Header(datagram)
        guard let opcode = ICPOpcode(rawValue: header.opcodeValue), opcode != .invalid else {
            throw .unknownOpcode(header.opcodeValue)
        }
        let bytes = Array(datagram)
        var payload = bytes[Self.headerLength...]
        var requester: UInt32 = 0
        if opcode == .query {
            guard payload.count >= 4 else { throw .truncatedPayload(opcode) }
            requester = Self.read32(bytes, payload.startIndex)
            payload = payload.dropFirst(4)
        }
        guard let nul = payload.firstIndex(of: 0) else { throw .unterminatedURL }
        let urlBytes = payload[..<nul]
        let url = String(decoding: urlBytes, as: UTF8.self)
        guard url.utf8.elementsEqual(urlBytes) else { throw .invalidURL }
        var rest = payload[(nul + 1)...]
        var object: [UInt8] = []
        if opcode == .hitObj {
            guard rest.count >= 2 else { throw .truncatedPayload(opcode) }
            let size = Int(Self.read16(bytes, rest.startIndex))
            rest = rest.dropFirst(2)
            guard size == rest.count else { throw .objectLengthMismatch(field: size, available: rest.count) }
            object = Array(rest)
        }
        self.init(opcode: opcode, requestNumber: header.requestNumber, url: url, options: header.options,
                  optionData: header.optionData, senderAddress: header.senderAddress, requesterAddress: requester, object: object)
    }

    static func read16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
    }

    static func read32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        bytes[at..<(at + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    static func append(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
                  UInt8(truncatingIfNeeded: value)]
    }
}
