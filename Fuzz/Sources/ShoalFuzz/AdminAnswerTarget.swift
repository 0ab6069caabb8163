import Appliance
import Foundation

/// Answers of a director's admin API as `shoal up --wait`, `status` and `scale` read them: `AdminProbe.parse`
/// (status line, Content-Length, chunked or to the end), then the body through `JSONSerialization` and
/// `ApplianceStatus.DirectorView`. Check: the body is never longer than the answer it came from.
enum AdminAnswerTarget {
    static func run(_ data: [UInt8]) {
        guard let (status, body) = try? AdminProbe.parse(Data(data), what: "fuzz") else { return }
        invariant(body.count <= data.count, "a body of \(body.count) bytes from an answer of \(data.count)")
        guard let json = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else { return }
        let view = ApplianceStatus.DirectorView(json: json)
        for (_, servers) in view.servers {
            for (_, entry) in servers { _ = entry.state.count + entry.active }
        }
    }
}
