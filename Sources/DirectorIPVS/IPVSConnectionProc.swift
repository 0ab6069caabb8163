public import Director
public import ShoalCore

/// The kernel's connection table as `/proc/net/ip_vs_conn` shows it, printed as `ipvsadm -L -n -c` does
/// (list_conn / print_conn of ipvsadm 1.31).
public enum IPVSConnectionProc {
    /// Where the kernel publishes the table.
    public static let path = "/proc/net/ip_vs_conn"

    /// `ipvsadm -L -n -c [--persistent-conn]` from the file's text (its header line is skipped; lines that do
    /// not parse are left out, never trapped on); without `-n`, `ipvsadm -L -c` with the names `names` has.
    public static func listing(_ procText: String, persistentEngine: Bool = false, names: ListingNames? = nil) -> String {
        var out = "IPVS connection entries\n"
        if persistentEngine {
            out += "pro expire \(pad("state", 11)) \(pad("source", 18)) \(pad("virtual", 18)) \(pad("destination", 18)) \(pad("pe name", 16)) pe_data\n"
        } else {
            out += "pro expire \(pad("state", 11)) \(pad("source", 18)) \(pad("virtual", 18)) destination\n"
        }
        for line in procText.split(separator: "\n", omittingEmptySubsequences: true).dropFirst() {
            guard var entry = Entry(line) else { continue }
            if let names { entry.name(with: names) }
            let expire = twoDigits(entry.expires / 60) + ":" + twoDigits(entry.expires % 60)
            if persistentEngine {
                out += "\(pad(entry.proto, 3)) \(pad(expire, 6)) \(pad(entry.state, 11)) \(pad(entry.client, 18)) \(pad(entry.virtual, 18)) \(pad(entry.destination, 18)) \(pad(entry.engine, 16)) \(entry.engineData)\n"
            } else {
                out += "\(pad(entry.proto, 3)) \(pad(expire, 6)) \(pad(entry.state, 11)) \(pad(entry.client, 18)) \(pad(entry.virtual, 18)) \(entry.destination)\n"
            }
        }
        return out
    }

    /// What a listing without `-n` needs looked up: every address, and every port with its entry's protocol.
    public static func wanted(_ procText: String) -> (addresses: Set<IPAddress>, ports: Set<ListingNames.Port>) {
        var addresses = Set<IPAddress>(), ports = Set<ListingNames.Port>()
        for line in procText.split(separator: "\n", omittingEmptySubsequences: true).dropFirst() {
            guard let entry = Entry(line) else { continue }
            for endpoint in entry.endpoints {
                addresses.insert(endpoint.address)
                ports.insert(ListingNames.Port(endpoint.port, entry.transport))
            }
        }
        return (addresses, ports)
    }

    /// One line of the file: `TCP 0A000001 0050 0A000002 0050 C0A80102 0050 ESTABLISHED     899 [pe data]`
    /// (IPv6 addresses written out with colons).
    struct Entry {
        var proto: String
        var client: String
        var virtual: String
        var destination: String
        var state: String
        var expires: Int
        var engine = ""
        var engineData = ""
        var endpoints: [Endpoint] = []

        /// The protocol print_conn looks names up with: TCP, UDP, SCTP, or none (0) for anything else.
        var transport: TransportProtocol {
            switch proto {
            case "TCP": return .tcp
            case "UDP": return .udp
            case "SCTP": return .sctp
            default: return .ip
            }
        }

        /// The client, virtual and destination columns as names (addrport_to_anyname without FMT_NUMERIC).
        mutating func name(with names: ListingNames) {
            guard endpoints.count == 3 else { return }
            client = names.text(endpoints[0], transport)
            virtual = names.text(endpoints[1], transport)
            destination = names.text(endpoints[2], transport)
        }

        init?(_ line: Substring) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 9 else { return nil }
            proto = String(fields[0])
            func endpoint(_ address: Substring, _ port: Substring) -> Endpoint? {
                guard let portValue = UInt16(port, radix: 16) else { return nil }
                if address.contains(":") {
                    guard let ip = IPAddress(address) else { return nil }
                    return Endpoint(ip, portValue)
                }
                guard let value = UInt32(address, radix: 16) else { return nil }
                return Endpoint(.v4(value), portValue)
            }
            guard let c = endpoint(fields[1], fields[2]), let v = endpoint(fields[3], fields[4]), let d = endpoint(fields[5], fields[6]),
                  let expires = Int(fields[8]), expires >= 0 else { return nil }
            endpoints = [c, v, d]
            client = c.description
            virtual = v.description
            destination = d.description
            state = String(fields[7])
            self.expires = expires
            if fields.count > 9 { engine = String(fields[9]) }
            if fields.count > 10 { engineData = String(fields[10]) }
        }
    }

    static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
    static func twoDigits(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
}
