"""session-leak: rounds of short SMTP, POP3 and IMAP sessions against one mail node; the node's memory must
not grow with the number of sessions that have ended (each finished session once kept ~460 KiB)."""

import imaplib
import os
import poplib
import smtplib
import subprocess

from common import Result, log, rss_kib, wait_for_port, free_port, read_log

HOST = "127.0.126.10"
DOMAIN = "leak.test"
MESSAGES = 200


def start_node(shoal, work, processes):
    db = os.path.join(work, "users.db")
    subprocess.run([shoal, "users", "add", "alice", "--address", f"alice@{DOMAIN}", "--directory", f"sqlite:{db}"],
                   input=b"leakpass\n", check=True, capture_output=True)
    ports = {name: free_port(HOST) for name in ("smtp", "pop3", "imap")}
    config = os.path.join(work, "mail-node.yaml")
    with open(config, "w") as f:
        f.write(f"""hostname: leak-node
directory: sqlite:{db}
store: {{ root: {os.path.join(work, 'mail')}, fsync: false }}
smtp: {{ listen: {HOST}:{ports['smtp']} }}
pop3: {{ listen: {HOST}:{ports['pop3']} }}
imap: {{ listen: {HOST}:{ports['imap']} }}
local_domains: [{DOMAIN}]
auth: {{ allow_plaintext: true }}
""")
    process = processes.start("mail-node", [shoal, "mail-node", "--config", config])
    for port in ports.values():
        if not wait_for_port(HOST, port, 30, process):
            raise RuntimeError("mail node did not start:\n" + read_log(work, "mail-node")[-3000:])
    return process, ports


def one_round(ports, sessions):
    for n in range(sessions):
        with smtplib.SMTP(HOST, ports["smtp"], timeout=30) as s:
            s.ehlo("leak.test")
        m = imaplib.IMAP4(HOST, ports["imap"], timeout=30)
        m.login("alice", "leakpass")
        m.select("INBOX")
        m.fetch("1:10", "(FLAGS ENVELOPE)")
        if n % 2:
            m.logout()
        else:
            m.shutdown()  # the client just goes away
        p = poplib.POP3(HOST, ports["pop3"], timeout=30)
        p.user("alice")
        p.pass_("leakpass")
        p.stat()
        p.quit()


def run(shoal, work, processes, budget, options):
    result = Result("session-leak")
    process, ports = start_node(shoal, work, processes)
    with smtplib.SMTP(HOST, ports["smtp"], timeout=30) as s:
        for n in range(MESSAGES):
            s.sendmail(f"sender@{DOMAIN}", [f"alice@{DOMAIN}"], f"Subject: leak {n}\r\n\r\nbody {n}\r\n")
    sessions = int(options.get("leak_sessions", 300))
    samples = [rss_kib(process.pid)]
    for round_number in range(4):
        one_round(ports, sessions)
        samples.append(rss_kib(process.pid))
        log(f"session-leak: round {round_number + 1}: RSS {samples[-1]} KiB")
    # The first rounds warm up pools and caches; the later ones must not keep memory per ended session.
    per_session = (samples[-1] - samples[2]) / (2 * sessions)
    result.number("RSS KiB after each round", " -> ".join(str(s) for s in samples))
    result.number("KiB kept per ended session set (SMTP+IMAP+POP3), rounds 3-4", f"{per_session:.1f}")
    result.check(per_session < 16, f"the node keeps {per_session:.1f} KiB per ended session set (a leak)")
    return result
