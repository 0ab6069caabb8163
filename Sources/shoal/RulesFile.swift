import ArgumentParser
import Director
import Foundation
import ShoalCore

/// A director table kept in a file in ipvsadm's `-S` rule format.
struct RulesFile {
    let path: String

    /// Reads and applies the file, all or nothing; a missing file is an empty table when `allowMissing`.
    func load(allowMissing: Bool) throws -> DirectorTable {
        var table = DirectorTable()
        guard FileManager.default.fileExists(atPath: path) else {
            if allowMissing { return table }
            throw ConfigError(file: path, "no such rules file")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, "cannot read: \(error.localizedDescription)")
        }
        let batch = try IPVSRuleParser.parseRules(text, file: path)
        try table.apply(batch: batch, file: path)
        return table
    }

    /// Writes the table back atomically (a temporary file renamed over the old one).
    func save(_ table: DirectorTable) throws {
        let text = IPVSListing.rulesFile(table)
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, "cannot write: \(error.localizedDescription)")
        }
    }
}

/// Prints an error the way the tools do (`shoal: message`) and exits with ipvsadm's failure status, 2.
func exitWithError(_ error: any Error) throws -> Never {
    FileHandle.standardError.write(Data("shoal: \(error)\n".utf8))
    throw ExitCode(2)
}
