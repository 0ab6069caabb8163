# non_reader.py HOST PORT SECONDS: connects with a small receive buffer, never reads, prints `done` after SECONDS.
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
time.sleep(float(sys.argv[3]))
print("done")
