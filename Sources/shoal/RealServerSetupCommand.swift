import ArgumentParser
import Director
import Foundation
import ShoalCore

extension Shoal {
    /// `shoal realserver-setup --method dr|tun VIP [--apply]`: a real server's setup for VS/DR or VS/TUN.
    struct RealServerSetupCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "realserver-setup",
            abstract: "Print (or apply) what a real server needs for direct routing (dr) or IP tunnelling (tun).",
            discussion: """
                dr: the VIP on lo, and ARP for it neither answered (arp_ignore=1) nor announced (arp_announce=2).
                tun: the ipip module, the VIP on tunl0, reverse-path filtering off for decapsulated packets.
                NAT needs no setup on the real server beyond the director as its default gateway.
                """
        )

        @Option(name: .long, help: "dr or tun.")
        var method: String

        @Argument(help: "The virtual IP address.")
        var vip: String

        @Flag(name: .long, help: "Run the commands (as root) instead of printing them.")
        var apply = false

        func validate() throws {
            guard ["dr", "tun"].contains(method) else { throw ValidationError("--method is dr or tun, not '\(method)'") }
            guard IPAddress(vip) != nil else { throw ValidationError("'\(vip)' is not an IPv4 or IPv6 address") }
        }

        func run() async throws {
            let commands = RealServerSetup.commands(method: method == "dr" ? .route : .tunnel, vip: IPAddress(vip)!)
            guard apply else {
                FileHandle.standardOutput.write(Data(commands.map { $0 + "\n" }.joined().utf8))
                return
            }
            for command in commands {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", command]
                do {
                    try process.run()
                    process.waitUntilExit()
                } catch {
                    try exitWithError(ConfigError(field: command, "cannot run: \(error)"))
                }
                guard process.terminationStatus == 0 else {
                    try exitWithError(ConfigError(field: command, "failed with status \(process.terminationStatus)"))
                }
            }
        }
    }
}
