public import ShoalCore

/// RFC 5798's Accept_Mode off (keepalived's `no_accept`): while a router that is not the address owner is master,
/// packets addressed to its virtual addresses are dropped (IPv6 neighbour discovery excepted, which §6.4.3 requires
/// it to answer; ARP is not IP and passes). The nftables JSON batches that install and remove the filter: one table
/// of its own per instance, replaced whole (add + delete + add in one transaction, so a stale copy cannot linger).
public struct VirtualAddressFilter: Hashable, Sendable {
    public var table: String
    public var addresses: [IPAddress]

    /// The filter of one instance: table `shoal_vrrp_<interface>_<vrid>` (characters nft names cannot hold become `_`).
    public init(interface: String, virtualRouterID: UInt8, addresses: [IPAddress]) {
        let safe = String(interface.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        table = "shoal_vrrp_\(safe)_\(virtualRouterID)"
        self.addresses = addresses
    }

    /// Replaces any earlier copy of the table with the filter.
    public var installBatch: String {
        var commands = [removal[0], removal[1], #"{"add":{"table":{"family":"inet","name":"\#(table)"}}}"#,
                        #"{"add":{"chain":{"family":"inet","table":"\#(table)","name":"input","type":"filter","hook":"input","prio":-1,"policy":"accept"}}}"#]
        let v4 = addresses.filter { $0.family == .inet }.map { "\"\($0)\"" }
        let v6 = addresses.filter { $0.family == .inet6 }.map { "\"\($0)\"" }
        if !v6.isEmpty {
            let match = #"{"match":{"op":"==","left":{"payload":{"protocol":"ip6","field":"daddr"}},"right":{"set":[\#(v6.joined(separator: ","))]}}}"#
            commands.append(rule([match, #"{"match":{"op":"==","left":{"payload":{"protocol":"icmpv6","field":"type"}},"right":{"set":["nd-neighbor-solicit","nd-neighbor-advert"]}}}"#, #"{"accept":null}"#]))
            commands.append(rule([match, #"{"drop":null}"#]))
        }
        if !v4.isEmpty {
            commands.append(rule([#"{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"daddr"}},"right":{"set":[\#(v4.joined(separator: ","))]}}}"#, #"{"drop":null}"#]))
        }
        return #"{"nftables":["# + commands.joined(separator: ",") + "]}"
    }

    /// Removes the table, whether or not it exists (adding an existing table is a no-op).
    public var removeBatch: String { #"{"nftables":["# + removal.joined(separator: ",") + "]}" }

    private var removal: [String] {
        [#"{"add":{"table":{"family":"inet","name":"\#(table)"}}}"#, #"{"delete":{"table":{"family":"inet","name":"\#(table)"}}}"#]
    }

    private func rule(_ expressions: [String]) -> String {
        #"{"add":{"rule":{"family":"inet","table":"\#(table)","chain":"input","expr":[\#(expressions.joined(separator: ","))]}}}"#
    }
}
