#if canImport(Glibc)
import Glibc
#endif

/// One fuzz target: a parser of network (or configuration) input and the code right behind it.
enum FuzzTarget: String, CaseIterable, Sendable {
    case crlfDecoder = "crlf-decoder"
    case smtpSession = "smtp-session"
    case proxyProtocol = "proxy-protocol"
    case httpRequest = "http-request"
    case httpHost = "http-host"
    case adminJSON = "admin-json"
    case ipvsRules = "ipvs-rules"
    case directorYAML = "director-yaml"
    case mailNodeYAML = "mail-node-yaml"
    case icp = "icp"
    case pop3Command = "pop3-command"
    case imapCommand = "imap-command"
    case mime = "mime"
    case webRequest = "web-request"
    case htmlSanitizer = "html-sanitizer"
    case webmailForm = "webmail-form"
    case cacheHeaders = "cache-headers"
    case ipvsNetlink = "ipvs-netlink"
    case httpServer = "http-server"
    case vrrp = "vrrp"
    case ipvsSync = "ipvs-sync"
    case webmailMultipart = "webmail-multipart"
    case adminAnswer = "admin-answer"
    case smtpDataSpans = "smtp-data-spans"
    case httpHeadParser = "http-head-parser"

    /// The target named by the environment variable `SHOAL_FUZZ_TARGET`; exits with the list when unset or unknown.
    static let selected: FuzzTarget = {
        let name = getenv("SHOAL_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: " ")
            printError("set SHOAL_FUZZ_TARGET to one of: \(names)")
            exit(2)
        }
        return target
    }()

    /// Feeds one input to the target's code; a trap, sanitizer report or failed invariant is a crash.
    func run(_ bytes: [UInt8]) {
        switch self {
        case .crlfDecoder: CRLFDecoderTarget.run(bytes)
        case .smtpSession: SMTPSessionTarget.run(bytes)
        case .proxyProtocol: ProxyProtocolTarget.run(bytes)
        case .httpRequest: HTTPRequestTarget.run(bytes)
        case .httpHost: HTTPHostTarget.run(bytes)
        case .adminJSON: AdminJSONTarget.run(bytes)
        case .ipvsRules: IPVSRulesTarget.run(bytes)
        case .directorYAML: DirectorYAMLTarget.run(bytes)
        case .mailNodeYAML: MailNodeYAMLTarget.run(bytes)
        case .icp: ICPTarget.run(bytes)
        case .pop3Command: POP3CommandTarget.run(bytes)
        case .imapCommand: IMAPCommandTarget.run(bytes)
        case .mime: MIMETarget.run(bytes)
        case .webRequest: WebRequestTarget.run(bytes)
        case .htmlSanitizer: HTMLSanitizerTarget.run(bytes)
        case .webmailForm: WebmailFormTarget.run(bytes)
        case .cacheHeaders: CacheHeadersTarget.run(bytes)
        case .ipvsNetlink: IPVSNetlinkTarget.run(bytes)
        case .httpServer: HTTPServerTarget.run(bytes)
        case .vrrp: VRRPTarget.run(bytes)
        case .ipvsSync: IPVSSyncTarget.run(bytes)
        case .webmailMultipart: WebmailMultipartTarget.run(bytes)
        case .adminAnswer: AdminAnswerTarget.run(bytes)
        case .smtpDataSpans: SMTPDataSpanTarget.run(bytes)
        case .httpHeadParser: HTTPHeadParserTarget.run(bytes)
        }
    }
}

/// Stops the process with a message when an invariant of the code under test does not hold (a finding).
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        printError("invariant failed: \(message())")
        abort()
    }
}

/// Writes a line to standard error, unbuffered (the process may abort right after).
func printError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
