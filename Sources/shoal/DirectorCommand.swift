import ArgumentParser
import DirectorIPVS
import DirectorNFT
import DirectorNode
import Logging
import NIOPosix
import ShoalCore
import ShoalServer

extension Shoal {
    /// `shoal director --config FILE` (or `--rules FILE`) `[--dataplane proxy|ipvs|nft]`: the director, forwarding in
    /// userspace, through the kernel's IPVS, or by nftables rules.
    struct DirectorCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "director",
            abstract: "Run the director: proxy every virtual service to its real servers, check their health, serve the admin API.",
            discussion: """
                The configuration is YAML (see the README), or an ipvsadm -S rules file with --rules.
                SIGHUP re-reads the file and applies only the difference; SIGTERM/SIGINT stop accepting,
                let established connections finish (director.drain_timeout, default 30 s), then exit.
                """
        )

        @Option(name: .long, help: "The director's configuration file (YAML).")
        var config: String?

        @Option(name: .long, help: "An ipvsadm -S rules file to proxy instead of a YAML configuration.")
        var rules: String?

        @Option(name: .long, help: "Who forwards: proxy (userspace, the default), ipvs (the kernel's IPVS over netlink) or nft (nftables rules: rr, wrr, sh; VS/NAT and VS/DR).")
        var dataplane: String = "proxy"

        @Option(name: .customLong("nft-device"), help: "With --dataplane nft: the device VS/DR packets arrive on and leave by (its netdev ingress hook).")
        var nftDevice: String?

        @Option(name: .customLong("nft-table"), help: "With --dataplane nft: the name of the director's nftables tables (inet and netdev).")
        var nftTable: String = "shoal"

        @Flag(name: .customLong("leave-kernel-rules"), help: "With --dataplane ipvs or nft: leave the kernel's services or tables in place when the director stops (by default they are removed).")
        var leaveKernelRules = false

        @Option(name: .customLong("kernel-state"), help: "With --dataplane ipvs: adopt (keep) or replace (remove) services already in the kernel that the configuration does not name.")
        var kernelState: String = "replace"

        @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
        var logLevel: String = "info"

        func validate() throws {
            guard (config == nil) != (rules == nil) else { throw ValidationError("give exactly one of --config and --rules") }
            guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level '\(logLevel)'") }
            guard ["proxy", "ipvs", "nft"].contains(dataplane) else { throw ValidationError("unknown dataplane '\(dataplane)' (proxy, ipvs or nft)") }
            guard IPVSDataplane.Existing(rawValue: kernelState) != nil else { throw ValidationError("unknown kernel state '\(kernelState)' (adopt or replace)") }
        }

        func run() async throws {
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "shoal.director")
            NodeRunner.prepareProcess()
            let config = self.config, rules = self.rules
            let load: @Sendable () throws -> DirectorConfiguration = {
                if let config { return try DirectorConfiguration.load(path: config) }
                return try DirectorConfiguration.load(rulesPath: rules!)
            }
            let plane: DirectorServer.Dataplane = switch dataplane {
            case "ipvs": .ipvs(IPVSDataplane.Existing(rawValue: kernelState) ?? .replace)
            case "nft": .nft(NFTRuleset.Options(table: nftTable, device: nftDevice, counters: true))
            default: .proxy
            }
            let server = DirectorServer(group: MultiThreadedEventLoopGroup.singleton, logger: logger, dataplane: plane,
                                        leaveKernelRules: leaveKernelRules, load: load)
            do {
                try await server.start()
            } catch {
                await server.shutdown()
                try exitWithError(error)
            }
            try await NodeRunner.run([server], reload: { await server.reload() }, logger: logger)
        }
    }
}
