#!/usr/bin/env bash
# make demo: the mail cluster appliance on loopback, from one spec file and one command (no root needed).
set -euo pipefail
shoal="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
state="$work/state"
spec="$here/Appliances/mail-cluster.yaml"
trap '"$shoal" down --state "$state" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
vip=127.0.42.1

step "The spec: $spec"
grep -v '^#' "$spec"

step "shoal plan Appliances/mail-cluster.yaml   (what runs where; nothing started)"
"$shoal" plan "$spec" --state "$state"

step "shoal up Appliances/mail-cluster.yaml --wait"
"$shoal" up "$spec" --wait --state "$state"

step "Mail to two users through the director's SMTP VIP ($vip:2525), and one through submission with AUTH"
python3 - "$vip" <<'PY'
import smtplib, sys
vip = sys.argv[1]
for to, subject in [("alice@shoal.test", "hello alice"), ("bob@shoal.test", "hello bob")]:
    with smtplib.SMTP(timeout=30) as s:
        code, banner = s.connect(vip, 2525)
        s.sendmail("carol@example.org", [to], "Subject: %s\r\n\r\nThrough the director.\r\n" % subject)
        print("SMTP  %-18s accepted by %s" % (to, banner.decode().split()[0]))
with smtplib.SMTP(timeout=30) as s:
    code, banner = s.connect(vip, 1587)
    s.login("alice", "alice-secret")
    s.sendmail("alice@shoal.test", ["postmaster@shoal.test"], "Subject: from alice\r\n\r\nSubmitted with AUTH.\r\n")
    print("SUBM  %-18s accepted by %s (AUTH alice)" % ("postmaster@shoal.test", banner.decode().split()[0]))
PY

step "Read back through the IMAP ($vip:1143) and POP3 ($vip:1110) VIPs: other nodes, one shared store"
python3 - "$vip" <<'PY'
import imaplib, poplib, sys
vip = sys.argv[1]
for user, password in [("alice", "alice-secret"), ("bob", "bob-secret")]:
    m = imaplib.IMAP4(vip, 1143, timeout=30)
    node = m.welcome.decode().split("] ")[1].split()[0]
    m.login(user, password); m.select("INBOX", readonly=True)
    subjects = [d[1].decode().strip() for d in m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1] if isinstance(d, tuple)]
    m.logout()
    print("IMAP  %-6s on %-18s %s" % (user, node, subjects))
    p = poplib.POP3(vip, 1110, timeout=30)
    node = p.getwelcome().decode().split()[1]
    p.user(user); p.pass_(password)
    print("POP3  %-6s on %-18s %d message(s)" % (user, node, p.stat()[0]))
    p.quit()
PY

step "mail-2 crashes (SIGKILL): the director masks it, mail still flows, the supervisor starts it again"
pid="$("$shoal" status --json --state "$state" | python3 -c 'import json,sys; print(next(n["pid"] for n in json.load(sys.stdin)["nodes"] if n["name"]=="mail-2"))')"
kill -9 "$pid"; echo "killed mail-2 (pid $pid)"
python3 - "$vip" <<'PY'
import smtplib, sys
nodes = []
for i in range(6):
    with smtplib.SMTP(timeout=30) as s:
        code, banner = s.connect(sys.argv[1], 2525)
        s.sendmail("carol@example.org", ["alice@shoal.test"], "Subject: during the crash %d\r\n\r\n.\r\n" % i)
        nodes.append(banner.decode().split()[0])
print("6 messages accepted during the crash, by:", " ".join(nodes))
PY
sleep 2

step "shoal status"
"$shoal" status --state "$state"
echo
"$shoal" logs supervisor --state "$state" | grep -E "exited|started mail-2" | tail -3

step "shoal down"
"$shoal" down --state "$state"
trap 'rm -rf "$work"' EXIT
