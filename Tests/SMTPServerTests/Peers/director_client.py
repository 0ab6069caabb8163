#!/usr/bin/env python3
"""Mail director test client: sessions through the director from chosen source addresses.
Usage: director_client.py JOB.json; prints a JSON list, one answer per session.

JOB: {"host", "port", "proto": "imap" | "pop3", "sessions": [{"source", "user", "password"}, ...]}.
IMAP: greeting, login answer (or error), the node's ID "host", SELECT INBOX's message count, logout.
POP3: greeting, login answer (or error), STAT's message count, quit."""
import imaplib, json, poplib, socket, sys

job = json.load(open(sys.argv[1]))


class SourcedIMAP(imaplib.IMAP4):
    def __init__(self, host, port, source):
        self.source = source
        super().__init__(host, port, timeout=60)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self.source, 0))


class SourcedPOP3(poplib.POP3):
    def __init__(self, host, port, source):
        self.source = source
        super().__init__(host, port, timeout=60)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self.source, 0))


def text(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


def imap_session(s):
    out = {}
    M = SourcedIMAP(job["host"], job["port"], s["source"])
    out["greeting"] = text(M.welcome)
    out["capabilities"] = list(M.capabilities)
    try:
        typ, data = M.login(s["user"], s["password"])
        out["login"] = [typ, [text(d) for d in data]]
    except imaplib.IMAP4.error as e:
        out["login_error"] = str(e)
        M.logout()
        return out
    typ, data = M.xatom("ID", "NIL")
    ids = M.untagged_responses.pop("ID", [])
    out["id"] = [text(d) for d in ids]
    for item in out["id"]:
        parts = item.split('"')
        if "host" in parts:
            out["host"] = parts[parts.index("host") + 2]
    typ, data = M.select("INBOX")
    out["select"] = [typ, [text(d) for d in data]]
    out["logout"] = M.logout()[0]
    return out


def pop3_session(s):
    out = {}
    P = SourcedPOP3(job["host"], job["port"], s["source"])
    out["greeting"] = text(P.getwelcome())
    try:
        out["user"] = text(P.user(s["user"]))
        out["login"] = text(P.pass_(s["password"]))
    except poplib.error_proto as e:
        out["login_error"] = str(e)
        P.quit()
        return out
    out["stat"] = list(P.stat())
    out["quit"] = text(P.quit())
    return out


if job.get("held"):
    # One IMAP session held open: log in, print the node's host, wait for a line on stdin, then SELECT and LOGOUT.
    s = job["sessions"][0]
    M = SourcedIMAP(job["host"], job["port"], s["source"])
    M.login(s["user"], s["password"])
    M.xatom("ID", "NIL")
    ids = [text(d) for d in M.untagged_responses.pop("ID", [])]
    parts = ids[0].split('"') if ids else []
    print("HOST " + (parts[parts.index("host") + 2] if "host" in parts else "none"), flush=True)
    sys.stdin.readline()
    typ, data = M.select("INBOX")
    print("SELECT %s %s" % (typ, text(data[0])), flush=True)
    print("LOGOUT " + M.logout()[0], flush=True)
    sys.exit(0)

answers = []
for s in job["sessions"]:
    try:
        answers.append(imap_session(s) if job["proto"] == "imap" else pop3_session(s))
    except Exception as e:  # reported, the test decides
        answers.append({"exception": repr(e)})
print(json.dumps(answers))
