#!/usr/bin/env python3
"""ICP (RFC 2186) query->reply latency: sends COUNT ICP_OP_QUERY datagrams one after another from SOURCE to
HOST:PORT for URL and prints p50/p99/mean in microseconds and the reply opcodes seen. With EXPECT (an opcode name
such as HIT) it exits 1 unless every query got that reply, so a latency is never reported for the wrong answer.
Usage: icp-latency.py SOURCE HOST PORT URL [COUNT] [EXPECT]"""
import socket, struct, sys, time, collections

source, host, port, url = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
count = int(sys.argv[5]) if len(sys.argv) > 5 else 5000
expect = sys.argv[6] if len(sys.argv) > 6 else None
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((source, 0))
sock.settimeout(2)
payload = b"\0\0\0\0" + url.encode() + b"\0"
samples, opcodes, lost = [], collections.Counter(), 0
names = {2: "HIT", 3: "MISS", 4: "ERR", 21: "MISS_NOFETCH", 22: "DENIED", 23: "HIT_OBJ"}
for n in range(1, count + 1):
    message = struct.pack("!BBHIIII", 1, 2, 20 + len(payload), n, 0, 0, 0) + payload
    start = time.perf_counter_ns()
    sock.sendto(message, (host, port))
    while True:
        try:
            data, _ = sock.recvfrom(65536)
        except socket.timeout:
            lost += 1
            break
        if len(data) >= 8 and struct.unpack("!I", data[4:8])[0] == n:
            samples.append((time.perf_counter_ns() - start) / 1000)
            opcodes[names.get(data[0], str(data[0]))] += 1
            break
samples.sort()
if not samples:
    print("no replies"); sys.exit(1)
p = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
line = f"p50 {p(0.50):.0f} p99 {p(0.99):.0f} mean {sum(samples) / len(samples):.0f} us; replies {dict(opcodes)}; lost {lost}"
print(line)
if expect is not None and (lost or set(opcodes) != {expect}):
    print(f"error: expected {count} {expect} replies from {host}:{port} for {url}, got {dict(opcodes)} and {lost} lost", file=sys.stderr)
    sys.exit(1)
