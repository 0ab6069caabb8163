"""Scenario 3: slow-client floods on every listening port: the director's proxy port and admin API, the mail
node's SMTP and LMTP. Each port gets N connections that send one byte and then stall.

Invariants:
- during the flood a normal client still gets a real answer from every port (a proxied request, a delivered
  message over SMTP and over LMTP, an admin answer: 200, or the documented 503 of its 128-connection cap);
- every slow connection is closed by the server's timeout within the run (proxy idle 3 s, SMTP/LMTP command
  timeout 3 s, admin head timeout 10 s);
- the admin API answers 200 again once the flood is gone.
"""

import errno
import selectors
import socket
import time
import urllib.request
import urllib.error

from common import (Admin, Result, director_yaml, echo_request, free_port, start_backend, start_director,
                    write_token)
from mail_crash import MailNode, deliver_one

DIRECTOR_HOST = "127.0.125.1"
VIP = "127.0.125.2"
BACKEND_HOST = "127.0.125.10"
MAIL_HOST = "127.0.126.1"
CLOSE_DEADLINE = {"proxy": 3, "smtp": 3, "lmtp": 3, "admin": 10}  # the configured timeouts, seconds
GRACE_SECONDS = 8


class Flood:
    """N connections to one port, each sends one byte and stalls; records when the server closes each."""

    def __init__(self, name, host, port, count, first_byte):
        self.name, self.host, self.port, self.count, self.first_byte = name, host, port, count, first_byte
        self.opened_at = {}
        self.closed_at = {}
        self.refused = 0
        self.sockets = []

    def open(self, selector):
        for i in range(self.count):
            s = socket.socket()
            s.setblocking(False)
            code = s.connect_ex((self.host, self.port))
            if code not in (0, errno.EINPROGRESS):
                self.refused += 1
                s.close()
                continue
            self.sockets.append(s)
            selector.register(s, selectors.EVENT_WRITE, (self, "connecting"))
            if i % 100 == 99:
                time.sleep(0.02)  # let the server drain its accept queue

    def on_event(self, selector, s, state):
        if state == "connecting":
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                self.refused += 1
                selector.unregister(s)
                s.close()
                return
            try:
                s.send(self.first_byte)
            except OSError:
                pass
            self.opened_at[s.fileno()] = time.monotonic()
            selector.modify(s, selectors.EVENT_READ, (self, "stalled"))
            return
        try:
            data = s.recv(4096)  # a banner or a 503 is read and ignored; only the close counts
        except OSError:
            data = b""
        if not data:
            self.closed_at[s.fileno()] = time.monotonic()
            selector.unregister(s)
            s.close()

    @property
    def open_count(self):
        return len(self.opened_at) - len(self.closed_at)


def pump(selector, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.1):
            flood, state = key.data
            flood.on_event(selector, key.fileobj, state)


def admin_answer(admin):
    started = time.monotonic()
    try:
        status, _ = admin.request("GET", "/api/stats", timeout=5)
    except (OSError, urllib.error.URLError) as error:
        status = f"error {error}"
    return status, time.monotonic() - started


def probe_all(admin, proxy_port, node):
    """A normal client on every port during the flood: {port name: (ok, detail)}."""
    probes = {}
    started = time.monotonic()
    try:
        backend = echo_request(VIP, proxy_port, 5)
        probes["proxy"] = (True, f"answered by {backend} in {time.monotonic() - started:.2f} s")
    except OSError as error:
        probes["proxy"] = (False, f"failed: {error}")
    for protocol in ("smtp", "lmtp"):
        started = time.monotonic()
        _, code = deliver_one(node, "u1", protocol, timeout=10)
        probes[protocol] = (code == 250, f"{code} in {time.monotonic() - started:.2f} s")
    status, seconds = admin_answer(admin)
    probes["admin"] = (status in (200, 503) and seconds < 2, f"{status} in {seconds:.2f} s")
    return probes


def run(shoal, work, processes, budget_seconds, options):
    result = Result("slow-client floods on every listening port")
    per_port = options.get("flood", 1000)
    backend_port = free_port(BACKEND_HOST)
    start_backend(processes, "backend", BACKEND_HOST, backend_port)
    token, token_path = write_token(work)
    admin_port, proxy_port = free_port(DIRECTOR_HOST), free_port(VIP)
    config = director_yaml((DIRECTOR_HOST, admin_port), token_path, [{
        "name": "slow", "listen": (VIP, proxy_port), "servers": [(BACKEND_HOST, backend_port)],
        "extra": ["idle_timeout: 3"]}])
    director, _ = start_director(processes, shoal, work, "director", config, DIRECTOR_HOST, admin_port)
    admin = Admin(DIRECTOR_HOST, admin_port, token)
    node = MailNode(shoal, work, processes, command_timeout=3, host=MAIL_HOST)
    node.start()

    selector = selectors.DefaultSelector()
    # The first byte of a valid request on each: a line to the echo backend, "GET", "EHLO", "LHLO".
    floods = [Flood("proxy", VIP, proxy_port, per_port, b"p"), Flood("admin", DIRECTOR_HOST, admin_port, per_port, b"G"),
              Flood("smtp", MAIL_HOST, node.smtp_port, per_port, b"E"),
              Flood("lmtp", MAIL_HOST, node.lmtp_port, per_port, b"L")]
    flood_started = time.monotonic()
    for flood in floods:
        flood.open(selector)
        pump(selector, 0.05)
    pump(selector, 0.5)
    held = {f.name: f.open_count for f in floods}
    probes = probe_all(admin, proxy_port, node)
    pump(selector, max(CLOSE_DEADLINE.values()) + GRACE_SECONDS - (time.monotonic() - flood_started))
    after_status, after_seconds = admin_answer(admin)

    for flood in floods:
        opened = len(flood.opened_at)
        closed = len(flood.closed_at)
        waits = sorted(flood.closed_at[fd] - flood.opened_at[fd] for fd in flood.closed_at)
        slowest = f"{waits[-1]:.1f} s" if waits else "-"
        result.number(f"{flood.name}: slow connections opened / held after 0.5 s / closed by the server",
                      f"{opened} / {held[flood.name]} / {closed} (slowest close {slowest}; refused {flood.refused})")
        result.check(opened > 0, f"{flood.name}: no slow connection could be opened")
        result.check(closed == opened, f"{flood.name}: {opened - closed} slow connections were never closed by the server")
        ok, detail = probes[flood.name]
        result.number(f"{flood.name}: a normal client during the flood", detail)
        result.check(ok, f"{flood.name}: a normal client failed during the flood ({detail})")
    if probes["admin"][1].startswith("503"):
        result.note("the admin API answered 503 during the flood: its 128 connections were all held by slow clients "
                    "(each until the 10 s head timeout)")
    result.number("admin API after the flood", f"{after_status} in {after_seconds:.2f} s")
    result.check(after_status == 200, f"the admin API answered {after_status} after the flood")
    result.check(director.poll() is None, "the director died during the flood")
    result.check(node.process.poll() is None, "the mail node died during the flood")
    for s in list(selector.get_map().values()):
        s.fileobj.close()
    node.stop()
    return result
