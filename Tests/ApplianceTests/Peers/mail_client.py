#!/usr/bin/env python3
"""Real mail clients (smtplib, imaplib, poplib) against an appliance's virtual services.

Every command prints one JSON line: which node answered (from its greeting) and what was found.
"""
import imaplib
import json
import os
import poplib
import re
import smtplib
import sys
import time

NODE = re.compile(r"([a-z0-9-]+)\.[a-z0-9.-]+ (?:ESMTP|Shoal)")


def node_of(greeting):
    match = NODE.search(greeting)
    return match.group(1) if match else greeting


def send(host, port, sender, recipient, subject, user=None, password=None):
    with smtplib.SMTP(timeout=30) as s:
        _, banner = s.connect(host, int(port))
        s.ehlo()
        if user:
            s.login(user, password)
        s.sendmail(sender, [recipient], "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nsent through the director\r\n" % (sender, recipient, subject))
        return {"node": node_of(banner.decode()), "sent": True}


def imap_read(host, port, user, password, subject, avoid=None, tries=12, want=None):
    result = {}
    for _ in range(tries):
        m = imaplib.IMAP4(host, int(port), timeout=30)
        node = node_of(m.welcome.decode())
        m.login(user, password)
        m.select("INBOX", readonly=True)
        found = m.search(None, "SUBJECT", '"%s"' % subject)[1][0].split()
        m.logout()
        result = {"node": node, "found": len(found)}
        if node != avoid and (want is None or node == want):
            break
    return result


def imap_on(host, port, user, password, subject, node, tries=40):
    """imap_read until a session lands on `node` (the director's scheduler spreads sessions over the pool)."""
    return imap_read(host, port, user, password, subject, tries=int(tries), want=node)


def pop3_read(host, port, user, password, subject, avoid=None, tries=12):
    result = {}
    for _ in range(tries):
        p = poplib.POP3(host, int(port), timeout=30)
        node = node_of(p.getwelcome().decode())
        p.user(user)
        p.pass_(password)
        count = p.stat()[0]
        found = 0
        for n in range(1, count + 1):
            lines = [l.decode() for l in p.top(n, 0)[1]]
            if "Subject: %s" % subject in lines:
                found += 1
        p.quit()
        result = {"node": node, "found": found}
        if node != avoid:
            break
    return result


def loop(host, port, user, password, stop_file):
    """IMAP sessions one after another (each: greeting, LOGIN, SELECT, NOOP, LOGOUT) until stop_file exists.

    Prints a line per session ({"session": N, "node": ..., "ok": true|false}) as it ends, the summary last."""
    ok, failed, errors, nodes = 0, 0, [], set()
    while not os.path.exists(stop_file):
        try:
            m = imaplib.IMAP4(host, int(port), timeout=30)
            node = node_of(m.welcome.decode())
            m.login(user, password)
            m.select("INBOX", readonly=True)
            m.noop()
            m.logout()
            ok += 1
            nodes.add(node)
            print(json.dumps({"session": ok + failed, "node": node, "ok": True}), flush=True)
        except Exception as e:  # any failure of a session is a lost session
            failed += 1
            errors.append(repr(e))
            print(json.dumps({"session": ok + failed, "ok": False, "error": repr(e)}), flush=True)
        time.sleep(0.02)
    return {"ok": ok, "failed": failed, "errors": errors[:5], "nodes": sorted(nodes)}


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    functions = {"send": send, "imap": imap_read, "imap-on": imap_on, "pop3": pop3_read, "loop": loop}
    print(json.dumps(functions[command](*args)), flush=True)
