import ShoalCore

extension IPVSSyncMessage {
    static let optionSequence: UInt8 = 1
    static let optionPEData: UInt8 = 2
    static let optionPEName: UInt8 = 3

    /// The message on the wire.
    public func encoded() throws(IPVSSyncEncodingError) -> [UInt8] {
        guard connections.count <= 255 else { throw .tooManyConnections(connections.count) }
        var bytes: [UInt8] = [0, syncID, 0, 0, UInt8(connections.count), Self.version, 0, 0]
        for (index, c) in connections.enumerated() {
            let family = c.client.family
            guard c.virtual.family == family, c.destination.family == family else { throw .mixedFamilies(index: index) }
            var entry: [UInt8] = [family == .inet ? 0 : 1, c.ipProtocol, 0, 0]
            Self.put32(c.flags, &entry)
            Self.put16(c.state, &entry)
            Self.put16(c.clientPort, &entry)
            Self.put16(c.virtualPort, &entry)
            Self.put16(c.destinationPort, &entry)
            Self.put32(c.fwmark, &entry)
            Self.put32(c.timeout, &entry)
            entry += InternetChecksum.addressBytes(c.client) + InternetChecksum.addressBytes(c.virtual) + InternetChecksum.addressBytes(c.destination)
            if let sequence = c.sequence {
                guard sequence.count == 6 else { throw .badSequence(index: index) }
                entry += [Self.optionSequence, 24]
                for word in sequence { Self.put32(word, &entry) }
            }
            for (type, data) in [(Self.optionPEData, c.persistenceEngineData), (Self.optionPEName, c.persistenceEngineName)] {
                guard let data else { continue }
                guard data.count <= 255 else { throw .optionTooLong(index: index) }
                entry += [type, UInt8(data.count)] + data
            }
            // ver_size: version 0 in the top 4 bits, the entry's size (options included, padding not) below.
            guard entry.count <= 0x0FFF else { throw .optionTooLong(index: index) }
            entry[2] = UInt8(entry.count >> 8)
            entry[3] = UInt8(entry.count & 0xff)
            while entry.count % 4 != 0 { entry.append(0) }
            bytes += entry
        }
        guard bytes.count <= Self.maximumLength else { throw .tooLong(bytes.count) }
        bytes[2] = UInt8(bytes.count >> 8)
        bytes[3] = UInt8(bytes.count & 0xff)
        return bytes
    }

    /// Decodes one datagram with the kernel's checks (`ip_vs_process_message`, `ip_vs_proc_sync_conn`); never traps.
    public init(decoding bytes: [UInt8]) throws(IPVSSyncDecodingError) {
        guard bytes.count >= Self.headerLength else { throw .shorterThanHeader(bytes.count) }
        guard bytes.count <= Self.maximumLength else { throw .tooLong(bytes.count) }
        guard bytes[0] == 0, bytes[5] == Self.version, bytes[6] == 0, bytes[7] == 0 else { throw .notVersion1 }
        let size = Int(bytes[2]) << 8 | Int(bytes[3])
        guard size == bytes.count else { throw .lengthMismatch(field: size, datagram: bytes.count) }
        let count = Int(bytes[4])
        var connections: [IPVSSyncConnection] = []
        var offset = Self.headerLength
        for index in 0..<count {
            guard offset + 4 <= bytes.count else { throw .truncatedConnection(index: index) }
            let type = bytes[offset]
            guard type <= 1 else { throw .unknownAddressType(type) }
            let family: AddressFamily = type == 0 ? .inet : .inet6
            let base = family == .inet ? 36 : 72
            let versionAndSize = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let entrySize = versionAndSize & 0x0FFF
            guard versionAndSize >> 12 == 0, entrySize >= base else { throw .badConnectionSize(index: index, size: entrySize) }
            guard offset + entrySize <= bytes.count else { throw .truncatedConnection(index: index) }
            let entry = Array(bytes[offset..<offset + entrySize])
            let width = family == .inet ? 4 : 16
            guard let client = InternetChecksum.address(entry, at: 24, family: family),
                  let virtual = InternetChecksum.address(entry, at: 24 + width, family: family),
                  let destination = InternetChecksum.address(entry, at: 24 + 2 * width, family: family) else {
                throw .truncatedConnection(index: index)
            }
            var connection = IPVSSyncConnection(
                ipProtocol: entry[1], flags: Self.get32(entry, 4), state: Self.get16(entry, 8), client: client, clientPort: Self.get16(entry, 10),
                virtual: virtual, virtualPort: Self.get16(entry, 12), destination: destination, destinationPort: Self.get16(entry, 14),
                fwmark: Self.get32(entry, 16), timeout: Self.get32(entry, 20))
            var option = base
            while option < entry.count {
                guard option + 2 <= entry.count else { throw .badOption(index: index, type: entry[option]) }
                let type = entry[option], length = Int(entry[option + 1])
                guard option + 2 + length <= entry.count else { throw .badOption(index: index, type: type) }
                let data = Array(entry[option + 2..<option + 2 + length])
                switch type {
                case Self.optionSequence:
                    guard length == 24, connection.sequence == nil else { throw .badOption(index: index, type: type) }
                    connection.sequence = (0..<6).map { Self.get32(data, 4 * $0) }
                case Self.optionPEData:
                    guard connection.persistenceEngineData == nil else { throw .badOption(index: index, type: type) }
                    connection.persistenceEngineData = data
                case Self.optionPEName:
                    guard connection.persistenceEngineName == nil else { throw .badOption(index: index, type: type) }
                    connection.persistenceEngineName = data
                default:
                    throw .badOption(index: index, type: type)
                }
                option += 2 + length
            }
            connections.append(connection)
            offset += (entrySize + 3) & ~3
        }
        guard offset == bytes.count else { throw .countMismatch(field: count, found: connections.count) }
        self.init(syncID: bytes[1], connections: connections)
    }

    static func put16(_ value: UInt16, _ bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 8), UInt8(value & 0xff)]
    }

    static func put32(_ value: UInt32, _ bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    static func get16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        guard at + 2 <= bytes.count else { return 0 }
        return UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
    }

    static func get32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        guard at + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }
}
