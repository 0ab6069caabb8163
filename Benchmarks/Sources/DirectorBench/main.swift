// Scheduling decision cost: Shoal's schedulers against the kernel's literal list scans.
//
// One decision = schedule a new connection, bind it to the chosen server (the load counters and,
// for lc/wlc/sed/nq, the selection tree follow), and unbind the oldest of the live connections so
// that the load stays steady. Each figure is the median of 5 runs of a timed loop.
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
        service.servers.insert(RealServer(id: ServerID(UInt32(i + 1)), config: config), at: 0)
    }
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

func measure(_ scheduler: @autoclosure () -> any Scheduler, name: SchedulerName, servers n: Int, iterations: Int) -> Double {
    var results: [Double] = []
    for _ in 0..<5 {
        var (service, live) = makeService(scheduler(), name: name, servers: n)
        var head = 0
        var clientIP: UInt32 = 0xAC10_0000
        let start = nanoseconds()
        for k in 0..<iterations {
            clientIP &+= 2_654_435_761
            let request = SchedulingRequest(client: Endpoint(.v4(clientIP), UInt16(truncatingIfNeeded: k)), destination: Endpoint(.v4(0x0A00_0001), 80))
            guard let chosen = service.schedule(request) else { continue }
            service.changeLoad(at: chosen) { $0.bind(.active) }
            if live.isEmpty {
                live.append(chosen)
            } else {
                let old = live[head]
                service.changeLoad(at: old) { $0.unbind(.active) }
                live[head] = chosen
                head = (head + 1) % live.count
            }
        }
        let elapsed = nanoseconds() - start
        results.append(Double(elapsed) / Double(iterations))
    }
    results.sort()
    return results[2]
}

let sizes = [10, 100, 1_000, 10_000]
let schedulers: [SchedulerName] = [.rr, .wrr, .lc, .wlc, .sed, .nq, .mh]
let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200_000 : 200_000

func format(_ v: Double) -> String {
    let text = v < 10 ? String(Int((v * 10).rounded())) : String(Int(v.rounded()))
    let withDot = v < 10 ? String(text.dropLast()) + "." + String(text.last!) : text
    return String(repeating: " ", count: max(0, 9 - withDot.count)) + withDot
}

print("ns per decision (schedule + bind + unbind one), median of 5 runs of \(iterations) decisions")
print("| scheduler | implementation | " + sizes.map { "\($0) servers" }.joined(separator: " | ") + " |")
print("|---|---|" + sizes.map { _ in "---:|" }.joined())
for name in schedulers {
    let shoal = sizes.map { measure(makeScheduler(name), name: name, servers: $0, iterations: name == .mh ? iterations : iterations) }
    print("| \(name.rawValue) | Shoal | " + shoal.map { format($0) }.joined(separator: " | ") + " |")
    if [.lc, .wlc, .sed, .nq].contains(name) {
        let kernel = sizes.map { n in measure(KernelScanScheduler(name), name: name, servers: n, iterations: max(2_000, iterations / max(1, n / 10))) }
        print("| \(name.rawValue) | kernel scan | " + kernel.map { format($0) }.joined(separator: " | ") + " |")
    }
}
