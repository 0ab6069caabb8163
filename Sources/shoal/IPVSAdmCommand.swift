import ArgumentParser
import Director
import Foundation
import ShoalCore

extension Shoal {
    /// `shoal ipvsadm --rules FILE [ipvsadm arguments]`: ipvsadm's language against a rules file.
    struct IPVSAdm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ipvsadm",
            abstract: "Apply ipvsadm commands to a rules file in -S format (created if missing).",
            discussion: """
                Examples:
                  shoal ipvsadm --rules lvs.rules -A -t 10.0.0.1:80 -s wrr
                  shoal ipvsadm --rules lvs.rules -a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 3
                  shoal ipvsadm --rules lvs.rules -L -n
                  shoal ipvsadm --rules lvs.rules -R < saved.rules
                -R reads rules from standard input and applies them all or none.
                """
        )

        @Option(name: .long, help: "The rules file (ipvsadm -S format).")
        var rules: String

        @Argument(parsing: .allUnrecognized, help: "ipvsadm arguments, e.g. -A -t 10.0.0.1:80 -s rr")
        var arguments: [String] = []

        func run() async throws {
            let file = RulesFile(path: rules)
            do {
                // Like ipvsadm, no arguments at all lists the table.
                let command = arguments.isEmpty ? IPVSCommand.list(ListOptions()) : try IPVSRuleParser.parse(arguments)
                var table = try file.load(allowMissing: true)
                switch command {
                case .restore:
                    let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                    let batch = try IPVSRuleParser.parseRules(input, file: "<stdin>")
                    try table.apply(batch: batch, file: "<stdin>")
                    try file.save(table)
                case .list, .save:
                    if let text = try IPVSListing.render(command, table: table) {
                        FileHandle.standardOutput.write(Data(text.utf8))
                    }
                    if !FileManager.default.fileExists(atPath: rules) { try file.save(table) }
                default:
                    try table.apply(command)
                    try file.save(table)
                }
            } catch {
                try exitWithError(error)
            }
        }
    }
}
