/// The Python 3 programs the director tests run as real servers and clients on loopback.
enum PythonScripts {
    /// `backend.py MODE HOST PORT NAME`:
    /// - http: HTTP/1.1 server answering `NAME PATH\n` (keep-alive, threaded);
    /// - eof: reads until the client half-closes, then answers `NAME got N bytes\n` and closes;
    /// - udp: answers every datagram with `NAME:` + the datagram;
    /// - flood: writes 64 KiB chunks as fast as the peer takes them; prints the running total to stdout.
    static let backend = #"""
    import sys, socket, threading, http.server
    mode, host, port, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if mode == "http":
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                body = (name + " " + self.path + "\n").encode()
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
        S((host, port), H).serve_forever()
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
    """#

    /// `client.py get URL COUNT`: COUNT sequential GETs on fresh connections; prints `body-first-word` per line
    /// or `FAIL reason`. `client.py loop URL STOPFILE`: the same until STOPFILE exists.
    static let client = #"""
    import sys, os, http.client, urllib.parse
    mode, url = sys.argv[1], urllib.parse.urlsplit(sys.argv[2])
    def one():
        try:
            c = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
            c.request("GET", url.path or "/", headers={"Connection": "close"})
            r = c.getresponse()
            body = r.read().decode()
            c.close()
            if r.status != 200:
                return "FAIL status %d" % r.status
            return body.split(" ")[0].strip()
        except Exception as e:
            return "FAIL " + type(e).__name__ + " " + str(e).replace("\n", " ")
    if mode == "get":
        for _ in range(int(sys.argv[3])):
            print(one(), flush=True)
    else:
        while not os.path.exists(sys.argv[3]):
            print(one(), flush=True)
    """#
}
