# raw_http.py HOST PORT [--half-close]: sends stdin's bytes as they are (after decoding Python escapes such as \r\n and \x00),
# (then shuts down its sending side with --half-close), then reads until the server closes (or resets) or 30 s pass without a byte, and prints what came back (latin-1).
import socket, sys

host, port = sys.argv[1], int(sys.argv[2])
data = sys.stdin.read().encode("latin-1").decode("unicode_escape").encode("latin-1")
s = socket.create_connection((host, port), timeout=30)
s.sendall(data)
if "--half-close" in sys.argv[3:]:
    s.shutdown(socket.SHUT_WR)
chunks = []
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
except (socket.timeout, ConnectionResetError):
    # A server that closes with request bytes unread resets the connection; what arrived before counts.
    pass
sys.stdout.write(b"".join(chunks).decode("latin-1"))
