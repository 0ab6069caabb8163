"""The webmail benchmark's client for Roundcube (the anchor): signs in over HTTPS (one keep-alive connection, the
session cookies and request token handled as a browser does), then times the same requests as
bench-webmail-client.py does on Shoal — list pages (Roundcube's AJAX list action, 50 per page), the list sorted by
subject, a message view (the full `show` page), a body search — and prints one JSON object of p50/p99 latencies in ms.

    bench-webmail-roundcube-client.py BASE_URL USER PASSWORD REQUESTS MESSAGES"""
import http.client
import json
import random
import re
import ssl
import sys
import time
import urllib.parse

BASE, USER, PASSWORD, REQUESTS, MESSAGES = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
URL = urllib.parse.urlsplit(BASE)
connection = http.client.HTTPSConnection(URL.hostname, URL.port, context=ssl._create_unverified_context(), timeout=300)
cookies = {}
token = None


def request(path, form=None, ajax=False, expect=(200,)):
    headers = {"Host": URL.netloc}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if ajax:
        headers["X-Roundcube-Request"] = token
        headers["X-Requested-With"] = "XMLHttpRequest"
    connection.request("POST" if form is not None else "GET", path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read().decode("utf-8", "replace")
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            pair = value.split(";")[0]
            key, _, val = pair.partition("=")
            if val in ("", "-del-", "deleted"):
                cookies.pop(key, None)
            else:
                cookies[key] = val
    if response.status not in expect:
        raise RuntimeError(f"{path}: {response.status}\n{data[:2000]}")
    return data


def timed(paths, ajax=True, check=None):
    samples = []
    for path in paths:
        start = time.perf_counter()
        data = request(path, ajax=ajax)
        samples.append((time.perf_counter() - start) * 1000)
        if check and not check(data):
            raise RuntimeError(f"{path}: unexpected answer\n{data[:2000]}")
    samples.sort()
    return {"p50": round(samples[len(samples) // 2], 2), "p99": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2), "n": len(samples)}


login = request("/")
login_token = re.search(r'name="_token" value="([^"]+)"', login).group(1)
request("/?_task=login", {"_token": login_token, "_task": "login", "_action": "login", "_timezone": "UTC", "_url": "",
                          "_user": USER, "_pass": PASSWORD}, expect=(302,))
mail = request("/?_task=mail&_mbox=INBOX")
token = re.search(r'"request_token":"([^"]+)"', mail).group(1)


def listed(data):
    """An AJAX list answer with message rows (Roundcube sends them as add_message_row calls)."""
    return data.count("add_message_row") >= 1


pages = max(1, MESSAGES // 50)
rng = random.Random(18)
result = {"messages": MESSAGES}
request("/?_task=mail&_action=list&_mbox=INBOX&_sort=arrival_DESC&_page=1&_remote=1", ajax=True)
result["list_first_page"] = timed(["/?_task=mail&_action=list&_mbox=INBOX&_page=1&_remote=1"] * REQUESTS, check=listed)
result["list_random_page"] = timed([f"/?_task=mail&_action=list&_mbox=INBOX&_page={rng.randint(1, pages)}&_remote=1"
                                    for _ in range(REQUESTS)], check=listed)
request("/?_task=mail&_action=list&_mbox=INBOX&_sort=subject_ASC&_page=1&_remote=1", ajax=True)
result["list_by_subject"] = timed(["/?_task=mail&_action=list&_mbox=INBOX&_page=1&_remote=1"] * max(5, REQUESTS // 10), check=listed)
request("/?_task=mail&_action=list&_mbox=INBOX&_sort=arrival_DESC&_page=1&_remote=1", ajax=True)
result["view_message"] = timed([f"/?_task=mail&_action=show&_uid={rng.randint(1, MESSAGES)}&_mbox=INBOX" for _ in range(REQUESTS)],
                               ajax=False, check=lambda data: 'id="messagebody"' in data or "messagebody" in data)
result["search_body"] = timed(["/?_task=mail&_action=search&_q=zebra&_headers=body&_filter=ALL&_scope=base&_mbox=INBOX&_remote=1"] * 3)
print(json.dumps(result))
