# held_connection.py HOST PORT BEFORE AFTER: sends BEFORE bytes, prints SENT, waits for a line on stdin, sends
# AFTER bytes, shuts down its sending side and prints the answer.
import socket, sys
host, port, before, after = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.create_connection((host, port))
s.sendall(b"z" * before)
print("SENT", flush=True)
sys.stdin.readline()
if after:
    s.sendall(b"z" * after)
s.shutdown(socket.SHUT_WR)
print(s.makefile().read().strip(), flush=True)
