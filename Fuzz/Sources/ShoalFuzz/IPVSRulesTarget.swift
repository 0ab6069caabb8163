import Director

/// ipvsadm rule text (`-S` output, rules files, `-R` input): `RuleTokenizer` and `IPVSRuleParser.parseRules`,
/// then the table applies the batch, is listed (`-L -n`) and written as a rules file
/// (`IPVSListing.rulesFile`), which parses and applies back to a table writing the same text.
enum IPVSRulesTarget {
    static func run(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        guard let rules = try? IPVSRuleParser.parseRules(text, file: "fuzz.rules") else { return }
        var table = DirectorTable()
        guard (try? table.apply(batch: rules, file: "fuzz.rules")) != nil else { return }
        _ = try? IPVSListing.list(table, ListOptions())
        _ = IPVSListing.save(table)
        let saved = IPVSListing.rulesFile(table)
        let again: [(line: Int, command: IPVSCommand)]
        do {
            again = try IPVSRuleParser.parseRules(saved, file: "saved.rules")
        } catch {
            invariant(false, "the saved table does not parse back: \(error)\n\(saved)")
            return
        }
        var restored = DirectorTable()
        do {
            try restored.apply(batch: again, file: "saved.rules")
        } catch {
            invariant(false, "the saved table does not apply back: \(error)\n\(saved)")
        }
        let resaved = IPVSListing.rulesFile(restored)
        invariant(resaved == saved, "a restored table saves differently:\n\(saved)---\n\(resaved)")
    }
}
