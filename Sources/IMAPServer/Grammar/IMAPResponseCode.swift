import MIME
/// A response code in brackets (RFC 3501 §7.1, RFC 4315 UIDPLUS, RFC 5530, RFC 7162, RFC 6851, RFC 7889).
public enum IMAPResponseCode: Hashable, Sendable {
    case alert
    case badCharset([String])
    case capability([String])
    case parse
    case permanentFlags([IMAPFlag], allowsNewKeywords: Bool)
    case readOnly
    case readWrite
    case tryCreate
    case uidNext(UInt32)
    case uidValidity(UInt32)
    case unseen(UInt32)
    /// APPENDUID uidvalidity uid-set (RFC 4315).
    case appendUID(uidValidity: UInt32, uids: IMAPSequenceSet)
    /// COPYUID uidvalidity source-uids destination-uids (RFC 4315).
    case copyUID(uidValidity: UInt32, source: IMAPSequenceSet, destination: IMAPSequenceSet)
    case uidNotSticky
    case highestModSeq(UInt64)
    case noModSeq
    case modified(IMAPSequenceSet)
    case closed
    case appendLimit(UInt64)
    // RFC 5530.
    case tooBig, nonexistent, alreadyExists, unavailable, authenticationFailed, authorizationFailed
    case expired, privacyRequired, contactAdmin, noPerm, inUse, expungeIssued, corruption, serverBug
    case clientBug, cannot, limit, overQuota
    /// Any other code: its atom and optional text.
    case other(String, String?)

    /// The text inside the brackets: `UIDVALIDITY 3857529045`, `PERMANENTFLAGS (\Seen \*)`.
    public var rendered: String {
        switch self {
        case .alert: "ALERT"
        case let .badCharset(names): names.isEmpty ? "BADCHARSET" : "BADCHARSET (" + names.map(IMAPString.renderAString).joined(separator: " ") + ")"
        case let .capability(names): (["CAPABILITY"] + names).joined(separator: " ")
        case .parse: "PARSE"
        case let .permanentFlags(flags, allowsNew): "PERMANENTFLAGS " + IMAPFlag.renderList(flags, allowsNewKeywords: allowsNew)
        case .readOnly: "READ-ONLY"
        case .readWrite: "READ-WRITE"
        case .tryCreate: "TRYCREATE"
        case let .uidNext(n): "UIDNEXT \(n)"
        case let .uidValidity(n): "UIDVALIDITY \(n)"
        case let .unseen(n): "UNSEEN \(n)"
        case let .appendUID(validity, uids): "APPENDUID \(validity) \(uids)"
        case let .copyUID(validity, source, destination): "COPYUID \(validity) \(source) \(destination)"
        case .uidNotSticky: "UIDNOTSTICKY"
        case let .highestModSeq(n): "HIGHESTMODSEQ \(n)"
        case .noModSeq: "NOMODSEQ"
        case let .modified(set): "MODIFIED \(set)"
        case .closed: "CLOSED"
        case let .appendLimit(n): "APPENDLIMIT \(n)"
        case .tooBig: "TOOBIG"
        case .nonexistent: "NONEXISTENT"
        case .alreadyExists: "ALREADYEXISTS"
        case .unavailable: "UNAVAILABLE"
        case .authenticationFailed: "AUTHENTICATIONFAILED"
        case .authorizationFailed: "AUTHORIZATIONFAILED"
        case .expired: "EXPIRED"
        case .privacyRequired: "PRIVACYREQUIRED"
        case .contactAdmin: "CONTACTADMIN"
        case .noPerm: "NOPERM"
        case .inUse: "INUSE"
        case .expungeIssued: "EXPUNGEISSUED"
        case .corruption: "CORRUPTION"
        case .serverBug: "SERVERBUG"
        case .clientBug: "CLIENTBUG"
        case .cannot: "CANNOT"
        case .limit: "LIMIT"
        case .overQuota: "OVERQUOTA"
        case let .other(atom, text): text.map { "\(atom) \($0)" } ?? atom
        }
    }
}
