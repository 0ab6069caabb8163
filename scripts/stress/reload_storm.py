"""Scenario 5: reload storms: the director's YAML is rewritten and SIGHUPed again and again while traffic flows,
alternating valid configurations (adding and removing services) with invalid ones (broken YAML, a service on
an address another process listens on).

Invariants:
- the director never dies;
- after each failed reload the table and the listening sockets are exactly the previous ones;
- after each valid reload, and after a rapid burst of reloads, they are exactly the last valid configuration;
- traffic keeps flowing: requests to the service present in every configuration never fail, and requests to
  the others fail only around a reload that removed them.
"""

import os
import random
import signal
import socket
import threading
import time

from common import (Admin, Result, director_yaml, echo_request, free_port, listening_ports, read_log,
                    start_backend, start_director, write_atomically, write_token)

DIRECTOR_HOST = "127.0.123.1"
STEADY_HOST = "127.0.123.2"
VARIABLE_HOST = "127.0.123.3"
OCCUPIED_HOST = "127.0.123.4"
BACKEND_HOST = "127.0.123.10"
OUTCOME_LINES = ("configuration reloaded", "reload failed")


class Setup:
    def __init__(self, work, token_path, admin_port, backend_port):
        self.work, self.token_path, self.admin_port, self.backend_port = work, token_path, admin_port, backend_port
        self.steady_port = free_port(STEADY_HOST)
        self.variable_ports = sorted(set(free_port(VARIABLE_HOST) for _ in range(4)))
        self.occupier = socket.socket()
        self.occupier.bind((OCCUPIED_HOST, 0))
        self.occupier.listen(1)
        self.occupied_port = self.occupier.getsockname()[1]

    def services(self, variable_ports, occupied=False):
        backend = [(BACKEND_HOST, self.backend_port)]
        services = [{"name": "steady", "listen": (STEADY_HOST, self.steady_port), "servers": backend}]
        services += [{"name": f"v{p}", "listen": (VARIABLE_HOST, p), "servers": backend} for p in variable_ports]
        if occupied:
            services.append({"name": "occupied", "listen": (OCCUPIED_HOST, self.occupied_port), "servers": backend})
        return services

    def config(self, variable_ports, occupied=False):
        return director_yaml((DIRECTOR_HOST, self.admin_port), self.token_path, self.services(variable_ports, occupied))

    def random_step(self, rng):
        """(kind, yaml text, the variable ports it asks for)."""
        ports = sorted(rng.sample(self.variable_ports, rng.randint(0, len(self.variable_ports))))
        kind = rng.choice(["valid", "valid", "bad-yaml", "address-in-use"])
        if kind == "valid":
            return kind, self.config(ports), ports
        if kind == "bad-yaml":
            return kind, self.config(ports) + "  - name: [unclosed\n    listen: {\n", ports
        return kind, self.config(ports, occupied=True), ports

    def expected_table(self, variable_ports):
        endpoint = f"{BACKEND_HOST}:{self.backend_port}"
        table = {(STEADY_HOST, self.steady_port): [endpoint]}
        table.update({(VARIABLE_HOST, p): [endpoint] for p in variable_ports})
        return table


class Traffic:
    """Short connections to the steady service and to random variable ports, every outcome with its time."""

    def __init__(self, setup, threads=6):
        self.setup = setup
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.outcomes = []  # (start, end, port, ok)
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(threads)]

    def run(self, index):
        rng = random.Random(index)
        mine = []
        while not self.stopping.is_set():
            if index % 2 == 0:
                host, port = STEADY_HOST, self.setup.steady_port
            else:
                host, port = VARIABLE_HOST, rng.choice(self.setup.variable_ports)
            started = time.monotonic()
            try:
                echo_request(host, port, 5)
                ok = True
            except OSError:
                ok = False
                time.sleep(0.01)
            mine.append((started, time.monotonic(), port, ok))
        with self.lock:
            self.outcomes.extend(mine)

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(15)


def outcome_count(work):
    text = read_log(work, "director")
    return sum(text.count(line) for line in OUTCOME_LINES)


def wait_for_outcomes(work, at_least, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if outcome_count(work) >= at_least:
            return True
        time.sleep(0.02)
    return False


def running_state(admin):
    table = admin.service_endpoints()
    listening = {(STEADY_HOST, p) for p in listening_ports(STEADY_HOST)}
    listening |= {(VARIABLE_HOST, p) for p in listening_ports(VARIABLE_HOST)}
    return table, listening


def matches(admin, expected):
    table, listening = running_state(admin)
    return table == expected and listening == set(expected), table, listening


def stepwise_reloads(director, path, admin, setup, work, steps, rng, result, timeline, tally):
    """One reload at a time, each checked; `tally` counts kinds and mismatches across calls."""
    current = tally.get("current", [])
    counts = tally.setdefault("kinds", {"valid": 0, "bad-yaml": 0, "address-in-use": 0})
    for _ in range(steps):
        kind, text, ports = setup.random_step(rng)
        counts[kind] += 1
        before = outcome_count(work)
        write_atomically(path, text)
        os.kill(director.pid, signal.SIGHUP)
        if not result.check(wait_for_outcomes(work, before + 1), f"no reload outcome logged after a {kind} SIGHUP"):
            break
        if kind == "valid":
            current = ports
            timeline.append((time.monotonic(), set(current)))
        ok, table, listening = matches(admin, setup.expected_table(current))
        if not ok:
            tally["mismatches"] = tally.get("mismatches", 0) + 1
            if tally["mismatches"] == 1:
                result.note(f"first mismatch, after a {kind} reload: table {sorted(table)}, listening {sorted(listening)}, "
                            f"expected {sorted(setup.expected_table(current))}")
        if director.poll() is not None:
            break
    tally["current"] = current


def burst_reloads(director, path, admin, setup, work, count, rng, result, timeline, tally):
    """Rapid rewrites and SIGHUPs without waiting; the last one is valid."""
    last_valid = None
    for i in range(count):
        kind, text, ports = setup.random_step(rng)
        if i == count - 1:
            kind, text, ports = "valid", setup.config(ports), ports
        if kind == "valid":
            last_valid = ports
        write_atomically(path, text)
        os.kill(director.pid, signal.SIGHUP)
        timeline.append((time.monotonic(), set(ports) if kind == "valid" else None))
        time.sleep(rng.uniform(0, 0.03))
    # Settled when no new outcome has been logged for 2 s.
    stable_since, seen = time.monotonic(), outcome_count(work)
    while time.monotonic() - stable_since < 2:
        time.sleep(0.1)
        now = outcome_count(work)
        if now != seen:
            seen, stable_since = now, time.monotonic()
    expected = setup.expected_table(last_valid)
    ok, table, listening = matches(admin, expected)
    timeline.append((time.monotonic(), set(last_valid)))
    tally["bursts"] = tally.get("bursts", 0) + 1
    tally["current"] = last_valid
    if not ok:
        tally["burst_mismatches"] = tally.get("burst_mismatches", 0) + 1
        result.note(f"after a burst the table is {sorted(table)} and {sorted(listening)} listen; "
                    f"the last valid configuration has {sorted(expected)}")


def judge_traffic(traffic, setup, timeline, result):
    steady = [o for o in traffic.outcomes if o[2] == setup.steady_port]
    steady_failed = [o for o in steady if not o[3]]
    variable = [o for o in traffic.outcomes if o[2] != setup.steady_port]

    def present_throughout(port, start, end):
        # The port's service was in every configuration applied (or possibly applied) from 1 s before to 1 s after.
        relevant = [ports for when, ports in timeline if start - 1 <= when <= end + 1]
        before = [ports for when, ports in timeline if when < start - 1 and ports is not None]
        if before:
            relevant.append(before[-1])
        return all(ports is not None and port in ports for ports in relevant) if relevant else False

    unexcused = [o for o in variable if not o[3] and present_throughout(o[2], o[0], o[1])]
    result.number("requests to the service in every configuration (failed)", f"{len(steady)} ({len(steady_failed)})")
    result.number("requests to services added and removed (failed; failed while present)",
                  f"{len(variable)} ({sum(1 for o in variable if not o[3])}; {len(unexcused)})")
    result.check(steady and not steady_failed, f"{len(steady_failed)} requests to the steady service failed")
    result.check(not unexcused, f"{len(unexcused)} requests failed to services present in every configuration around them")


def run(shoal, work, processes, budget_seconds, options):
    result = Result("reload storms")
    backend_port = free_port(BACKEND_HOST)
    start_backend(processes, "backend", BACKEND_HOST, backend_port)
    token, token_path = write_token(work)
    admin_port = free_port(DIRECTOR_HOST)
    setup = Setup(work, token_path, admin_port, backend_port)
    director, path = start_director(processes, shoal, work, "director", setup.config([]), DIRECTOR_HOST, admin_port)
    admin = Admin(DIRECTOR_HOST, admin_port, token)
    rng = random.Random(5)
    timeline = [(time.monotonic(), set())]
    traffic = Traffic(setup)
    traffic.start()
    try:
        deadline = time.monotonic() + max(10, budget_seconds * 0.7)
        tally = {}
        while time.monotonic() < deadline and director.poll() is None and len(result.notes) < 5:
            stepwise_reloads(director, path, admin, setup, work, 10, rng, result, timeline, tally)
            if director.poll() is None:
                burst_reloads(director, path, admin, setup, work, 25, rng, result, timeline, tally)
        kinds = tally.get("kinds", {})
        result.number("stepwise reloads (valid / broken YAML / address in use)",
                      f"{kinds.get('valid', 0)} / {kinds.get('bad-yaml', 0)} / {kinds.get('address-in-use', 0)}")
        mismatches = tally.get("mismatches", 0)
        result.number("stepwise reloads leaving a table or listeners other than expected", mismatches)
        result.check(mismatches == 0, f"{mismatches} reloads left a table or listeners other than expected")
        bursts, bad_bursts = tally.get("bursts", 0), tally.get("burst_mismatches", 0)
        result.number("bursts of 25 rapid SIGHUPs (last config valid) / ending other than the last valid config",
                      f"{bursts} / {bad_bursts}")
        result.check(bad_bursts == 0, f"{bad_bursts} bursts ended with a table other than the last valid configuration")
    finally:
        traffic.stop()
        setup.occupier.close()
    result.check(director.poll() is None, "the director died during the reload storm")
    judge_traffic(traffic, setup, timeline, result)
    return result
