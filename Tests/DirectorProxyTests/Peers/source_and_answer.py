# source_and_answer.py HOST PORT SOURCE: connects from SOURCE, sends `hello`, reads until the peer closes;
# prints `OWNHOST:OWNPORT|ANSWER`.
import socket, sys
s = socket.socket()
s.bind((sys.argv[3], 0))
s.connect((sys.argv[1], int(sys.argv[2])))
s.sendall(b"hello")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk: break
    data += chunk
host, port = s.getsockname()
print("%s:%d|%s" % (host, port, data.decode()))
