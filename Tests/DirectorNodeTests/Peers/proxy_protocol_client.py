# proxy_protocol_client.py HOST PORT SOURCE: GET / from SOURCE; prints its own address:port, then the body.
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), source_address=(sys.argv[3], 0))
s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
data = s.makefile("rb").read().decode()
print("%s:%d" % s.getsockname())
print(data.split("\r\n\r\n", 1)[1].strip())
