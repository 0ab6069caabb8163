import ArgumentParser
import Director
import Foundation
import ShoalCore

extension Shoal {
    /// `shoal simulate --rules FILE --trace FILE`: replays a connection trace through the schedulers.
    struct Simulate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay a connection trace through the director's schedulers (capacity planning).",
            discussion: """
                Trace lines: start_seconds,client_ip:port,protocol,vip:port,duration_seconds
                (protocol tcp or udp; # comments and blank lines allowed; no header).
                Output: CLIENT -> RIP:RPORT (or -> DROP) per trace line in trace order, a blank line,
                then each real server with the number of connections it received, and DROP N if any.
                """
        )

        @Option(name: .long, help: "The rules file (ipvsadm -S format).")
        var rules: String

        @Option(name: .long, help: "The connection trace (CSV).")
        var trace: String

        func run() async throws {
            do {
                let table = try RulesFile(path: rules).load(allowMissing: false)
                guard let data = FileManager.default.contents(atPath: trace) else {
                    throw ConfigError(file: trace, "cannot read the trace file")
                }
                let entries = try TraceSimulator.parse(String(decoding: data, as: UTF8.self), file: trace)
                let result = TraceSimulator.run(table, trace: entries)
                FileHandle.standardOutput.write(Data(result.render().utf8))
            } catch {
                try exitWithError(error)
            }
        }
    }
}
