# interim_upgrade_reset.py BACKEND_HOST BACKEND_PORT PROXY_HOST PROXY_PORT CASE
# Runs a raw HTTP/1.1 server on BACKEND and one client exchange through the proxy, then prints the outcome.
# Server paths:
#   /continue  answers `100 Continue` to `Expect: 100-continue`, reads the body, answers `got:<body>`
#   /echo      with `Upgrade: shout` answers 101 and then echoes every byte upper-cased until EOF;
#              without it answers 426 with a body
#   /cut-close a close-delimited 200 (no length) with 7 bytes, then a TCP reset
#   /cut-chunk a chunked 200 with one chunk, then a TCP reset
# Cases (what the client does and prints):
#   continue   sends the head with Expect, waits for `100 Continue` before the body; prints
#              `interim=<status line> final=<status line> body=<body>` (`interim=none` on a 10 s wait)
#   upgrade    sends an upgrade request and, in the same write, the first bytes of the new protocol;
#              prints `status=<status line> first=<echo> second=<echo> eof=<yes|no>`
#   refused    an upgrade request to /continue (the server ignores Upgrade): `status=<line> close=<yes|no>`
#   cut-close / cut-chunk   prints `outcome=reset|incomplete|complete` as a client would judge the body
import socket, struct, sys, threading, time

backend_host, backend_port, proxy_host, proxy_port, case = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None, b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def header(head, name):
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def reset(conn):
    # Let the proxy read and pass on what was sent before the reset (not a timing assertion).
    time.sleep(0.3)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def serve(conn):
    head, rest = read_head(conn)
    if head is None:
        conn.close()
        return
    path = head.split(" ")[1]
    if path == "/continue":
        length = int(header(head, "content-length") or "0")
        if (header(head, "expect") or "").lower() == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = rest
        while len(body) < length:
            chunk = conn.recv(4096)
            if not chunk:
                break
            body += chunk
        answer = b"got:" + body
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))
        conn.close()
    elif path == "/echo":
        if (header(head, "upgrade") or "").lower() != "shout":
            conn.sendall(b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 4\r\n\r\nnope")
            conn.close()
            return
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\n")
        if rest:
            conn.sendall(rest.upper())
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                break
            conn.sendall(chunk.upper())
        conn.close()
    elif path == "/cut-close":
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npartial")
        reset(conn)
    elif path == "/cut-chunk":
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\npartial\r\n")
        reset(conn)
    else:
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        conn.close()


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((backend_host, backend_port))
listener.listen(16)


def accept_loop():
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


threading.Thread(target=accept_loop, daemon=True).start()

client = socket.create_connection((proxy_host, proxy_port), timeout=20)
request_host = "Host: app.example\r\n"


def read_all(sock):
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk


def status_line(head):
    return head.split("\r\n")[0] if head else "none"


if case == "continue":
    client.sendall(b"POST /continue HTTP/1.1\r\n" + request_host.encode() +
                   b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\n")
    client.settimeout(10)
    try:
        interim, rest = read_head(client)
    except socket.timeout:
        interim, rest = None, b""
    client.settimeout(20)
    if interim is not None and " 100 " in interim + " ":
        client.sendall(b"hello")
        final, rest = read_head(client)
        print("interim=%s final=%s body=%s" % (status_line(interim), status_line(final), rest.decode()))
    else:
        print("interim=none final=%s" % status_line(interim))
elif case == "upgrade":
    client.sendall(b"GET /echo HTTP/1.1\r\n" + request_host.encode() +
                   b"Connection: Upgrade\r\nUpgrade: shout\r\n\r\nearly bytes;")
    head, rest = read_head(client)
    while len(rest) < len("EARLY BYTES;"):
        rest += client.recv(4096)
    client.sendall(b"and more")
    second = b""
    while len(second) < len("AND MORE"):
        chunk = client.recv(4096)
        if not chunk:
            break
        second += chunk
    client.shutdown(socket.SHUT_WR)
    eof = read_all(client) == b""
    print("status=%s first=%s second=%s eof=%s" % (status_line(head), rest.decode(), second.decode(), "yes" if eof else "no"))
elif case == "refused":
    client.sendall(b"POST /continue HTTP/1.1\r\n" + request_host.encode() +
                   b"Connection: Upgrade\r\nUpgrade: shout\r\nContent-Length: 2\r\n\r\nhi")
    head, rest = read_head(client)
    tail = read_all(client)
    print("status=%s close=%s body=%s" % (status_line(head), "yes" if header(head, "connection") == "close" else "no",
                                          (rest + tail).decode()))
elif case in ("cut-close", "cut-chunk"):
    # Reads until the body is complete by its framing, the connection ends, or it is reset.
    client.sendall(b"GET /" + case.encode() + b" HTTP/1.1\r\n" + request_host.encode() + b"\r\n")
    data = b""
    outcome = "incomplete"
    try:
        while True:
            head, _, body = data.partition(b"\r\n\r\n")
            if _:
                lowered = head.lower()
                length = header(head.decode("latin-1") + "\r\n", "content-length")
                if b"transfer-encoding: chunked" in lowered and body.endswith(b"0\r\n\r\n"):
                    outcome = "complete"
                    break
                if length is not None and len(body) >= int(length):
                    outcome = "complete"
                    break
            chunk = client.recv(4096)
            if not chunk:
                # A close-delimited body ends at EOF: only then a clean close means complete.
                if _ and b"transfer-encoding" not in head.lower() and b"content-length" not in head.lower():
                    outcome = "complete"
                break
            data += chunk
    except ConnectionResetError:
        outcome = "reset"
    print("outcome=%s" % outcome)
