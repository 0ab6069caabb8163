#!/usr/bin/env python3
"""Client side of scripts/bench-read.sh: the same IMAP/POP3 load against any server.

Raw sockets (no imaplib/poplib parsing in the timed path) so that the client costs as little CPU as
possible on a machine it shares with the server; parallel clients are separate processes (no GIL).

  deliver HOST PORT COUNT RCPT            LMTP: COUNT messages (text, multipart, a few attachments)
  logins HOST PORT USER PASS CLIENTS SECS LOGIN+SELECT INBOX+LOGOUT loop -> sessions/s
  sessions HOST PORT USER PASS CLIENTS N  exactly N such sessions over CLIENTS processes -> seconds
  fetch HOST PORT USER PASS ITEMS EXPECT  one session, FETCH 1:* ITEMS -> seconds (checks EXPECT answers)
  pop3 HOST PORT USER PASS EXPECT         USER/PASS, RETR 1..EXPECT, QUIT -> seconds
  pop3_paused HOST PORT USER PASS EXPECT  the RETRs alone, paused before and after (see pop3_paused)
  idle HOST PORT USER PASS N PID          N idle sessions (LOGIN, SELECT INBOX) -> RSS and PSS growth
                                          per session, in KiB, of PID and every process below it
"""
import multiprocessing
import os
import random
import smtplib
import socket
import sys
import time

TAG = b"Zq1"


class Conn:
    def __init__(self, host, port):
        self.s = socket.create_connection((host, port), timeout=120)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def fill(self):
        data = self.s.recv(1 << 20)
        if not data:
            raise EOFError("server closed the connection")
        self.buf += data

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return out
            self.fill()

    def exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def until(self, marker):
        start = 0
        while True:
            i = self.buf.find(marker, start)
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[:i + len(marker)]
                return out
            start = max(0, len(self.buf) - len(marker))
            self.fill()

    def send(self, data):
        self.s.sendall(data)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def imap_command(c, command, tag=TAG):
    """Sends one command; returns (untagged FETCH responses, literal bytes, tagged line)."""
    c.send(tag + b" " + command + b"\r\n")
    untagged = 0
    literal_bytes = 0
    while True:
        line = first = c.line()
        # A line ending in {n} is followed by n octets, then the rest of the same response.
        while line.endswith(b"}") and b"{" in line:
            n = int(line[line.rindex(b"{") + 1:-1])
            c.exact(n)
            literal_bytes += n
            line = c.line()
        if line.startswith(tag + b" "):
            if not line.startswith(tag + b" OK"):
                raise RuntimeError(f"{command[:40]!r}: {line[:200]!r}")
            return untagged, literal_bytes, line
        if first.startswith(b"* ") and b" FETCH (" in first[:24]:
            untagged += 1


def imap_login(host, port, user, password):
    c = Conn(host, port)
    greeting = c.line()
    if not greeting.startswith(b"* OK"):
        raise RuntimeError(f"greeting: {greeting!r}")
    imap_command(c, b"LOGIN " + user.encode() + b" " + password.encode())
    return c


def imap_logout(c):
    c.send(TAG + b" LOGOUT\r\n")
    while True:
        line = c.line()
        if line.startswith(TAG + b" "):
            break
    c.close()


# --- deliver ---

WORDS = ("the of and to in is it that for on was with as at by this from are be or have an not mail server "
         "message store index folder delivery quota session login fetch envelope header body part").split()


def text(rng, lines):
    return "\r\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 14))) for _ in range(lines))


def message(i, rng):
    sender = f"sender{i % 37}@example.org"
    headers = (f"From: Sender {i % 37} <{sender}>\r\nTo: Bench User <bench@bench.test>\r\n"
               f"Cc: other{i % 5}@example.net\r\nSubject: Benchmark message {i}: {rng.choice(WORDS)} {rng.choice(WORDS)}\r\n"
               f"Date: Mon, 1 Jan 2024 {i % 24:02d}:{i % 60:02d}:00 +0000\r\nMessage-ID: <bench-{i}@example.org>\r\n"
               "MIME-Version: 1.0\r\n")
    kind = i % 10
    if i % 50 == 7:  # a few with an attachment (20-60 KiB of base64)
        blob = bytes(rng.getrandbits(8) for _ in range(rng.randint(15000, 45000)))
        import base64
        b64 = base64.encodebytes(blob).decode().replace("\n", "\r\n")
        body = ("Content-Type: multipart/mixed; boundary=\"mixed-b\"\r\n\r\n--mixed-b\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text(rng, 20) +
                "\r\n--mixed-b\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n"
                "Content-Disposition: attachment; filename=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                b64 + "--mixed-b--\r\n")
    elif kind < 4:  # multipart/alternative
        plain = text(rng, rng.randint(15, 40))
        html = "<html><body><p>" + plain.replace("\r\n", "</p>\r\n<p>") + "</p></body></html>"
        body = ("Content-Type: multipart/alternative; boundary=\"alt-b\"\r\n\r\n--alt-b\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n" + plain + "\r\n--alt-b\r\n"
                "Content-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--alt-b--\r\n")
    else:
        body = "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text(rng, rng.randint(10, 60)) + "\r\n"
    return (headers + body).encode()


def deliver(host, port, count, rcpt):
    rng = random.Random(1)
    lmtp = smtplib.LMTP(host, int(port))
    lmtp.ehlo("bench-client")
    total = 0
    for i in range(int(count)):
        m = message(i, rng)
        total += len(m)
        refused = lmtp.sendmail("sender@example.org", [rcpt], m)
        if refused:
            raise RuntimeError(f"message {i} refused: {refused}")
    lmtp.quit()
    print(f"{count} messages, {total} bytes")


# --- logins ---

def login_worker(args):
    host, port, user, password, seconds = args
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        c = imap_login(host, port, user, password)
        imap_command(c, b"SELECT INBOX")
        imap_logout(c)
        n += 1
    return n


def logins(host, port, user, password, clients, seconds):
    clients, seconds = int(clients), float(seconds)
    with multiprocessing.Pool(clients) as pool:
        start = time.monotonic()
        counts = pool.map(login_worker, [(host, int(port), user, password, seconds)] * clients)
        elapsed = time.monotonic() - start
    print(f"{sum(counts) / elapsed:.1f}")


def sessions_worker(args):
    host, port, user, password, count = args
    for _ in range(count):
        c = imap_login(host, port, user, password)
        imap_command(c, b"SELECT INBOX")
        imap_logout(c)
    return count


def sessions(host, port, user, password, clients, count):
    """Exactly `count` sessions (for profiles that divide a process's work by the sessions it served)."""
    clients, count = int(clients), int(count)
    shares = [count // clients + (1 if i < count % clients else 0) for i in range(clients)]
    with multiprocessing.Pool(clients) as pool:
        start = time.monotonic()
        done = pool.map(sessions_worker, [(host, int(port), user, password, n) for n in shares])
        elapsed = time.monotonic() - start
    if sum(done) != count:
        raise RuntimeError(f"{sum(done)} sessions instead of {count}")
    print(f"{elapsed:.3f}")


# --- fetch ---

def fetch(host, port, user, password, items, expect):
    c = imap_login(host, int(port), user, password)
    untagged, _, _ = imap_command(c, b"SELECT INBOX")
    start = time.monotonic()
    answers, literal_bytes, _ = imap_command(c, b"FETCH 1:* " + items.encode())
    elapsed = time.monotonic() - start
    imap_logout(c)
    if answers != int(expect):
        raise RuntimeError(f"FETCH 1:* {items}: {answers} untagged answers, expected {expect}")
    print(f"{elapsed:.3f} {literal_bytes}")


def fetch_paused(host, port, user, password, items, expect):
    """fetch, but prints "ready" after SELECT and waits for a line on stdin before the FETCH and before
    LOGOUT, so that the caller can measure the server process serving this session around the FETCH alone."""
    c = imap_login(host, int(port), user, password)
    imap_command(c, b"SELECT INBOX")
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.monotonic()
    answers, literal_bytes, _ = imap_command(c, b"FETCH 1:* " + items.encode())
    elapsed = time.monotonic() - start
    print(f"{elapsed:.3f} {literal_bytes}", flush=True)
    sys.stdin.readline()
    imap_logout(c)
    if answers != int(expect):
        raise RuntimeError(f"FETCH 1:* {items}: {answers} untagged answers, expected {expect}")


# --- pop3 ---

def pop3_login(c, user, password, expect):
    for command in (b"USER " + user.encode(), b"PASS " + password.encode()):
        c.send(command + b"\r\n")
        answer = c.line()
        if not answer.startswith(b"+OK"):
            raise RuntimeError(f"{command.split()[0]!r}: {answer!r}")
    c.send(b"STAT\r\n")
    stat = c.line()
    if int(stat.split()[1]) != int(expect):
        raise RuntimeError(f"STAT: {stat!r}, expected {expect} messages")


def pop3_retrieve_all(c, expect):
    total = 0
    for i in range(1, int(expect) + 1):
        c.send(b"RETR %d\r\n" % i)
        answer = c.line()
        if not answer.startswith(b"+OK"):
            raise RuntimeError(f"RETR {i}: {answer!r}")
        total += len(c.until(b"\r\n.\r\n"))
    return total


def pop3(host, port, user, password, expect):
    c = Conn(host, int(port))
    if not c.line().startswith(b"+OK"):
        raise RuntimeError("POP3 greeting")
    start = time.monotonic()
    pop3_login(c, user, password, expect)
    total = pop3_retrieve_all(c, expect)
    c.send(b"QUIT\r\n")
    c.line()
    elapsed = time.monotonic() - start
    c.close()
    print(f"{elapsed:.3f} {total}")


def pop3_paused(host, port, user, password, expect):
    """The RETRs of pop3 alone: prints "ready" after the login and waits for a line on stdin before the first
    RETR and before QUIT, so that the caller can measure the server process serving this session around them."""
    c = Conn(host, int(port))
    if not c.line().startswith(b"+OK"):
        raise RuntimeError("POP3 greeting")
    pop3_login(c, user, password, expect)
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.monotonic()
    total = pop3_retrieve_all(c, expect)
    elapsed = time.monotonic() - start
    print(f"{elapsed:.3f} {total}", flush=True)
    sys.stdin.readline()
    c.send(b"QUIT\r\n")
    c.line()
    c.close()


# --- idle ---

def tree(root):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def memory(root):
    """(RSS KiB, PSS KiB, process count) of root and its descendants."""
    rss = pss = n = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
            n += 1
        except OSError:
            pass
    return rss, pss, n


def idle(host, port, user, password, count, pid):
    count, pid = int(count), int(pid)
    time.sleep(1)
    before = memory(pid)
    sessions = []
    for _ in range(count):
        c = imap_login(host, int(port), user, password)
        imap_command(c, b"SELECT INBOX")
        sessions.append(c)
    time.sleep(2)
    after = memory(pid)
    for c in sessions:
        imap_logout(c)
    print(f"{(after[0] - before[0]) / count:.1f} {(after[1] - before[1]) / count:.1f} "
          f"{before[2]} {after[2]} {before[0]} {after[0]}")


if __name__ == "__main__":
    commands = {"deliver": deliver, "logins": logins, "sessions": sessions, "fetch": fetch, "fetch_paused": fetch_paused, "pop3": pop3, "pop3_paused": pop3_paused, "idle": idle}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])
