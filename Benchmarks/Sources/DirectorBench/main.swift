// Scheduling decision cost: Shoal's schedulers against the kernel's literal list scans.
//
// One decision = schedule a new connection, bind it to the chosen server (the load counters and,
// for lc/wlc/sed/nq, the selection tree follow), and unbind the oldest of the live connections so
// that the load stays steady. Each figure is the median of 9 runs of a timed loop, with the fastest
// run in brackets (the machines are shared and noisy; the minimum is the least disturbed run).
@testable import Director
import ShoalCore

#if canImport(Glibc)
import Glibc
#endif

func nanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// A service with `n` servers of weights 1...100 (deterministic), preloaded with 4 live connections per server.
func makeService(_ scheduler: any Scheduler, name: SchedulerName, servers n: Int) -> (VirtualService, [Int]) {
    var service = VirtualService(uid: 1, config: VirtualServiceConfig(key: .address(.tcp, Endpoint("10.0.0.1:80")!), scheduler: name), randomSeed: 1)
    service.scheduler = scheduler
    var rng = SplitMix64(seed: 7)
    for i in 0..<n {
        let address = IPAddress.v4(0xC0A8_0000 &+ UInt32(i + 1))
        let config = RealServerConfig(endpoint: Endpoint(address, 80), forwarding: .masquerade, weight: Int(rng.next() % 100) + 1)
        service.servers.append(RealServer(id: ServerID(UInt32(i + 1)), config: config))
    }
    service.servers.reverse()  // kernel list order: the newest first
    service.rebuildIndex()
    service.scheduler.reset(servers: service.servers)
    var live: [Int] = []
    let request = SchedulingRequest(client: Endpoint("172.16.0.1:1000")!, destination: Endpoint("10.0.0.1:80")!)
    for _ in 0..<(4 * n) {
        guard let i = service.schedule(request) else { break }
        service.changeLoad(at: i) { $0.bind(.active) }
        live.append(i)
    }
    return (service, live)
}

/// Median and minimum ns per decision over `runs` timed loops.
func measure(_ scheduler: @autoclosure () -> any Scheduler, name: SchedulerName, servers n: Int, iterations: Int, runs: Int = 9) -> (median: Double, min: Double) {
    var results: [Double] = []
    for _ in 0..<runs {
        let made = makeService(scheduler(), name: name, servers: n)
        var service = made.0
        // The live connections, oldest first, in a ring the harness owns outright (no copy-on-write).
        let live = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(1, made.1.count))
        defer { live.deallocate() }
        _ = live.initialize(from: made.1)
        let liveCount = made.1.count
        var head = 0
        var clientIP: UInt32 = 0xAC10_0000
        let start = nanoseconds()
        for k in 0..<iterations {
            clientIP &+= 2_654_435_761
            let request = SchedulingRequest(client: Endpoint(.v4(clientIP), UInt16(truncatingIfNeeded: k)), destination: Endpoint(.v4(0x0A00_0001), 80))
            guard let chosen = service.schedule(request) else { continue }
            service.changeLoad(at: chosen) { $0.bind(.active) }
            if liveCount > 0 {
                let old = live[head]
                service.changeLoad(at: old) { $0.unbind(.active) }
                live[head] = chosen
                head += 1
                if head == liveCount { head = 0 }
            }
        }
        let elapsed = nanoseconds() - start
        results.append(Double(elapsed) / Double(iterations))
    }
    results.sort()
    return (results[runs / 2], results[0])
}

func cell(_ m: (median: Double, min: Double)) -> String {
    "\(Int(m.median.rounded())) (\(Int(m.min.rounded())))"
}

/// `--servers N` and `--scheduler NAME` narrow the table (e.g. one cell under callgrind, which counts instructions
/// repeatably on a shared machine where wall-clock nanoseconds are noise).
func option(_ name: String) -> String? {
    guard let i = CommandLine.arguments.firstIndex(of: name), i + 1 < CommandLine.arguments.count else { return nil }
    return CommandLine.arguments[i + 1]
}
let sizes = option("--servers").flatMap(Int.init).map { [$0] } ?? [10, 100, 1_000, 10_000]
let schedulers: [SchedulerName] = option("--scheduler").flatMap(SchedulerName.init(rawValue:)).map { [$0] } ?? [.rr, .wrr, .lc, .wlc, .sed, .nq, .mh]
let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200_000 : 200_000

print("ns per decision (schedule + bind + unbind one): median of 9 runs of \(iterations) decisions (fastest run)")
print("| scheduler | implementation | " + sizes.map { "\($0) servers" }.joined(separator: " | ") + " |")
print("|---|---|" + sizes.map { _ in "---:|" }.joined())
for name in schedulers {
    let shoal = sizes.map { measure(makeScheduler(name), name: name, servers: $0, iterations: iterations) }
    print("| \(name.rawValue) | Shoal | " + shoal.map { cell($0) }.joined(separator: " | ") + " |")
    if [.lc, .wlc, .sed, .nq].contains(name) && !CommandLine.arguments.contains("--shoal-only") {
        let kernel = sizes.map { n in measure(KernelScanScheduler(name), name: name, servers: n, iterations: max(2_000, iterations / max(1, n / 10))) }
        print("| \(name.rawValue) | kernel scan | " + kernel.map { cell($0) }.joined(separator: " | ") + " |")
    }
}
