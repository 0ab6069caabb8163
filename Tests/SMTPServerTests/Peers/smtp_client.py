#!/usr/bin/env python3
"""SMTP/LMTP test client for Shoal's mail-node tests. Usage: smtp_client.py MODE JOB.json; prints JSON."""
import json, smtplib, socket, ssl, sys, threading, time

def rep(code, text):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return {"code": int(code), "text": text}

def cmd_smtplib(job):
    out = {"features": [], "rcpt": [], "data": []}
    cls = smtplib.LMTP if job.get("lmtp") else smtplib.SMTP
    try:
        if job.get("implicit_tls"):
            # SMTPS / submissions (RFC 8314): TLS from the first byte.
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = smtplib.SMTP_SSL(job["host"], job["port"], timeout=60, context=ctx)
        else:
            s = cls(job["host"], job["port"], timeout=60)
    except Exception as e:
        out["error"] = "connect: %r" % (e,)
        return out
    try:
        out["ehlo"] = rep(*s.ehlo("client.test"))
        out["features"] = sorted(s.esmtp_features.keys())
        if job.get("starttls"):
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            out["starttls"] = rep(*s.starttls(context=ctx))
            out["tls_version"] = s.sock.version()
            s.ehlo("client.test")
            out["features_after_tls"] = sorted(s.esmtp_features.keys())
        auth = job.get("auth")
        if auth:
            s.user, s.password = auth["user"], auth["password"]
            try:
                if auth["mechanism"] == "PLAIN":
                    out["auth"] = rep(*s.auth("PLAIN", s.auth_plain))
                else:
                    out["auth"] = rep(*s.auth("LOGIN", s.auth_login, initial_response_ok=False))
            except smtplib.SMTPAuthenticationError as e:
                out["auth"] = rep(e.smtp_code, e.smtp_error)
                return out
            except smtplib.SMTPNotSupportedError as e:
                out["auth"] = rep(0, "not supported: %s" % (e,))
                return out
        out["mail"] = rep(*s.mail(job["from"], job.get("mail_options", [])))
        if out["mail"]["code"] != 250:
            return out
        accepted = 0
        for r in job["to"]:
            reply = rep(*s.rcpt(r))
            out["rcpt"].append(reply)
            if reply["code"] in (250, 251):
                accepted += 1
        if accepted == 0:
            s.rset()
            return out
        try:
            out["data"].append(rep(*s.data(job["message"].encode("utf-8"))))
        except smtplib.SMTPDataError as e:
            out["data"].append(rep(e.smtp_code, e.smtp_error))
            return out
        if job.get("lmtp"):
            for _ in range(accepted - 1):
                out["data"].append(rep(*s.getreply()))
        try:
            s.quit()
        except Exception:
            pass
    except smtplib.SMTPServerDisconnected as e:
        out["error"] = "disconnected: %s" % (e,)
    except Exception as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
    return out

def read_reply(f):
    lines = []
    while True:
        line = f.readline()
        if not line:
            return rep(0, "EOF after %r" % (lines,)) if lines else rep(0, "EOF")
        line = line.decode("latin-1").rstrip("\r\n")
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            break
    try:
        code = int(lines[-1][:3])
    except ValueError:
        return rep(0, "garbage: %r" % (lines,))
    return rep(code, "\n".join(l[4:] for l in lines))

def cmd_raw(job):
    out = {"replies": []}
    try:
        sock = socket.create_connection((job["host"], job["port"]), timeout=30)
        f = sock.makefile("rb")
        out["replies"].append(read_reply(f))
        for step in job["steps"]:
            kind = step[0]
            if kind == "send":
                sock.sendall(step[1].encode("latin-1"))
            elif kind == "read":
                for _ in range(step[1]):
                    out["replies"].append(read_reply(f))
            elif kind == "mark":
                with open(step[1], "w") as m:
                    m.write("ok\n")
            elif kind == "sleep":
                time.sleep(step[1])
            elif kind == "drain":
                sock.settimeout(step[1])
                got = b""
                out["closed"] = False
                out["reset"] = False
                try:
                    while True:
                        chunk = f.read1(65536)
                        if not chunk:
                            out["closed"] = True
                            break
                        got += chunk
                except (ConnectionResetError, BrokenPipeError):
                    out["closed"] = True
                    out["reset"] = True
                except socket.timeout:
                    pass
                out["drained"] = got.decode("latin-1")
        sock.close()
    except Exception as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
    return out

def cmd_flood(job):
    results = []
    lock = threading.Lock()
    batches = job["batches"]
    barrier = threading.Barrier(len(batches))
    def worker(batch):
        try:
            s = smtplib.SMTP(batch["host"], batch["port"], timeout=120)
            s.ehlo("flood.client.test")
        except Exception as e:
            barrier.wait()
            with lock:
                for i, _ in enumerate(batch["messages"]):
                    results.append({"port": batch["port"], "index": i, "reply": rep(0, "connect: %r" % (e,))})
            return
        barrier.wait()
        for i, message in enumerate(batch["messages"]):
            try:
                code, text = s.mail(batch["from"])
                if code == 250:
                    code, text = s.rcpt(batch["to"])
                if code == 250:
                    code, text = s.data(message.encode("utf-8"))
                else:
                    s.rset()
                reply = rep(code, text)
            except Exception as e:
                reply = rep(0, "%s: %s" % (type(e).__name__, e))
            with lock:
                results.append({"port": batch["port"], "index": i, "reply": reply})
        try:
            s.quit()
        except Exception:
            pass
    threads = [threading.Thread(target=worker, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results

if __name__ == "__main__":
    mode, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        job = json.load(f)
    result = {"smtplib": cmd_smtplib, "raw": cmd_raw, "flood": cmd_flood}[mode](job)
    json.dump(result, sys.stdout)
