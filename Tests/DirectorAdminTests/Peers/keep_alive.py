# keep_alive.py HOST PORT: three GETs and a HEAD on one keep-alive connection; prints, as JSON, per request
# [status, Connection or Content-Length header, body length, client port].
import http.client, json, sys
conn = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]))
out = []
for path in ["/api/stats", "/api/services/fwm-5", "/metrics"]:
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    out.append([r.status, r.getheader("Connection"), len(body), conn.sock.getsockname()[1]])
conn.request("HEAD", "/api/stats")
r = conn.getresponse()
out.append([r.status, r.getheader("Content-Length"), len(r.read()), conn.sock.getsockname()[1]])
print(json.dumps(out))
