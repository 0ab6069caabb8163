# idle_client.py HOST PORT: one request on a keep-alive connection read to its end, prints READY, waits for a
# line on stdin, then prints CLOSED when the server has closed the connection, OPEN when it sent more.
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(b"GET /api/stats HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
while b"\r\n\r\n" not in data:
    data += s.recv(65536)
# Read the whole body too, so that what follows can only be the close.
head, body = data.split(b"\r\n\r\n", 1)
length = 0
for line in head.split(b"\r\n")[1:]:
    name, _, value = line.partition(b":")
    if name.strip().lower() == b"content-length":
        length = int(value)
while len(body) < length:
    body += s.recv(65536)
print("READY", flush=True)
sys.stdin.readline()
s.settimeout(30)
rest = s.recv(65536)
print("CLOSED" if rest == b"" else "OPEN")
