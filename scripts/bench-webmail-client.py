"""The webmail benchmark's client: signs in over HTTPS (one keep-alive connection), then times message-list and
message-view requests on a large INBOX and prints one JSON object of p50/p99 latencies in milliseconds.

    bench-webmail-client.py BASE_URL USER PASSWORD REQUESTS"""
import http.client
import json
import random
import re
import ssl
import sys
import time
import urllib.parse

BASE, USER, PASSWORD, REQUESTS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
URL = urllib.parse.urlsplit(BASE)
connection = http.client.HTTPSConnection(URL.hostname, URL.port, context=ssl._create_unverified_context(), timeout=300)
cookie = None


def get(path, form=None):
    global cookie
    headers = {"Host": URL.netloc}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookie:
        headers["Cookie"] = cookie
    connection.request("POST" if form is not None else "GET", path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    if response.getheader("Set-Cookie"):
        cookie = response.getheader("Set-Cookie").split(";")[0]
    if response.status not in (200, 303):
        raise RuntimeError(f"{path}: {response.status}")
    return data.decode("utf-8", "replace")


def timed(paths):
    samples = []
    for path in paths:
        start = time.perf_counter()
        get(path)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"p50": round(samples[len(samples) // 2], 2), "p99": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2), "n": len(samples)}


get("/login", {"user": USER, "password": PASSWORD})
first = get("/mail")
uids = [int(u) for u in re.findall(r"uid=(\d+)\">", first)]
total = int(re.search(r"\((\d+) messages\)", first).group(1))
pages = max(1, total // 50)
rng = random.Random(18)
all_uids = list(range(1, total + 1))
result = {"messages": total}
result["list_first_page"] = timed(["/mail"] * REQUESTS)
result["list_random_page"] = timed([f"/mail?page={rng.randint(1, pages)}" for _ in range(REQUESTS)])
get("/mail?sort=subject")  # reads every header once into the summary cache
result["list_by_subject"] = timed(["/mail?sort=subject"] * max(5, REQUESTS // 10))
result["view_message"] = timed([f"/read?folder=INBOX&uid={rng.choice(all_uids)}" for _ in range(REQUESTS)])
# First views of unread messages (each sets \Seen: a rename in cur/), then the same messages viewed again.
unread = []
page = 1
while len(unread) < REQUESTS and page <= pages + 1:
    unread += [int(u) for u in re.findall(r'<tr class="unread"><td><input type="checkbox" name="uid" value="(\d+)"', get(f"/mail?page={page}"))]
    page += 1
unread = unread[:REQUESTS]
if unread:
    result["view_unread_first"] = timed([f"/read?folder=INBOX&uid={uid}" for uid in unread])
    result["view_unread_again"] = timed([f"/read?folder=INBOX&uid={uid}" for uid in unread])
get("/mail?sort=thread")  # reads every header once into the thread values cache
result["list_by_thread"] = timed(["/mail?sort=thread"] * max(5, REQUESTS // 10))
result["search_body"] = timed(["/mail?q=zebra"] * 3)
print(json.dumps(result))
