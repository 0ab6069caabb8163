public import ShoalCore

/// Parses ipvsadm 1.31 arguments into an `IPVSCommand`, reproducing ipvsadm's popt option handling,
/// `parse_options`, `process_options`, its `commands_v_options` table and its error texts.
///
/// What it reproduces:
/// - popt option forms: `-A`, clustered flags `-Lnc`, attached short arguments `-w5` / `-w=5`, long options
///   with a separate or `=` argument (`--weight 3`, `--weight=3`), `--` ending the options, lone `-` as an
///   argument, and `-p`'s optional argument (taken only when the next word does not start with `-`).
/// - The command must be the first option (ipvsadm otherwise prints its try-help line).
/// - Options are processed in order with ipvsadm's state, so order-dependent quirks match: `-M` is read as an
///   IPv4 netmask unless the service seen so far is IPv6; an IPv6 service (`-t [::1]:80`) or `-6` resets the
///   netmask to 128; `-r ADDR` without a port takes the service port known at that point.
/// - After the options: `--set`'s three values, "unexpected argument", `-b` flags (checked against the final
///   scheduler, default wlc), `generic_opt_check`, the add/edit-service checks, the real-server checks
///   (port forcing for -g/-i, address family, tunnel options, `tunnel_opt_check`) and the list conflicts.
/// - The kernel's answers that a pure parser can give: an unknown scheduler ("Scheduler not found: NAME")
///   and an unknown persistence engine (only `sip` exists).
///
/// What it does not reproduce (no I/O in this layer): host names and service names (`www:http`) are not
/// resolved, so only numeric addresses (inet_aton forms for IPv4, inet_pton for IPv6) and numeric ports are
/// accepted; `-h`/`-v` and an empty argument list are errors rather than help text or a listing.
public enum IPVSRuleParser {
    /// Parses ipvsadm arguments (without the program name) into a command.
    public static func parse(_ arguments: [String]) throws(ConfigError) -> IPVSCommand {
        var entry = CommandEntry()
        try entry.readOptions(arguments)
        return try entry.finish()
    }

    /// Parses a whole `-S`/`-R` rules text: one command per line; returns (lineNumber, command) pairs.
    /// Any bad line throws a ConfigError whose `line` is that 1-based line number (and `file` = the given name).
    /// Lines are split by `RuleTokenizer`; `-R` and commands that do not change the table are refused.
    public static func parseRules(_ text: String, file: String? = nil) throws(ConfigError) -> [(line: Int, command: IPVSCommand)] {
        var result: [(line: Int, command: IPVSCommand)] = []
        for (line, tokens) in RuleTokenizer.lines(text) {
            let command: IPVSCommand
            do throws(ConfigError) {
                command = try parse(tokens)
            } catch {
                throw error.located(file: file, line: line)
            }
            if !command.isMutation {
                let name = commandSwitch(command)
                let message = command == .restore
                    ? "-R is not allowed inside a rules file"
                    : "\(name) is not allowed inside a rules file (only commands that change the table are)"
                throw ConfigError(file: file, line: line, field: name, message)
            }
            result.append((line, command))
        }
        return result
    }

    /// The canonical switch of a command, for messages.
    static func commandSwitch(_ command: IPVSCommand) -> String {
        switch command {
        case .addService: return "-A"
        case .editService: return "-E"
        case .deleteService: return "-D"
        case .flush: return "-C"
        case .zero: return "-Z"
        case .addServer: return "-a"
        case .editServer: return "-e"
        case .deleteServer: return "-d"
        case .setTimeouts: return "--set"
        case .list: return "-L"
        case .save: return "-S"
        case .restore: return "-R"
        case let .syncDaemon(start, _, _): return start ? "--start-daemon" : "--stop-daemon"
        }
    }
}
