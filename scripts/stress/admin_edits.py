"""Scenario 4: conflicting admin edits: many threads add, delete and edit the same two services (and their
servers) through the admin API at once.

Invariants:
- the director stays up and never answers 5xx (except 503 over the connection cap);
- after the storm, the ports listening on the contested address (`ss -ltn`) are exactly the services the
  table lists there, and each listed one accepts connections;
- after a final DELETE of each, its port refuses connections.
"""

import random
import threading
import time
import urllib.error

from common import (Admin, Result, can_connect, director_yaml, free_port, listening_ports, start_backend,
                    start_director, write_token)

DIRECTOR_HOST = "127.0.124.1"
CONTESTED = "127.0.124.2"
BACKEND_HOSTS = ["127.0.124.10", "127.0.124.11"]


def service_id(port):
    return f"tcp-{CONTESTED}-{port}"


def random_edit(admin, rng, ports, backend_port):
    """One random change to one of the contested services; returns the HTTP status (or an error name)."""
    port = rng.choice(ports)
    sid = service_id(port)
    backend = rng.choice(BACKEND_HOSTS)
    choice = rng.randrange(7)
    try:
        if choice == 0:
            status, _ = admin.request("POST", "/api/services", {
                "protocol": "tcp", "address": CONTESTED, "port": port, "scheduler": rng.choice(["rr", "wlc", "lc"]),
                "servers": [{"address": backend, "port": backend_port, "forwarding": "masquerade"}]})
        elif choice == 1:
            status, _ = admin.request("DELETE", f"/api/services/{sid}")
        elif choice == 2:
            status, _ = admin.request("PATCH", f"/api/services/{sid}", {"scheduler": rng.choice(["rr", "wrr", "sh"])})
        elif choice == 3:
            status, _ = admin.request("POST", f"/api/services/{sid}/servers",
                                      {"address": backend, "port": backend_port, "forwarding": "masquerade"})
        elif choice == 4:
            status, _ = admin.request("DELETE", f"/api/services/{sid}/servers/{backend}-{backend_port}")
        elif choice == 5:
            status, _ = admin.request("PATCH", f"/api/services/{sid}/servers/{backend}-{backend_port}",
                                      {"weight": rng.randint(0, 10)})
        else:
            status, _ = admin.request("POST", "/api/ipvsadm", {"args": ["-A", "-t", f"{CONTESTED}:{port}", "-s", "rr"]})
    except (OSError, urllib.error.URLError) as error:
        return type(error).__name__
    return status


def storm(admin, seconds, threads, ports, backend_port):
    statuses = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(index):
        rng = random.Random(index)
        mine = {}
        while time.monotonic() < deadline:
            status = random_edit(admin, rng, ports, backend_port)
            mine[status] = mine.get(status, 0) + 1
        with lock:
            for status, n in mine.items():
                statuses[status] = statuses.get(status, 0) + n

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(seconds + 30)
    return statuses


def run(shoal, work, processes, budget_seconds, options):
    result = Result("conflicting admin edits")
    backend_port = free_port(BACKEND_HOSTS[0])
    for i, host in enumerate(BACKEND_HOSTS):
        start_backend(processes, f"b{i}", host, backend_port)
    token, token_path = write_token(work)
    admin_port = free_port(DIRECTOR_HOST)
    anchor_port = free_port(DIRECTOR_HOST)
    config = director_yaml((DIRECTOR_HOST, admin_port), token_path, [{
        "name": "anchor", "listen": (DIRECTOR_HOST, anchor_port), "servers": [(BACKEND_HOSTS[0], backend_port)]}])
    director, _ = start_director(processes, shoal, work, "director", config, DIRECTOR_HOST, admin_port)
    admin = Admin(DIRECTOR_HOST, admin_port, token)
    ports = [free_port(CONTESTED), free_port(CONTESTED)]

    statuses = storm(admin, max(8, budget_seconds * 0.8), 16, ports, backend_port)
    total = sum(statuses.values())
    shown = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0])))
    result.number("admin calls (16 threads, 2 contested services)", total)
    result.number("answers", shown)
    server_errors = {k: v for k, v in statuses.items() if not isinstance(k, int) or (k >= 500 and k != 503)}
    result.check(director.poll() is None, "the director died during the storm")
    result.check(not server_errors, f"errors or 5xx answers: {server_errors}")
    if director.poll() is not None:
        return result

    table = set(port for (_, port) in admin.service_endpoints(CONTESTED))
    listening = listening_ports(CONTESTED)
    result.number("services in the table / listening ports on the contested address after the storm",
                  f"{sorted(table)} / {sorted(listening)}")
    result.check(table == listening, f"the table lists {sorted(table)} but {sorted(listening)} listen")
    for port in table:
        result.check(can_connect(CONTESTED, port), f"listed service on port {port} refuses connections")

    refusing = 0
    for port in ports:
        status, _ = admin.request("DELETE", f"/api/services/{service_id(port)}")
        result.check(status in (204, 404), f"final DELETE of port {port} answered {status}")
        if not can_connect(CONTESTED, port):
            refusing += 1
    result.number("ports refusing connections right after the final DELETEs", f"{refusing} of {len(ports)}")
    result.check(refusing == len(ports), "a deleted service's port still accepts connections")
    result.check(listening_ports(CONTESTED) == set(), f"still listening after the DELETEs: {listening_ports(CONTESTED)}")
    result.check(can_connect(DIRECTOR_HOST, anchor_port), "the untouched service stopped accepting connections")
    return result
