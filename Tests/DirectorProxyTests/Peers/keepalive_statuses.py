# keepalive_statuses.py HOST PORT SOURCE: GETs /down/1, /ok, /empty/2, /ok2 on one keep-alive connection from
# SOURCE; prints `STATUS:FIRSTWORD` for each, space-separated.
import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), source_address=(sys.argv[3], 0))
out = []
for path in ["/down/1", "/ok", "/empty/2", "/ok2"]:
    c.request("GET", path)
    r = c.getresponse()
    out.append("%d:%s" % (r.status, r.read().decode().split(" ")[0]))
print(" ".join(out))
