# web_client.py HOST PORT [--close] [--tls]: reads a JSON list of requests [method, path, {headers}] from stdin,
# sends them in order with http.client (one keep-alive connection, or one per request with --close) and prints,
# as JSON, per request {status, headers (lower-cased names, repeated ones joined with ", "), length, sha256,
# body (text when short), port (the client's local port, to show connection reuse)}.
import hashlib, http.client, json, ssl, sys

host, port = sys.argv[1], int(sys.argv[2])
close = "--close" in sys.argv
tls = "--tls" in sys.argv

def connect():
    if tls:
        return http.client.HTTPSConnection(host, port, timeout=30, context=ssl._create_unverified_context())
    return http.client.HTTPConnection(host, port, timeout=30)

requests = json.load(sys.stdin)
out = []
conn = connect()
for method, path, headers in requests:
    if close:
        conn.close()
        conn = connect()
    def send():
        conn.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        return conn.getresponse()
    try:
        r = send()
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        # The server closed an idle kept-alive connection (as a browser would, ask again on a new one).
        conn.close()
        conn = connect()
        r = send()
    body = r.read()
    merged = {}
    for name, value in r.getheaders():
        key = name.lower()
        merged[key] = merged[key] + ", " + value if key in merged else value
    out.append({
        "status": r.status, "headers": merged, "length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
        "body": body.decode("latin-1") if len(body) <= 4096 else None, "port": conn.sock.getsockname()[1] if conn.sock else 0,
    })
    if r.getheader("Connection", "").lower() == "close":
        conn.close()
        conn = connect()
print(json.dumps(out))
