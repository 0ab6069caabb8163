// The connection table against the admin API, through DirectorRuntime (the path the proxy takes):
// the cost of one accept (schedule, then the entry removed again so the table keeps its size) with N
// connections open — alone, and with a `/metrics` snapshot taken (and held) every 100 accepts — and the latency of
// one admin change (a weight edit) with N connections open. Medians of 9 runs (fastest in brackets).
// Uses only API that predates issue 9, so the same source measures the code before and after it.
import Director
import DirectorAdmin
import DirectorNode
import DirectorProxy
import Logging
import ShoalCore

#if canImport(Glibc)
import Glibc
#endif

func nanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

let virtual = Endpoint("127.0.0.1:8080")!
let key = VirtualServiceKey.address(.tcp, virtual)
let servers = (2...11).map { Endpoint("127.0.0.\($0):80")! }

func request(_ n: Int) -> ConnectionRequest {
    ConnectionRequest(proto: .tcp, client: Endpoint(.v4(0x0A00_0000 &+ UInt32(n >> 16)), UInt16(truncatingIfNeeded: n)), virtual: virtual)
}

/// A runtime with one wlc service of 10 servers and `open` established connections.
func makeRuntime(open: Int) throws -> DirectorRuntime {
    let yaml = """
        services:
          - listen: 127.0.0.1:8080
            scheduler: wlc
            servers: [\(servers.map { "{address: \($0)}" }.joined(separator: ", "))]
        """
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let runtime = DirectorRuntime(logger: logger, wallClock: 0)
    _ = try runtime.load(DirectorConfiguration.parse(ConfigDocument.parse(yaml, file: "bench.yaml")))
    for n in 0..<open { _ = runtime.schedule(request(n), excluding: []) }
    return runtime
}

func summary(_ runs: [Double]) -> String {
    let sorted = runs.sorted()
    func text(_ v: Double) -> String { v >= 10_000 ? "\(Int((v / 1000).rounded())) µs" : "\(Int(v.rounded())) ns" }
    return "\(text(sorted[sorted.count / 2])) (\(text(sorted[0])))"
}

/// ns per accept; with `readEvery`, a snapshot (what `/metrics` reads) is taken that often.
func accepts(_ runtime: DirectorRuntime, open: Int, iterations: Int, readEvery: Int?) async -> Double {
    // The snapshot is held until the next one, as a scrape being rendered while accepts go on holds it.
    // (It is read before it is replaced, so the optimiser cannot end its life early.)
    var held: DirectorSnapshot?
    var sink = 0
    let start = nanoseconds()
    for k in 0..<iterations {
        if let lease = runtime.schedule(request(open + 1 + k % 60_000), excluding: []) { runtime.abandon(lease) }
        if let readEvery, k % readEvery == 0 {
            sink &+= held?.table.services.count ?? 0
            held = await runtime.snapshot()
        }
    }
    if sink < 0 { print(sink) }
    return Double(nanoseconds() - start) / Double(iterations)
}

/// ns for one admin weight edit.
func adminEdit(_ runtime: DirectorRuntime, weight: Int) async throws -> Double {
    let start = nanoseconds()
    try await runtime.apply([.editServer(key, RealServerConfig(endpoint: servers[0], forwarding: .masquerade, weight: weight))])
    return Double(nanoseconds() - start)
}

let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20_000 : 20_000
print("DirectorRuntime with N open connections: median of 9 runs (fastest run)")
print("| open connections | accept (no reads) | accept, /metrics snapshot every 100 | admin weight edit |")
print("|---:|---:|---:|---:|")
for open in [1_000, 10_000, 100_000] {
    let runtime = try makeRuntime(open: open)
    var plain: [Double] = [], reading: [Double] = [], edits: [Double] = []
    for run in 0..<9 {
        plain.append(await accepts(runtime, open: open, iterations: iterations, readEvery: nil))
        reading.append(await accepts(runtime, open: open, iterations: iterations, readEvery: 100))
        edits.append(try await adminEdit(runtime, weight: 2 + run % 2))
    }
    print("| \(open) | \(summary(plain)) | \(summary(reading)) | \(summary(edits)) |")
}
