"""Scenario 1: SIGKILL of a mail node under concurrent SMTP/LMTP senders, then the store's invariants;
and lock recovery: how long the first delivery to a mailbox takes after a crash left its uidlist lock.

Invariants checked on the Maildir after the last restart (and one more delivery to every mailbox):
- every message acknowledged with 250 is stored exactly once, in its recipient's mailbox;
- no message is stored twice (acknowledged or not);
- every file in new/ and cur/ is a whole message (ends with its own trailer line);
- every file in new/ and cur/ has a UID in dovecot-uidlist, and no UID is given twice.
Files left in tmp/ by the kills are counted, never taken as delivered.
"""

import os
import random
import smtplib
import subprocess
import threading
import time
import uuid

from common import Result, dead_pid, free_port, read_log, wait_for_port

HOST = "127.0.120.1"
DOMAIN = "stress.test"
USERS = ["u1", "u2", "u3", "u4"]
NODE_NAME = "stress-node"
TRAILER = "STRESS-END"


class MailNode:
    """One `shoal mail-node` with a SQLite directory, SMTP and LMTP on HOST; restartable."""

    def __init__(self, shoal, work, processes, command_timeout=300, host=HOST):
        self.shoal, self.work, self.processes, self.host = shoal, work, processes, host
        self.root = os.path.join(work, "mail")
        self.db = os.path.join(work, "users.db")
        self.smtp_port, self.lmtp_port = free_port(host), free_port(host)
        self.config = os.path.join(work, "mail-node.yaml")
        self.process = None
        self.starts = 0
        for user in USERS:
            subprocess.run([shoal, "users", "add", user, "--address", f"{user}@{DOMAIN}", "--directory", f"sqlite:{self.db}"],
                           input=b"stresspass\n", check=True, capture_output=True)
        with open(self.config, "w") as f:
            f.write(f"""hostname: {NODE_NAME}
directory: sqlite:{self.db}
store: {{ root: {self.root}, fsync: true }}
smtp: {{ listen: {host}:{self.smtp_port} }}
lmtp: {{ listen: {host}:{self.lmtp_port} }}
local_domains: [{DOMAIN}]
limits: {{ message_size: 1048576, recipients: 10, command_timeout: {command_timeout}, data_timeout: {command_timeout} }}
""")

    def start(self):
        self.starts += 1
        self.process = self.processes.start(f"mail-node-{self.starts}", [self.shoal, "mail-node", "--config", self.config])
        if not (wait_for_port(self.host, self.smtp_port, 30, self.process)
                and wait_for_port(self.host, self.lmtp_port, 30, self.process)):
            raise RuntimeError(f"mail node did not start:\n{read_log(self.work, f'mail-node-{self.starts}')[-3000:]}")

    def kill(self):
        self.processes.kill(self.process)

    def stop(self):
        self.processes.stop(self.process, 40)

    def maildir(self, user):
        return os.path.join(self.root, DOMAIN, user)

    def log(self):
        return read_log(self.work, f"mail-node-{self.starts}")


def message_text(token, user, lines=20):
    body = "\r\n".join(f"line {i} of {token} " + "x" * 60 for i in range(lines))
    return (f"From: sender@{DOMAIN}\r\nTo: {user}@{DOMAIN}\r\nSubject: stress {token}\r\n"
            f"Message-ID: <{token}@{DOMAIN}>\r\nX-Stress-Token: {token}\r\n\r\n{body}\r\n{TRAILER} {token}\r\n")


def deliver_one(node, user, protocol="smtp", timeout=60):
    """Sends one message in its own session; returns (token, reply code) (code None when the session broke)."""
    token = uuid.uuid4().hex
    try:
        if protocol == "lmtp":
            client = smtplib.LMTP(node.host, node.lmtp_port, timeout=timeout)
        else:
            client = smtplib.SMTP(node.host, node.smtp_port, timeout=timeout)
        with client:
            client.sendmail(f"sender@{DOMAIN}", [f"{user}@{DOMAIN}"], message_text(token, user))
        return token, 250
    except smtplib.SMTPResponseException as error:
        return token, error.smtp_code
    except smtplib.SMTPRecipientsRefused as error:
        return token, list(error.recipients.values())[0][0]
    except (OSError, smtplib.SMTPException):
        return token, None


class Senders:
    """Threads sending uniquely tagged messages (several per session) until stopped, recording 250s."""

    def __init__(self, node, count, users=USERS):
        self.node, self.count, self.users = node, count, users
        self.lock = threading.Lock()
        self.acked = {}        # token -> user
        self.attempted = {}    # token -> user (DATA sent, answer unknown or not 250)
        self.refused = 0
        self.broken_sessions = 0
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(count)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(90)

    def run(self, index):
        rng = random.Random(index)
        while not self.stopping.is_set():
            protocol = "lmtp" if index % 2 else "smtp"
            try:
                client = (smtplib.LMTP(self.node.host, self.node.lmtp_port, timeout=30) if protocol == "lmtp"
                          else smtplib.SMTP(self.node.host, self.node.smtp_port, timeout=30))
            except OSError:
                time.sleep(0.05)
                continue
            try:
                for _ in range(rng.randint(1, 5)):
                    if self.stopping.is_set():
                        break
                    self.send(client, rng.choice(self.users))
                client.quit()
            except (OSError, smtplib.SMTPException):
                with self.lock:
                    self.broken_sessions += 1
            finally:
                client.close()

    def send(self, client, user):
        token = uuid.uuid4().hex
        with self.lock:
            self.attempted[token] = user
        try:
            client.sendmail(f"sender@{DOMAIN}", [f"{user}@{DOMAIN}"], message_text(token, user))
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            with self.lock:
                self.refused += 1
            client.rset()
            return
        with self.lock:
            self.acked[token] = user


# ---------------------------------------------------------------------------------------------------
# Reading the store


def read_uidlist(maildir):
    """{base file name: [uids]} from dovecot-uidlist (an unfinished last line is ignored, as Shoal and Dovecot do)."""
    path = os.path.join(maildir, "dovecot-uidlist")
    by_name = {}
    try:
        with open(path, "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return by_name
    lines = data.split("\n")
    for line in lines[1:-1]:  # header first; the part after the last newline is unfinished (or empty)
        if " :" not in line:
            continue
        uid = int(line.split()[0])
        name = line.split(" :", 1)[1]
        by_name.setdefault(name, []).append(uid)
    return by_name


def stored_messages(maildir):
    """[(subdir, file name, token, complete)] for every file in new/ and cur/; and the tmp/ file count."""
    found = []
    for sub in ("new", "cur"):
        directory = os.path.join(maildir, sub)
        for name in os.listdir(directory) if os.path.isdir(directory) else []:
            with open(os.path.join(directory, name), "rb") as f:
                text = f.read().decode("utf-8", "replace")
            token = None
            for line in text.split("\r\n" if "\r\n" in text else "\n"):
                if line.startswith("X-Stress-Token: "):
                    token = line.split(": ", 1)[1].strip()
                    break
            complete = token is not None and text.rstrip("\r\n").endswith(f"{TRAILER} {token}")
            found.append((sub, name, token, complete))
    tmp = os.path.join(maildir, "tmp")
    tmp_count = len(os.listdir(tmp)) if os.path.isdir(tmp) else 0
    return found, tmp_count


def check_store(node, acked, attempted, result):
    """The invariants of the module docstring, over every user's INBOX."""
    copies = {}
    partial = 0
    tmp_files = 0
    missing_uid = 0
    duplicate_uids = 0
    stored = 0
    for user in USERS:
        maildir = node.maildir(user)
        found, tmp_count = stored_messages(maildir)
        tmp_files += tmp_count
        uids = read_uidlist(maildir)
        seen_uids = {}
        for names in uids.values():
            for uid in names:
                seen_uids[uid] = seen_uids.get(uid, 0) + 1
        duplicate_uids += sum(n - 1 for n in seen_uids.values() if n > 1)
        duplicate_uids += sum(len(v) - 1 for v in uids.values() if len(v) > 1)
        for sub, name, token, complete in found:
            stored += 1
            if not complete:
                partial += 1
                continue
            copies.setdefault(token, []).append(user)
            if name.split(":2,", 1)[0] not in uids:
                missing_uid += 1
    lost = [t for t in acked if t not in copies]
    wrong_box = [t for t, user in acked.items() if t in copies and copies[t] != [user]]
    doubled = [t for t, users in copies.items() if len(users) > 1]
    unknown = [t for t in copies if t not in attempted]
    unacked_stored = sum(1 for t in copies if t in attempted and t not in acked)
    result.number("messages acknowledged (250)", len(acked))
    result.number("messages stored (new/ + cur/)", stored)
    result.number("stored without a 250 (killed before the answer)", unacked_stored)
    result.number("files left in tmp/ (not counted as delivered)", tmp_files)
    result.check(not lost, f"{len(lost)} acknowledged messages are not stored (e.g. {lost[:3]})")
    result.check(not doubled, f"{len(doubled)} messages are stored more than once (e.g. {doubled[:3]})")
    result.check(not wrong_box, f"{len(wrong_box)} acknowledged messages are in the wrong mailbox")
    result.check(not unknown, f"{len(unknown)} stored messages were never sent")
    result.check(partial == 0, f"{partial} stored files are partial messages")
    result.check(missing_uid == 0, f"{missing_uid} stored messages have no UID in dovecot-uidlist")
    result.check(duplicate_uids == 0, f"{duplicate_uids} UIDs are given twice in dovecot-uidlist")


# ---------------------------------------------------------------------------------------------------
# Scenario parts


def kill_rounds(node, seconds, senders_count, result):
    """Senders run while the node is SIGKILLed at random times and restarted; returns the senders."""
    senders = Senders(node, senders_count)
    senders.start()
    deadline = time.monotonic() + seconds
    rounds = 0
    restart_times = []
    rng = random.Random(7)
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(0.5, 3.0))
        node.kill()
        rounds += 1
        time.sleep(rng.uniform(0.0, 0.5))
        started = time.monotonic()
        node.start()
        restart_times.append(time.monotonic() - started)
    time.sleep(2)  # some deliveries after the last restart
    senders.stop()
    result.number("SIGKILL rounds", rounds)
    result.number("concurrent senders (half SMTP, half LMTP)", senders_count)
    result.number("sessions broken by the kills", senders.broken_sessions)
    result.number("deliveries refused (4xx/5xx)", senders.refused)
    result.number("restart to listening, max", f"{max(restart_times, default=0):.2f} s")
    return senders


def repair_deliveries(node, result):
    """One delivery to every mailbox after the last restart: the writer numbers files the kills left unlisted."""
    acked = {}
    for user in USERS:
        token, code = deliver_one(node, user)
        result.check(code == 250, f"delivery to {user} after the last restart answered {code}")
        if code == 250:
            acked[token] = user
    return acked


def time_delivery_until_250(node, user, deadline_seconds):
    """Seconds until a delivery to `user` is answered 250, retrying after temporary failures."""
    started = time.monotonic()
    attempts = 0
    while time.monotonic() - started < deadline_seconds:
        attempts += 1
        token, code = deliver_one(node, user, timeout=deadline_seconds)
        if code == 250:
            return time.monotonic() - started, attempts, token
        time.sleep(0.2)
    return None, attempts, None


def lock_path(node, user):
    return os.path.join(node.maildir(user), "dovecot-uidlist.lock")


def crash_holding_lock(node, attempts, result, acked, attempted):
    """Kill the node the moment it holds u1's uidlist lock; time the first 250 for u1 after the restart."""
    user = "u1"
    path = lock_path(node, user)
    caught = []
    for _ in range(attempts):
        senders = Senders(node, 6, users=[user])
        senders.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not os.path.exists(path):
            time.sleep(0.0005)
        node.kill()
        senders.stop()
        acked.update(senders.acked)
        attempted.update(senders.attempted)
        try:
            with open(path, "rb") as f:
                content = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            content = None  # released between the poll and the kill
        node.start()
        if content is None:
            continue
        seconds, _, token = time_delivery_until_250(node, user, 200)
        if token:
            acked[token] = user
        caught.append((content, seconds))
    result.number("kills that left u1's uidlist lock behind", f"{len(caught)} of {attempts}")
    if not caught:
        result.note("no kill caught the uidlist lock held (it is held for milliseconds per commit group)")
        return
    shown = ", ".join(f"{'empty' if not c else repr(c)} -> {s:.2f} s" if s is not None else f"{c!r} -> never"
                      for c, s in caught)
    result.number("lock recovery after a real crash (lock left -> first 250 after restart)", shown)
    result.check(all(s is not None for _, s in caught), "a mailbox stayed locked after a crash")


def simulated_stale_locks(node, zero_lock_age, result, acked):
    """A lock naming a dead pid on this host, and an empty lock aged `zero_lock_age` s: time to the first 250."""
    for user in ("u2", "u3"):  # the mailboxes exist (with their uidlists) before a lock is planted
        token, code = deliver_one(node, user)
        if code == 250:
            acked[token] = user
    user = "u2"
    path = lock_path(node, user)
    with open(path, "w") as f:
        f.write(f"{dead_pid()}:{NODE_NAME}")
    seconds, tries, token = time_delivery_until_250(node, user, 200)
    if token:
        acked[token] = user
    result.number("lock recovery, lock of a dead pid on this host", f"{seconds:.3f} s" if seconds is not None else "never")
    result.check(seconds is not None and seconds < 5, f"a dead process's lock blocked delivery for {seconds} s")

    user = "u3"
    path = lock_path(node, user)
    open(path, "w").close()
    if zero_lock_age:
        past = time.time() - zero_lock_age
        os.utime(path, (past, past))
    seconds, tries, token = time_delivery_until_250(node, user, 200)
    if token:
        acked[token] = user
    shown = f"{seconds:.2f} s ({tries} attempts)" if seconds is not None else "never"
    result.number(f"lock recovery, empty lock already {zero_lock_age} s old (stale after 120 s)", shown)
    result.check(seconds is not None, "an empty lock never went stale")


def run(shoal, work, processes, budget_seconds, options):
    result = Result("mail node SIGKILL under load + lock recovery")
    node = MailNode(shoal, work, processes)
    node.start()
    acked, attempted = {}, {}
    if not options.get("lock_only"):
        senders = kill_rounds(node, max(10, budget_seconds * 0.6), options.get("senders", 8), result)
        acked.update(senders.acked)
        attempted.update(senders.attempted)
    crash_holding_lock(node, options.get("lock_kills", 5), result, acked, attempted)
    simulated_stale_locks(node, options.get("zero_lock_age", 110), result, acked)
    repaired = repair_deliveries(node, result)
    acked.update(repaired)
    attempted.update(acked)
    node.stop()
    check_store(node, {t: u for t, u in acked.items() if u}, attempted, result)
    if "fatal" in node.log().lower():
        result.note("the node logged a fatal error; see its log")
    return result
