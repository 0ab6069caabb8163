# proxy_early_fin.py HOST PORT COUNT: COUNT times, a PROXY v1 header, 5 bytes and a FIN sent before the
# director has a server connection; prints each answer.
import socket, sys
host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for _ in range(count):
    s = socket.create_connection((host, port))
    s.sendall(b"PROXY TCP4 192.0.2.7 %s 40000 %d\r\nearly" % (host.encode(), port))
    s.shutdown(socket.SHUT_WR)
    s.settimeout(10)
    print(s.makefile().read().strip())
