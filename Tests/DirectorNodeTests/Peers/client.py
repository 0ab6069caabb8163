# client.py get URL COUNT: COUNT sequential GETs on fresh connections; prints the body's first word per line
# or `FAIL reason`. client.py loop URL STOPFILE: the same until STOPFILE exists.
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
