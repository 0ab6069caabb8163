import ArgumentParser
import Director
import Foundation
import ShoalCore

extension Shoal {
    /// `shoal ipvsadm [ipvsadm arguments]`: the running kernel's IPVS, as ipvsadm drives it;
    /// `shoal ipvsadm --rules FILE [ipvsadm arguments]`: ipvsadm's language against a rules file;
    /// `shoal ipvsadm --director URL [--token-file FILE] [ipvsadm arguments]`: against a running director.
    struct IPVSAdm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ipvsadm",
            abstract: "Apply ipvsadm commands to the kernel's IPVS, to a rules file in -S format (created if missing) or to a running director.",
            discussion: """
                Without --rules or --director the commands go to the running kernel over generic netlink, with
                ipvsadm's output, messages and exit codes (a drop-in for ipvsadm in scripts).
                Examples:
                  shoal ipvsadm -A -t 10.0.0.1:80 -s rr
                  shoal ipvsadm -L -n
                  shoal ipvsadm --rules lvs.rules -A -t 10.0.0.1:80 -s wrr
                  shoal ipvsadm --rules lvs.rules -a -t 10.0.0.1:80 -r 192.168.1.2:80 -m -w 3
                  shoal ipvsadm --rules lvs.rules -L -n
                  shoal ipvsadm --rules lvs.rules -R < saved.rules
                  shoal ipvsadm --director http://127.0.0.1:9180 --token-file admin.token -L -n -c
                -R reads rules from standard input and applies them all or none (rules files only).
                With --director the arguments go to the director's admin API (POST /api/ipvsadm).
                """
        )

        @Option(name: .long, help: "The rules file (ipvsadm -S format).")
        var rules: String?

        @Option(name: .long, help: "The admin URL of a running director, e.g. http://127.0.0.1:9180.")
        var director: String?

        @Option(name: .customLong("token-file"), help: "A file holding the director's admin bearer token.")
        var tokenFile: String?

        @Argument(parsing: .allUnrecognized, help: "ipvsadm arguments, e.g. -A -t 10.0.0.1:80 -s rr")
        var arguments: [String] = []

        func validate() throws {
            guard rules == nil || director == nil else {
                throw ValidationError("give at most one of --rules FILE or --director URL")
            }
            if tokenFile != nil && director == nil { throw ValidationError("--token-file goes with --director") }
        }

        func run() async throws {
            if let director {
                do {
                    let client = try DirectorAdminClient(baseURL: director, tokenFile: tokenFile)
                    let text = try await client.ipvsadm(arguments)
                    FileHandle.standardOutput.write(Data(text.utf8))
                } catch {
                    try exitWithError(error)
                }
                return
            }
            guard let rules else {
                let status = await IPVSAdmKernel.run(arguments)
                if status != 0 { throw ExitCode(status) }
                return
            }
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
