# udp_flows.py HOST PORT: four client sockets each send three datagrams `cN-I` and print every answer.
import socket, sys
address = (sys.argv[1], int(sys.argv[2]))
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
for s in socks: s.settimeout(5)
for i in range(3):
    for n, s in enumerate(socks):
        s.sendto(b"c%d-%d" % (n, i), address)
        data, _ = s.recvfrom(1000)
        print(data.decode())
