import DirectorIPVS
import ShoalCore

/// An rtnetlink RTM_NEWADDR / RTM_DELADDR request for one virtual address: the message `ip addr add|del ADDR/LEN dev
/// IF` sends (struct ifaddrmsg, then IFA_LOCAL and IFA_ADDRESS both the address; IPv6 adds carry IFA_F_NODAD).
public struct InterfaceAddressRequest: Hashable, Sendable {
    static let newAddress: UInt16 = 20
    static let deleteAddress: UInt16 = 21
    static let attributeAddress: UInt16 = 1
    static let attributeLocal: UInt16 = 2
    static let flagNoDAD: UInt8 = 0x02
    static let flagExclusive: UInt16 = 0x200
    static let flagCreate: UInt16 = 0x400

    public var add: Bool
    public var address: VirtualAddress
    public var interface: String
    public var interfaceIndex: UInt32

    public init(add: Bool, address: VirtualAddress, interface: String, interfaceIndex: UInt32) {
        self.add = add
        self.address = address
        self.interface = interface
        self.interfaceIndex = interfaceIndex
    }

    /// The request with `sequence` as it goes on the socket, asking for an acknowledgement (an add refuses an
    /// address already there, as `ip` does).
    public func bytes(sequence: UInt32) -> [UInt8] { message(sequence: sequence).bytes }

    func message(sequence: UInt32) -> NetlinkMessage {
        let ipv6 = address.address.family == .inet6
        let index = interfaceIndex
        var payload: [UInt8] = [ipv6 ? 10 : 2, UInt8(address.prefixLength), add && ipv6 ? Self.flagNoDAD : 0, 0]
        payload += [UInt8(truncatingIfNeeded: index), UInt8(truncatingIfNeeded: index >> 8), UInt8(truncatingIfNeeded: index >> 16),
                    UInt8(truncatingIfNeeded: index >> 24)]
        var attributes = NetlinkAttributeWriter()
        let bytes = InternetChecksum.addressBytes(address.address)
        attributes.put(Self.attributeLocal, bytes: bytes)
        attributes.put(Self.attributeAddress, bytes: bytes)
        let flags = NetlinkConstant.flagRequest | NetlinkConstant.flagAck | (add ? Self.flagCreate | Self.flagExclusive : 0)
        return NetlinkMessage(type: add ? Self.newAddress : Self.deleteAddress, flags: flags, sequence: sequence, portID: 0,
                              payload: payload + attributes.bytes)
    }

    /// The equivalent command line, for error texts.
    public var commandLine: String { "ip addr \(add ? "add" : "del") \(address) dev \(interface)" }
}
