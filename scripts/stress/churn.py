"""Scenario 2: connection churn through the director (L4 TCP) with a backend SIGKILLed and restarted,
then the director's memory per 10,000 closed proxied connections.

Invariants:
- the director stays up;
- no connection hangs (every request answers or fails within the client timeout);
- requests fail only around the kill (in-flight connections of the killed backend);
- after the backend comes back, the director sends it traffic again (health check);
- the director's connection table empties after the run (tcpfin timeout 1 s).
"""

import threading
import time

from common import (Admin, Result, director_yaml, echo_request, free_port, rss_kib,
                    start_backend, start_director, write_token)

DIRECTOR_HOST = "127.0.121.1"
VIP = "127.0.121.2"
BACKEND_HOSTS = ["127.0.122.1", "127.0.122.2", "127.0.122.3"]
CLIENT_TIMEOUT = 5.0
# A killed backend's in-flight connections fail; new ones must not fail after this long.
KILL_GRACE_SECONDS = 3.0


class Load:
    """Client threads making one short proxied connection after another; every outcome is recorded."""

    def __init__(self, port, threads):
        self.port = port
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.outcomes = []  # (start monotonic, seconds, backend name or None, error or None)
        self.threads = [threading.Thread(target=self.run, args=(i, None), daemon=True) for i in range(threads)]

    def run(self, index, count):
        done = 0
        mine = []
        while not self.stopping.is_set() and (count is None or done < count):
            started = time.monotonic()
            try:
                backend, error = echo_request(VIP, self.port, CLIENT_TIMEOUT), None
            except OSError as e:  # timeouts included
                backend, error = None, type(e).__name__
            mine.append((started, time.monotonic() - started, backend, error))
            done += 1
        with self.lock:
            self.outcomes.extend(mine)

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(CLIENT_TIMEOUT * 3)

    def run_count(self, total, threads):
        """Blocking: `total` connections spread over `threads` threads."""
        share = [total // threads + (1 if i < total % threads else 0) for i in range(threads)]
        workers = [threading.Thread(target=self.run, args=(i, n), daemon=True) for i, n in enumerate(share)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


def wait_for_empty_table(admin, seconds):
    deadline = time.monotonic() + seconds
    stats = admin.stats()
    while time.monotonic() < deadline:
        stats = admin.stats()
        if stats["active_connections"] + stats["inactive_connections"] == 0:
            return 0, stats
        time.sleep(0.5)
    return stats["active_connections"] + stats["inactive_connections"], stats


def start_setup(shoal, work, processes):
    port = free_port(VIP)
    backend_port = free_port(BACKEND_HOSTS[0])
    backends = {f"b{i + 1}": start_backend(processes, f"b{i + 1}", host, backend_port) for i, host in enumerate(BACKEND_HOSTS)}
    token, token_path = write_token(work)
    admin_port = free_port(DIRECTOR_HOST)
    config = director_yaml((DIRECTOR_HOST, admin_port), token_path, [{
        "name": "churn", "listen": (VIP, port), "servers": [(h, backend_port) for h in BACKEND_HOSTS],
        "extra": ["check: {type: tcp, delay_loop: 0.5, connect_timeout: 1, retry: 0, rise: 1, fall: 1}"],
    }])
    director, _ = start_director(processes, shoal, work, "director", config, DIRECTOR_HOST, admin_port)
    return director, Admin(DIRECTOR_HOST, admin_port, token), port, backends, backend_port


def churn_with_backend_kill(processes, director, admin, port, backends, backend_port, seconds, result):
    load = Load(port, 12)
    started = time.monotonic()
    load.start()
    time.sleep(seconds * 0.35)
    kill_time = time.monotonic()
    processes.kill(backends["b2"])
    time.sleep(3)
    backends["b2"] = start_backend(processes, "b2", BACKEND_HOSTS[1], backend_port)
    restart_time = time.monotonic()
    time.sleep(max(5.0, seconds * 0.65 - 3))
    load.stop()
    outcomes = load.outcomes
    failures = [o for o in outcomes if o[3]]
    outside = [o for o in failures if not (kill_time - 0.2 <= o[0] + o[1] <= kill_time + KILL_GRACE_SECONDS)]
    hung = [o for o in outcomes if o[1] >= CLIENT_TIMEOUT or o[3] in ("timeout", "TimeoutError")]
    back = sum(1 for o in outcomes if o[2] == "b2" and o[0] > restart_time)
    after = sum(1 for o in outcomes if o[0] > restart_time + 2 and not o[3])
    result.number("short connections through the director", len(outcomes))
    result.number("rate", f"{len(outcomes) / (time.monotonic() - started):.0f} connections/s")
    result.number("failed (all)", f"{len(failures)} ({', '.join(sorted(set(o[3] for o in failures))) or '-'})")
    result.number(f"failed outside the {KILL_GRACE_SECONDS:.0f} s after the kill", len(outside))
    result.number("slowest connection", f"{max((o[1] for o in outcomes), default=0):.3f} s")
    result.number("connections to b2 after its restart", f"{back} of {sum(1 for o in outcomes if o[0] > restart_time)}")
    result.check(director.poll() is None, "the director died during the churn")
    result.check(not hung, f"{len(hung)} connections hung for {CLIENT_TIMEOUT} s or more")
    result.check(not outside, f"{len(outside)} connections failed outside the kill window")
    result.check(back > 0, "the director never sent traffic to the restarted backend")
    result.check(after == 0 or back > after * 0.1, f"the restarted backend got only {back} of {after} connections")
    left, stats = wait_for_empty_table(admin, 15)
    result.number("connection entries 15 s after the run", left)
    result.check(left == 0, f"the director still counts {left} connections after the run: {stats}")


def rss_per_closed_connections(director, port, rounds, per_round, result):
    load = Load(port, 0)
    load.run_count(2000, 8)  # warm-up: pools, caches, the table's first growth
    time.sleep(3)
    baseline = rss_kib(director.pid)
    samples = [baseline]
    for _ in range(rounds):
        load.run_count(per_round, 8)
        time.sleep(3)  # tcpfin (1 s) expiry and the table's tick
        samples.append(rss_kib(director.pid))
    failures = sum(1 for o in load.outcomes if o[3])
    growth = (samples[-1] - baseline) / rounds * 10000 / per_round
    result.number(f"director VmRSS before / after each {per_round} connections (KiB)", " -> ".join(map(str, samples)))
    result.number("RSS growth per 10,000 closed connections", f"{growth:.0f} KiB")
    result.number("failed connections in the RSS rounds", failures)
    result.check(failures == 0, f"{failures} connections failed while measuring memory")
    result.check(director.poll() is None, "the director died while measuring memory")
    return growth


def run(shoal, work, processes, budget_seconds, options):
    result = Result("connection churn, backend killed and restarted; RSS per 10,000 closed connections")
    director, admin, port, backends, backend_port = start_setup(shoal, work, processes)
    if not options.get("rss_only"):
        churn_with_backend_kill(processes, director, admin, port, backends, backend_port, max(15, budget_seconds * 0.6), result)
    growth = rss_per_closed_connections(director, port, options.get("rss_rounds", 3), options.get("rss_connections", 10000), result)
    result.check(growth < 2048, f"the director's RSS grew {growth:.0f} KiB per 10,000 closed connections (limit 2048 KiB)")
    return result
