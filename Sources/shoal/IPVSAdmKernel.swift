import Director
import DirectorIPVS
import Foundation
import ShoalCore

/// `shoal ipvsadm` with neither `--rules` nor `--director`: ipvsadm's options against the running kernel's
/// IPVS over generic netlink, with ipvsadm's output (names without `-n`: `IPVSAdmNames`), error texts and exit codes (0; 1 for listing a missing
/// service; 2 for a bad command line; 255 when the kernel refuses).
enum IPVSAdmKernel {
    /// Runs one ipvsadm command line and returns the exit status.
    static func run(_ arguments: [String]) async -> Int32 {
        let command: IPVSCommand
        do throws(ConfigError) {
            command = arguments.isEmpty ? .list(ListOptions()) : try IPVSRuleParser.parse(arguments)
        } catch {
            return parseFailure(error)
        }
        let kernel = IPVSKernel(threads: 1)
        let status = await execute(command, kernel: kernel)
        await kernel.shutdown()
        return status
    }

    static func execute(_ command: IPVSCommand, kernel: IPVSKernel) async -> Int32 {
        do {
            switch command {
            case let .list(options):
                return try await list(options, kernel: kernel)
            case let .save(numeric):
                let snapshot = try await kernel.snapshot()
                var names: ListingNames?
                if !numeric { names = await IPVSAdmNames.lookUp(snapshot.table) }
                write(IPVSListing.save(snapshot.table, numeric: numeric, names: names))
            case .restore:
                let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                return await restore(input, kernel: kernel)
            default:
                try await kernel.apply([command])
            }
            return 0
        } catch let error as IPVSBatchError {
            return kernelFailure(error.error)
        } catch let error as IPVSKernelError {
            return kernelFailure(error)
        } catch {
            writeError("\(error)")
            return 1
        }
    }

    /// `-L`/`-l` with its options.
    static func list(_ options: ListOptions, kernel: IPVSKernel) async throws -> Int32 {
        if options.connections {
            guard let text = try? String(contentsOfFile: IPVSConnectionProc.path, encoding: .utf8) else {
                writeError("Can't open \(IPVSConnectionProc.path)")
                return 1
            }
            var names: ListingNames?
            if !options.numeric { names = await IPVSAdmNames.lookUp(IPVSConnectionProc.wanted(text)) }
            write(IPVSConnectionProc.listing(text, persistentEngine: options.persistentConnections, names: names))
            return 0
        }
        if options.timeout {
            let t = try await kernel.withSocket { session throws(IPVSKernelError) in try session.timeouts() }
            write("Timeout (tcp tcpfin udp): \(t.tcp) \(t.tcpFin) \(t.udp)\n")
            return 0
        }
        if options.daemon {
            let daemons = try await kernel.withSocket { session throws(IPVSKernelError) in try session.daemons() }
            write(IPVSSyncDaemon.listing(daemons))
            return 0
        }
        let snapshot = try await kernel.snapshot()
        var names: ListingNames?
        if !options.numeric { names = await IPVSAdmNames.lookUp(snapshot.table) }
        do throws(ConfigError) {
            var text = try IPVSListing.list(snapshot.table, options, names: names)
            if text.hasPrefix(IPVSListing.versionLine + "\n") {
                text = snapshot.versionLine + text.dropFirst(IPVSListing.versionLine.count)
            }
            write(text)
            return 0
        } catch {
            writeError(error.message)
            return 1
        }
    }

    /// `-R`: each line run as its own command, as ipvsadm does: a refused line prints its error and the rest
    /// still run (status 0); a line that does not parse ends the restore there (status 2).
    static func restore(_ input: String, kernel: IPVSKernel) async -> Int32 {
        for (_, tokens) in RuleTokenizer.lines(input) {
            let command: IPVSCommand
            do throws(ConfigError) {
                command = try IPVSRuleParser.parse(tokens)
            } catch {
                let status = parseFailure(error)
                if status == 255 { continue }
                return status
            }
            if command == .restore { continue }
            _ = await execute(command, kernel: kernel)
        }
        return 0
    }

    /// A command line ipvsadm refuses before asking the kernel: its message, status 2. An unknown scheduler
    /// or persistence engine is the kernel's refusal in ipvsadm (status 255).
    static func parseFailure(_ error: ConfigError) -> Int32 {
        if error.message.hasPrefix("Scheduler not found") || error.message == "Scheduler or persistence engine not found" {
            writeError("Scheduler or persistence engine not found")
            return 255
        }
        writeError(error.message)
        return 2
    }

    /// The kernel refused: ipvsadm's text; 1 when IPVS is not there at all (ipvsadm's "Can't initialize"), else 255.
    static func kernelFailure(_ error: IPVSKernelError) -> Int32 {
        if error.operation == .initialize {
            writeError("Can't initialize ipvs: \(error.ipvsadmMessage)\nAre you sure that IP Virtual Server is built in the kernel or as module?")
            return 1
        }
        writeError(error.ipvsadmMessage)
        return 255
    }

    static func write(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }
    static func writeError(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
}
