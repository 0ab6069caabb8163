"""Shared helpers for the stress scenarios: processes, ports, admin API, results.

Everything here talks only to 127.0.0.0/8. Every process started through `Processes` is recorded in
WORK/pids so that scripts/stress.sh can kill it even if this program dies.
"""

import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def log(message):
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", flush=True)


def raise_open_files_limit():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ---------------------------------------------------------------------------------------------------
# Results


class Result:
    """One scenario's verdict: its numbers (printed in order) and the invariants it checked."""

    def __init__(self, name):
        self.name = name
        self.numbers = {}
        self.violations = []
        self.notes = []
        self.seconds = 0.0

    def number(self, key, value):
        self.numbers[key] = value

    def check(self, condition, violation):
        if not condition:
            self.violations.append(violation)
        return condition

    def note(self, text):
        self.notes.append(text)

    @property
    def passed(self):
        return not self.violations

    def print_report(self):
        verdict = "PASS" if self.passed else "FAIL"
        print(f"{verdict} {self.name} ({self.seconds:.0f} s)", flush=True)
        for key, value in self.numbers.items():
            print(f"    {key}: {value}")
        for text in self.notes:
            print(f"    note: {text}")
        for violation in self.violations:
            print(f"    VIOLATED: {violation}")
        sys.stdout.flush()


# ---------------------------------------------------------------------------------------------------
# Processes


class Processes:
    """Starts processes with output to files in the work directory; kills every one of them at the end."""

    def __init__(self, work):
        self.work = work
        self.running = []
        self.pid_file = os.path.join(work, "pids")

    def start(self, name, argv, **kwargs):
        out = open(os.path.join(self.work, f"{name}.log"), "ab")
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kwargs)
        out.close()
        process.stress_name = name
        self.running.append(process)
        with open(self.pid_file, "a") as pids:
            pids.write(f"{process.pid}\n")
        return process

    def kill(self, process, sig=signal.SIGKILL, wait_seconds=10):
        if process.poll() is None:
            try:
                process.send_signal(sig)
            except ProcessLookupError:
                pass
        try:
            process.wait(timeout=wait_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process in self.running:
            self.running.remove(process)

    def stop(self, process, wait_seconds=10):
        """SIGTERM, then SIGKILL if it has not exited after wait_seconds."""
        self.kill(process, signal.SIGTERM, wait_seconds)

    def stop_all(self):
        for process in list(self.running):
            self.kill(process, signal.SIGKILL, 5)


def log_path(work, name):
    return os.path.join(work, f"{name}.log")


def read_log(work, name):
    try:
        with open(log_path(work, name), "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def dead_pid():
    """A pid that certainly belongs to no running process (a child that has been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


# ---------------------------------------------------------------------------------------------------
# Sockets


def free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def can_connect(host, port, timeout=1.0):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host, port, seconds=30, process=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if can_connect(host, port, 0.5):
            return True
        if process is not None and process.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def listening_ports(host):
    """Ports with a listening TCP socket on exactly this address (`ss -ltn`)."""
    out = subprocess.run(["ss", "-Hltn", f"src {host}"], capture_output=True, text=True, check=True).stdout
    ports = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[3].startswith(host + ":"):
            ports.add(int(fields[3].rsplit(":", 1)[1]))
    return ports


def echo_request(host, port, timeout=5.0):
    """One short proxied connection to a stress backend; returns the backend's name."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(b"ping\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = s.recv(256)
            if not chunk:
                break
            reply += chunk
    if not reply.endswith(b"\n"):
        raise ConnectionError(f"short reply {reply!r}")
    return reply.decode().split()[0]


def start_backend(processes, name, host, port):
    """A stress backend (backend.py): answers `NAME <line>` to each line, also serves HTTP GET /."""
    process = processes.start(f"backend-{name}", [sys.executable, os.path.join(HERE, "backend.py"), host, str(port), name])
    if not wait_for_port(host, port, 10, process):
        raise RuntimeError(f"backend {name} did not start on {host}:{port}")
    return process


# ---------------------------------------------------------------------------------------------------
# The director's admin API


class Admin:
    def __init__(self, host, port, token):
        self.base = f"http://{host}:{port}"
        self.token = token

    def request(self, method, path, body=None, timeout=10):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                payload = response.read()
                return response.status, (json.loads(payload) if payload else None)
        except urllib.error.HTTPError as error:
            payload = error.read()
            try:
                return error.code, json.loads(payload) if payload else None
            except ValueError:
                return error.code, None

    def services(self):
        status, body = self.request("GET", "/api/services")
        if status != 200:
            raise RuntimeError(f"GET /api/services answered {status}")
        return body["services"]

    def service_endpoints(self, host=None):
        """{(address, port): [server endpoints]} of the TCP services, optionally only those on `host`."""
        table = {}
        for service in self.services():
            if service.get("protocol") != "tcp" or (host and service.get("address") != host):
                continue
            table[(service["address"], service["port"])] = sorted(s["endpoint"] for s in service["servers"])
        return table

    def stats(self):
        status, body = self.request("GET", "/api/stats")
        if status != 200:
            raise RuntimeError(f"GET /api/stats answered {status}")
        return body


def write_token(work, name="admin.token"):
    token = "stress-" + "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(24))
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(token + "\n")
    os.chmod(path, 0o600)
    return token, path


def write_atomically(path, text):
    temporary = path + ".tmp"
    with open(temporary, "w") as f:
        f.write(text)
    os.rename(temporary, path)


def start_director(processes, shoal, work, name, config_text, admin_host, admin_port):
    path = os.path.join(work, f"{name}.yaml")
    write_atomically(path, config_text)
    process = processes.start(name, [shoal, "director", "--config", path, "--log-level", "info"])
    if not wait_for_port(admin_host, admin_port, 30, process):
        raise RuntimeError(f"director {name} did not start; its log:\n{read_log(work, name)[-3000:]}")
    return process, path


def percent(part, whole):
    return f"{100.0 * part / whole:.2f}%" if whole else "n/a"


def director_yaml(admin, token_path, services, director_extra=""):
    """A director configuration: admin on `admin` (host, port), `services` as
    [{"name", "listen": (host, port), "servers": [(host, port)], "extra": "yaml flow fields"}]."""
    lines = ["director:", f"  admin: {{listen: {admin[0]}:{admin[1]}, token_file: {token_path}}}",
             "  timeouts: {tcp: 900, tcpfin: 1, udp: 300}", "  connect_timeout: 1"]
    lines += [f"  {line}" for line in director_extra.splitlines() if line.strip()]
    lines.append("services:" if services else "services: []")
    for service in services:
        lines.append(f"  - name: {service['name']}")
        lines.append(f"    listen: {service['listen'][0]}:{service['listen'][1]}")
        lines.append("    protocol: tcp")
        lines.append("    scheduler: rr")
        for extra in service.get("extra", []):
            lines.append(f"    {extra}")
        lines.append("    servers:")
        for host, port in service["servers"]:
            lines.append(f"      - {{address: {host}:{port}}}")
    return "\n".join(lines) + "\n"
