#!/usr/bin/env python3
"""IMAP test client (Python imaplib) for Shoal's mail-node tests. Usage: imap_client.py JOB.json; prints JSON.

JOB: host, port, tls ("none" | "starttls" | "implicit"), user, password (login skipped when absent),
steps: [[method, arg, ...], ...] — each an imaplib method called with the arguments (strings; "$bytes:TEXT"
passes TEXT as bytes, for APPEND), or ["idle", seconds] (raw IDLE: the untagged lines seen until the first
one arrives or the time is up, then DONE), or ["raw", "COMMAND ARGS"] (sent as is after a fresh tag: every line
up to and including the tagged one, the tag replaced by "TAG"). Each answer is [typ, [data...]] with bytes as text, or
{"error": text}. The capabilities before and after login are reported too."""
import imaplib, json, socket, ssl, sys, time

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


if job.get("tls") == "implicit":
    M = imaplib.IMAP4_SSL(job["host"], job["port"], ssl_context=ctx, timeout=60)
else:
    M = imaplib.IMAP4(job["host"], job["port"], timeout=60)
out["greeting"] = text(M.welcome)
out["capabilities"] = list(M.capabilities)
if job.get("tls") == "starttls":
    out["starttls"] = text(M.starttls(ssl_context=ctx)[0])
    out["capabilities_after_tls"] = list(M.capabilities)
if "user" in job:
    try:
        out["login"] = text(M.login(job["user"], job["password"]))
        out["capabilities_after_login"] = text(M.capability()[1])
    except imaplib.IMAP4.error as e:
        out["login"] = {"error": str(e)}
        print(json.dumps(out))
        sys.exit(0)


def argument(a):
    if isinstance(a, str) and a.startswith("$bytes:"):
        return a[len("$bytes:"):].encode()
    return a


for step in job.get("steps", []):
    try:
        if step[0] == "idle":
            tag = M._new_tag().decode()
            M.send(("%s IDLE\r\n" % tag).encode())
            lines = [M.readline().decode().rstrip("\r\n")]  # "+ idling"
            M.sock.settimeout(step[1])
            try:
                lines.append(M.readline().decode().rstrip("\r\n"))
            except (socket.timeout, TimeoutError):
                lines.append("(timeout)")
            M.sock.settimeout(60)
            M.send(b"DONE\r\n")
            while True:
                line = M.readline().decode().rstrip("\r\n")
                lines.append(line)
                if line.startswith(tag):
                    break
            out["answers"].append(lines)
            continue
        if step[0] == "raw":
            tag = M._new_tag().decode()
            M.send(("%s %s\r\n" % (tag, step[1])).encode())
            lines = []
            while True:
                line = M.readline().decode("utf-8", "replace").rstrip("\r\n")
                if not line:
                    lines.append("(closed)")
                    break
                if line.startswith(tag + " "):
                    lines.append("TAG" + line[len(tag):])
                    break
                lines.append(line)
            out["answers"].append(lines)
            continue
        typ, data = getattr(M, step[0])(*[argument(a) for a in step[1:]])
        out["answers"].append([text(typ), text(data)])
    except imaplib.IMAP4.error as e:
        out["answers"].append({"error": str(e)})
print(json.dumps(out))
