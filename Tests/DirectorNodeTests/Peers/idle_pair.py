# idle_pair.py HOST PORT: one connection says nothing, another sends a byte every 0.2 s six times, then both
# wait (30 s at most) and print CLOSED when the peer closed them, DATA when it sent something.
import socket, sys, time
address = (sys.argv[1], int(sys.argv[2]))
quiet = socket.create_connection(address)
chatty = socket.create_connection(address)
for _ in range(6):
    chatty.sendall(b"x")
    time.sleep(0.2)
for s in (quiet, chatty):
    s.settimeout(30)
    print("CLOSED" if s.recv(100) == b"" else "DATA")
