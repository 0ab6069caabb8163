# backend.py MODE HOST PORT NAME: a real server for the director tests.
# - http: HTTP/1.1 server answering `NAME PATH\n` (keep-alive, threaded);
# - https CERT KEY: the same over TLS, answering `NAME PATH X-Forwarded-Proto\n`;
# - eof: reads until the client half-closes, then answers `NAME got N bytes\n` and closes;
# - udp: answers every datagram with `NAME:` + the datagram (prints `ready` once bound);
# - flood: writes 64 KiB chunks as fast as the peer takes them; prints the running total to stdout.
import sys, socket, threading, http.server, ssl
mode, host, port, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if mode in ("http", "https"):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_GET(self):
            proto = " " + self.headers.get("X-Forwarded-Proto", "-") if mode == "https" else ""
            body = (name + " " + self.path + proto + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass
    class S(http.server.ThreadingHTTPServer):
        allow_reuse_address = True
        daemon_threads = True
        request_queue_size = 1024
    server = S((host, port), H)
    if mode == "https":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[5], sys.argv[6])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
elif mode == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    print("ready", flush=True)
    while True:
        data, addr = s.recvfrom(65535)
        s.sendto(name.encode() + b":" + data, addr)
else:
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(128)
    def serve(c):
        try:
            if mode == "eof":
                total = 0
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    total += len(b)
                c.sendall((name + " got %d bytes\n" % total).encode())
            elif mode == "flood":
                chunk = b"x" * 65536
                sent = 0
                while True:
                    sent += c.send(chunk)
                    print(sent, flush=True)
        except OSError:
            pass
        finally:
            c.close()
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
