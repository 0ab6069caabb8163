#!/usr/bin/env python3
"""POP3 test client (Python poplib) for Shoal's mail-node tests. Usage: pop3_client.py JOB.json; prints JSON.

JOB: host, port, user, password, tls ("none" | "stls" | "implicit"), auth ("user" | "plain"),
steps: list of ["stat"] | ["list"] | ["uidl"] | ["retr", n] | ["top", n, lines] | ["dele", n] | ["rset"] |
["hold", "second_login"] (a second session logs in while this one holds the maildrop) |
["quit"]. Every answer goes into "answers" in order; errors as {"error": text}."""
import json, poplib, ssl, sys

job = json.load(open(sys.argv[1]))
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
out = {"answers": []}


def text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):
        return [text(v) for v in value]
    return value


def connect():
    if job.get("tls") == "implicit":
        p = poplib.POP3_SSL(job["host"], job["port"], context=ctx, timeout=60)
    else:
        p = poplib.POP3(job["host"], job["port"], timeout=60)
    greeting = text(p.getwelcome())
    caps = {k: v for k, v in p.capa().items()}
    if job.get("tls") == "stls":
        p.stls(context=ctx)
    return p, greeting, caps


def login(p):
    if job.get("auth") == "plain":
        import base64
        token = base64.b64encode(("\0%s\0%s" % (job["user"], job["password"])).encode()).decode()
        return text(p._shortcmd("AUTH PLAIN " + token))
    p.user(job["user"])
    return text(p.pass_(job["password"]))


p, greeting, caps = connect()
out["greeting"] = greeting
out["capa"] = sorted(caps.keys())
out["capa_after_tls"] = sorted(p.capa().keys()) if job.get("tls") == "stls" else None
try:
    out["login"] = login(p)
except poplib.error_proto as e:
    out["login"] = {"error": text(e.args[0])}
    print(json.dumps(out))
    sys.exit(0)
for step in job.get("steps", []):
    try:
        if step[0] == "stat":
            out["answers"].append(list(p.stat()))
        elif step[0] == "list":
            resp, lines, _ = p.list()
            out["answers"].append(text(lines))
        elif step[0] == "uidl":
            resp, lines, _ = p.uidl()
            out["answers"].append(text(lines))
        elif step[0] == "retr":
            resp, lines, octets = p.retr(step[1])
            out["answers"].append({"resp": text(resp), "lines": text(lines), "octets": octets})
        elif step[0] == "top":
            resp, lines, octets = p.top(step[1], step[2])
            out["answers"].append({"resp": text(resp), "lines": text(lines)})
        elif step[0] == "dele":
            out["answers"].append(text(p.dele(step[1])))
        elif step[0] == "rset":
            out["answers"].append(text(p.rset()))
        elif step[0] == "hold":
            q, _, _ = connect()
            try:
                out["answers"].append(login(q))
            except poplib.error_proto as e:
                out["answers"].append({"error": text(e.args[0])})
            q.quit()
        elif step[0] == "quit":
            out["answers"].append(text(p.quit()))
    except poplib.error_proto as e:
        out["answers"].append({"error": text(e.args[0])})
print(json.dumps(out))
