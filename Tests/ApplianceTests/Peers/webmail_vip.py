#!/usr/bin/env python3
"""A webmail user through an appliance's HTTPS VIP (certificate checked against the appliance's CA file).

    webmail_vip.py read BASE_URL CA_FILE USER PASSWORD SUBJECT    sign in, find SUBJECT, read it, stay on one node
    webmail_vip.py admin BASE_URL CA_FILE USER PASSWORD [NEW_LOGIN NEW_PASSWORD]
                                                                  sign in, open /admin and /api/admin/users, add a user

Cookies (the director's SHOALSRV and the webmail session) are kept by hand so the test can see them.
Prints one JSON object of observations; the Swift test asserts on them."""
import http.client
import json
import re
import ssl
import sys
import urllib.parse

COMMAND, BASE, CA = sys.argv[1], sys.argv[2], sys.argv[3]
URL = urllib.parse.urlsplit(BASE)
CONTEXT = ssl.create_default_context(cafile=CA)


class Browser:
    def __init__(self):
        self.cookies = {}
        self.director_cookies = []

    def request(self, method, path, form=None):
        conn = http.client.HTTPSConnection(URL.hostname, URL.port, context=CONTEXT, timeout=60)
        headers = {"Host": URL.netloc}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join("%s=%s" % item for item in self.cookies.items())
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";")[0]
            if name == "SHOALSRV":
                self.director_cookies.append(value)
        conn.close()
        return response.status, data


def main():
    user, password = sys.argv[4], sys.argv[5]
    browser = Browser()
    facts = {}
    status, _ = browser.request("POST", "/login", {"user": user, "password": password})
    facts["login_status"] = status
    if COMMAND == "read":
        subject = sys.argv[6]
        status, page = browser.request("GET", "/mail?q=" + urllib.parse.quote(subject))
        facts["list_status"] = status
        match = re.search(r'href="(/read\?folder=INBOX&amp;uid=\d+|/read\?folder=INBOX&uid=\d+)">' + re.escape(subject), page)
        facts["found"] = match is not None
        if match:
            status, page = browser.request("GET", match.group(1).replace("&amp;", "&"))
            facts["read_status"] = status
            facts["read_shows_body"] = "sent through the director" in page
        statuses = []
        for _ in range(10):
            status, page = browser.request("GET", "/mail")
            statuses.append(status)
        facts["statuses"] = statuses
        facts["still_signed_in"] = 'name="csrf"' in page
    else:
        status, page = browser.request("GET", "/admin")
        facts["admin_status"] = status
        facts["admin_lists_alice"] = "alice" in page
        status, page = browser.request("GET", "/api/admin/users")
        facts["api_status"] = status
        if status == 200:
            data = json.loads(page)
            users = data if isinstance(data, list) else data.get("users", [])
            facts["api_logins"] = sorted(u.get("login") for u in users)
        else:
            facts["api_logins"] = page[:200]
        if len(sys.argv) > 7:
            status, page = browser.request("GET", "/api/admin/session")
            csrf = json.loads(page)["csrf"] if status == 200 else ""
            status, page = browser.request("POST", "/api/admin/users/add", {"csrf": csrf, "login": sys.argv[6], "password": sys.argv[7],
                                                                           "address": sys.argv[6] + "@shoal.test", "quota_mb": ""})
            facts["add_status"] = status
            facts["add_answer"] = page[:500]
    facts["director_cookies"] = browser.director_cookies
    facts["session_cookie"] = any(name.startswith("__Host-") for name in browser.cookies)
    print(json.dumps(facts))


main()
