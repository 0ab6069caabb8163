# Slow and unauthenticated clients against the admin API (issue 10 item 6); prints what each saw as JSON.
import json, socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])

def read_all(s):
    data = b""
    s.settimeout(10)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    return data

def status(data):
    return data.split(b"\r\n", 1)[0].decode() if data else ""

out = {}
slow = [socket.create_connection((host, port)) for _ in range(2)]
for s in slow:
    s.sendall(b"POST /api/services HTTP/1.1\r\nHost: x\r\n")
time.sleep(0.1)
out["third"] = status(read_all(socket.create_connection((host, port))))
start = time.time()
out["slow"] = [status(read_all(s)) for s in slow]
out["slow_closed_within"] = time.time() - start

s = socket.create_connection((host, port))
s.sendall(b"POST /api/services HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\nContent-Length: 100\r\n\r\n{\"add")
out["short_body"] = status(read_all(s))

s = socket.create_connection((host, port))
s.sendall(b"POST /api/services HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nContent-Length: 60000\r\n\r\n")
s.settimeout(10)
out["unauthenticated"] = status(s.recv(65536))
print(json.dumps(out))
