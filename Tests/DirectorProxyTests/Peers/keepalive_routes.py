# keepalive_routes.py HOST PORT SOURCE: five requests on one keep-alive connection from SOURCE, each to a
# different pool; prints, space-separated, each answer's first word and the client port it went over.
import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), source_address=(sys.argv[3], 0))
names = []
for method, path, headers in [("GET", "/a.png", {}), ("GET", "/b.png", {}), ("POST", "/api/x", {}),
                              ("GET", "/", {"Host": "static.example.com"}), ("GET", "/c", {"X-Beta": "1"})]:
    c.request(method, path, body=("x" if method == "POST" else None), headers=headers)
    r = c.getresponse()
    names.append(r.read().decode().split(" ")[0])
    names.append(str(c.sock.getsockname()[1]))
print(" ".join(names))
