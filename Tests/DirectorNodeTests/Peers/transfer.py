# transfer.py server HOST PORT: reads each connection until EOF, then answers `COUNT SHA256\n` and echoes
# every byte back, and closes (threaded).
# transfer.py client HOST PORT SIZE: sends SIZE random bytes, shuts down its sending side, reads the answer;
# prints `OK SIZE` when the count, the digest and the echo match, else `FAIL reason`.
# transfer.py probe HOST PORT: sends `x`, shuts down its sending side, prints the answer or `EMPTY` (closed
# without a byte) or `RESET` (reset, or closed before `x` could be sent).
import hashlib, os, socket, sys, threading
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
def read_all(s):
    chunks = []
    while True:
        b = s.recv(1 << 16)
        if not b:
            return b"".join(chunks)
        chunks.append(b)
if mode == "server":
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(128)
    def serve(c):
        try:
            data = read_all(c)
            c.sendall(("%d %s\n" % (len(data), hashlib.sha256(data).hexdigest())).encode() + data)
        except OSError:
            pass
        finally:
            c.close()
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
elif mode == "client":
    size = int(sys.argv[4])
    payload = os.urandom(size)
    s = socket.create_connection((host, port), timeout=60)
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    answer = read_all(s)
    head, _, echo = answer.partition(b"\n")
    expected = ("%d %s" % (size, hashlib.sha256(payload).hexdigest())).encode()
    if head != expected:
        print("FAIL header %r" % head[:100])
    elif echo != payload:
        print("FAIL echo of %d bytes differs" % len(echo))
    else:
        print("OK %d" % size)
else:
    try:
        s = socket.create_connection((host, port), timeout=60)
        s.sendall(b"x")
        s.shutdown(socket.SHUT_WR)
        answer = read_all(s)
        print(answer.decode().strip() if answer else "EMPTY")
    except (ConnectionResetError, BrokenPipeError):
        print("RESET")
    except OSError as e:
        if e.errno == 107:  # ENOTCONN: the peer reset the connection before our shutdown
            print("RESET")
            sys.exit(0)
        print("ERROR %s %s" % (type(e).__name__, e))
