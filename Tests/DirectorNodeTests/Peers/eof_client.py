# eof_client.py HOST PORT NBYTES: sends NBYTES bytes, shuts down its sending side, prints the whole answer.
import socket, sys
host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port))
s.sendall(b"y" * count)
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    b = s.recv(65536)
    if not b: break
    data += b
print(data.decode().strip())
