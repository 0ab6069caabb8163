import Webmail

/// A webmail form body (or query string) through `FormFields` with small limits, then the list query and the
/// address parser on its values. Checks: no field is longer than its limit and no more fields than allowed
/// come out; a value escaped and parsed again is the same value.
enum WebmailFormTarget {
    static func run(_ data: [UInt8]) {
        let limits = FormFields.Limits(maximumFields: 16, maximumNameBytes: 16, maximumValueBytes: 64, longFields: ["text"], maximumLongValueBytes: 512)
        guard let form = try? FormFields.parse(data, limits: limits) else { return }
        invariant(form.pairs.count <= 16, "more fields than the limit")
        for (name, value) in form.pairs {
            invariant(name.utf8.count <= 16, "a name over the limit")
            invariant(value.utf8.count <= (name == "text" ? 512 : 64), "a value over the limit")
            let again = try? FormFields.parse(Array("v=\(FormFields.escape(value))".utf8), limits: FormFields.Limits(maximumValueBytes: 1024))
            invariant(again?["v"] == value, "escape does not round-trip")
            _ = try? MessageComposer.addresses(value)
        }
        _ = MessageListQuery(form)
    }
}
