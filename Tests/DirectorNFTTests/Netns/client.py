"""Opens one TCP connection per stdin line "SRC_ADDR SRC_PORT DST_ADDR DST_PORT" (SRC_PORT 0: any),
asks GET /id and prints the body (the real server's name) or "ERR <reason>", one line each."""
import socket
import sys

for line in sys.stdin:
    fields = line.split()
    if len(fields) != 4:
        continue
    src, sport, dst, dport = fields[0], int(fields[1]), fields[2], int(fields[3])
    try:
        with socket.create_connection((dst, dport), timeout=5, source_address=(src, sport)) as s:
            s.sendall(b"GET /id HTTP/1.0\r\nHost: test\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        print(body.decode().strip() if b" 200 " in status else "ERR " + status.decode(errors="replace"), flush=True)
    except OSError as e:
        print("ERR", e, flush=True)
