#!/usr/bin/env bash
# The director demo: build a rule set with ipvsadm syntax, list it, and replay a connection trace.
set -euo pipefail
shoal="$1"
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rules="$work/lvs.rules"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "A web service with three real servers, built one ipvsadm command at a time"
for cmd in \
    "-A -t 10.0.0.1:80 -s wrr" \
    "-a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 3" \
    "-a -t 10.0.0.1:80 -r 192.168.10.12:80 -m -w 2" \
    "-a -t 10.0.0.1:80 -r 192.168.10.13:80 -m -w 1"; do
    echo "shoal ipvsadm --rules lvs.rules $cmd"
    # shellcheck disable=SC2086
    "$shoal" ipvsadm --rules "$rules" $cmd
done

step "ipvsadm -L -n"
"$shoal" ipvsadm --rules "$rules" -L -n

step "ipvsadm -S -n (the rules file itself)"
"$shoal" ipvsadm --rules "$rules" -S -n

step "A bad batch on -R is rejected whole, naming the line"
printf -- '-A -t 10.0.0.2:443 -s rr\n-a -t 10.0.0.2:443 -r 192.168.10.11:443 -w 70000\n' \
    | "$shoal" ipvsadm --rules "$rules" -R || echo "(exit status $?; the table is unchanged)"
"$shoal" ipvsadm --rules "$rules" -L -n | tail -n +2

step "Capacity planning: replay Demo/trace.csv through Demo/lvs.rules (wlc with persistence, and rr for DNS)"
"$shoal" ipvsadm --rules "$here/Demo/lvs.rules" -L -n
echo
"$shoal" simulate --rules "$here/Demo/lvs.rules" --trace "$here/Demo/trace.csv"

step "wrr over 12 connections from the demo rules built above"
for i in $(seq 1 12); do echo "$i,198.51.100.$i:4000$((i % 10)),tcp,10.0.0.1:80,60"; done > "$work/trace.csv"
"$shoal" simulate --rules "$rules" --trace "$work/trace.csv"

step "The director, running: two real servers, health checks, the admin API and ipvsadm against it"
for n in 2 3; do
    mkdir -p "$work/www$n"; echo "hello from real server 127.0.99.$n" > "$work/www$n/index.html"
    (cd "$work/www$n" && exec python3 -m http.server 8001 --bind "127.0.99.$n" >/dev/null 2>&1) &
    eval "web$n=$!"
done
for n in 2 3; do for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.99.$n/8001") 2>/dev/null && break; sleep 0.1; done; done
cat > "$work/director.yaml" <<'YAML'
director:
  admin: {listen: 127.0.99.1:9900}
services:
  - name: web
    listen: 127.0.99.1:8080
    scheduler: rr
    check: {type: http, path: /index.html, status: 200, delay_loop: 1, connect_timeout: 1, retry: 0}
    servers:
      - {address: 127.0.99.2:8001}
      - {address: 127.0.99.3:8001}
YAML
cat "$work/director.yaml"
"$shoal" director --config "$work/director.yaml" 2>"$work/director.log" &
director=$!
trap 'kill $director $web2 $web3 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.99.1/8080") 2>/dev/null && break; sleep 0.1; done
sleep 1.5
for i in 1 2 3 4; do curl -s --noproxy '*' http://127.0.99.1:8080/; done
echo "\$ shoal ipvsadm --director http://127.0.99.1:9900 -L -n --stats"
"$shoal" ipvsadm --director http://127.0.99.1:9900 -L -n --stats
echo "\$ shoal ipvsadm --director http://127.0.99.1:9900 -L -n -c"
"$shoal" ipvsadm --director http://127.0.99.1:9900 -L -n -c
echo "\$ shoal ipvsadm --director http://127.0.99.1:9900 -e -t 127.0.99.1:8080 -r 127.0.99.3:8001 -m -w 3   (live, no connection dropped)"
"$shoal" ipvsadm --director http://127.0.99.1:9900 -e -t 127.0.99.1:8080 -r 127.0.99.3:8001 -m -w 3
echo "Real server 127.0.99.2 dies; its health check takes it out within one check interval:"
kill "$web2"; sleep 2.5
"$shoal" ipvsadm --director http://127.0.99.1:9900 -L -n
for i in 1 2 3; do curl -s --noproxy '*' http://127.0.99.1:8080/; done
echo "State changes the director logged:"
grep -E "real server (up|down)|admin change|quorum" "$work/director.log" | sed 's/^[^ ]* //' || true
echo "(status page: http://127.0.99.1:9900/ , metrics: http://127.0.99.1:9900/metrics)"
curl -s --noproxy '*' http://127.0.99.1:9900/metrics | grep -E '^shoal_server_(weight|up)' | head -4
kill -TERM "$director"; wait "$director" 2>/dev/null || true

step "A web farm: two shoal web nodes serving one shared document root behind the director"
mkdir -p "$work/docroot"
echo "<h1>farm page, version 1</h1>" > "$work/docroot/index.html"
for n in 2 3; do
    cat > "$work/web$n.yaml" <<YAML
root: $work/docroot                 # one tree for both nodes (NFS or CephFS in a real farm)
http: { listen: "127.0.151.$n:8080" }
server_name: web-node-$n            # the Server header tells which node answered
cache: { revalidate_ms: 200 }       # a change on the shared root is served within 0.2 s
access_log: $work/web$n-access.log
YAML
    "$shoal" web-node --config "$work/web$n.yaml" 2>"$work/web$n.log" &
    eval "webnode$n=$!"
done
cat > "$work/farm.yaml" <<'YAML'
director:
  admin: {listen: 127.0.151.1:9900}
services:
  - name: web-farm
    listen: 127.0.151.1:8080
    scheduler: rr
    check: {type: http, path: /index.html, status: 200, delay_loop: 1, connect_timeout: 1, retry: 0}
    servers:
      - {address: 127.0.151.2:8080}
      - {address: 127.0.151.3:8080}
YAML
cat "$work/web2.yaml"
"$shoal" director --config "$work/farm.yaml" 2>"$work/farm.log" &
farm=$!
trap 'kill $farm $webnode2 $webnode3 2>/dev/null; rm -rf "$work"' EXIT
for n in 1 2 3; do for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.151.$n/8080") 2>/dev/null && break; sleep 0.1; done; done
sleep 1.5
farm_get() { curl -s --noproxy '*' -D - "http://127.0.151.1:8080/$1" | tr -d '\r' | grep -E '^(HTTP/|Server:|ETag:)|<h1>' | paste -sd ' '; }
echo "Four requests to the director's address, answered in turn by the two nodes (same ETag: it is made of size and mtime, never the inode):"
for i in 1 2 3 4; do farm_get index.html; done
echo "The webmaster replaces the page on the shared root (write, then rename):"
echo "<h1>farm page, version 2</h1>" > "$work/docroot/.index.html.tmp" && mv "$work/docroot/.index.html.tmp" "$work/docroot/index.html"
sleep 0.5
for i in 1 2; do farm_get index.html; done
echo "A request for a path outside the root, through the director: $(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --path-as-is 'http://127.0.151.1:8080/../../etc/passwd')"
echo "Web node 2 stops; its health check takes it out and node 3 answers everything:"
kill "$webnode2"; sleep 2.5
"$shoal" ipvsadm --director http://127.0.151.1:9900 -L -n
for i in 1 2; do farm_get index.html; done
echo "Each node's access log (combined format; the director's health checks left out; the client is the director's proxy):"
for n in 2 3; do echo "web-node-$n:"; grep -v shoal-healthcheck "$work/web$n-access.log" | tail -n 3; done
kill -TERM "$farm" "$webnode3"; wait "$farm" "$webnode3" 2>/dev/null || true

step "The mail tier: a user in the embedded SQLite directory, one mail node, mail in over SMTP and LMTP, read back over POP3 and IMAP"
echo "s3cret" | "$shoal" users add alice --address alice@shoal.test --address postmaster@shoal.test --directory "sqlite:$work/users.db"
"$shoal" users list --directory "sqlite:$work/users.db"
echo "s3cret" | "$shoal" users check alice --directory "sqlite:$work/users.db"
smtp_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
lmtp_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
pop3_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
imap_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
cat > "$work/node.yaml" <<YAML
hostname: mx1.shoal.test
directory: sqlite:$work/users.db
store: { root: $work/mail }
smtp: { listen: 127.0.0.1:$smtp_port }
lmtp: { listen: 127.0.0.1:$lmtp_port }
pop3: { listen: 127.0.0.1:$pop3_port }
imap: { listen: 127.0.0.1:$imap_port }
local_domains: [shoal.test]
auth: { allow_plaintext: true }   # a loopback demo without a certificate; never on a real network
YAML
"$shoal" mail-node --config "$work/node.yaml" 2>"$work/node.log" &
node=$!
trap 'kill $node $web3 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break; sleep 0.1; done
python3 - "$smtp_port" "$lmtp_port" <<'PY'
import smtplib, sys
smtp_port, lmtp_port = int(sys.argv[1]), int(sys.argv[2])
with smtplib.SMTP("127.0.0.1", smtp_port) as s:
    print("EHLO:", s.ehlo()[1].decode().replace("\n", " "))
    s.sendmail("bob@example.org", ["postmaster@shoal.test"], "Subject: hello over SMTP\r\n\r\nHi Alice.\r\n")
    try:
        s.sendmail("bob@example.org", ["someone@elsewhere.example"], "Subject: relay?\r\n\r\nno\r\n")
    except smtplib.SMTPRecipientsRefused as e:
        print("relay to a foreign domain refused:", e.recipients)
with smtplib.LMTP("127.0.0.1", lmtp_port) as s:
    s.sendmail("bob@example.org", ["alice@shoal.test"], "Subject: hello over LMTP\r\n\r\nHi again.\r\n")
print("sent")
PY
echo
echo "alice's Maildir++ (shared store) and Dovecot's uidlist:"
(cd "$work/mail" && find . -type f | sort)
cat "$work/mail/shoal.test/alice/dovecot-uidlist"
echo
sed -n '1,12p' "$(ls "$work"/mail/shoal.test/alice/new/* | head -1)"
echo
echo "alice reads her mail over POP3 (Python poplib):"
python3 - "$pop3_port" <<'PY'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]))
print(p.getwelcome().decode())
p.user("alice"); print(p.pass_("s3cret").decode())
print("STAT:", p.stat())
print("UIDL:", [l.decode() for l in p.uidl()[1]])
for n in (1, 2):
    lines = [l.decode() for l in p.retr(n)[1]]
    print("RETR %d:" % n, next(l for l in lines if l.startswith("Subject:")), "/", lines[-1])
print(p.quit().decode())
PY
echo
echo "and over IMAP (Python imaplib): flags, a search, the structure of a message:"
python3 - "$imap_port" <<'PY'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
print(m.welcome.decode()[:60] + "...")
print("LOGIN:", m.login("alice", "s3cret")[0])
print("SELECT INBOX:", m.select("INBOX")[1][0].decode(), "messages")
for line in m.fetch("1:*", "(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1]:
    if isinstance(line, tuple):
        print(" ", line[0].decode(), line[1].decode().strip())
print("STORE 2 +FLAGS (\\Flagged):", m.store("2", "+FLAGS", "(\\Flagged)")[1][0].decode())
print("SEARCH FLAGGED:", m.search(None, "FLAGGED")[1][0].decode())
print("BODYSTRUCTURE 1:", m.fetch("1", "(BODYSTRUCTURE)")[1][0].decode())
m.logout()
PY
