"""The JSON admin API against a mail node whose directory is a real slapd: every change read back from LDAP with
ldapsearch (as the directory's admin) right after the API call.

    admin_api.py BASE_URL LDAP_URI ADMIN_DN ADMIN_PASSWORD PEOPLE_DN

Prints one JSON object: per step, the HTTP status, the API's answer and the LDIF of uid=dave after it."""
import http.client
import json
import ssl
import subprocess
import sys
import urllib.parse

BASE, LDAP_URI, ADMIN_DN, ADMIN_PW, PEOPLE_DN = sys.argv[1:6]
URL = urllib.parse.urlsplit(BASE)
CONTEXT = ssl._create_unverified_context()


class Browser:
    def __init__(self):
        self.cookie = None

    def request(self, method, path, form=None):
        conn = http.client.HTTPSConnection(URL.hostname, URL.port, context=CONTEXT, timeout=60)
        headers = {"Host": URL.netloc}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookie:
            headers["Cookie"] = self.cookie
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        set_cookie = response.getheader("Set-Cookie")
        if set_cookie and set_cookie.startswith("__Host-"):
            pair = set_cookie.split(";")[0]
            self.cookie = None if pair.endswith("=") else pair
        conn.close()
        return response.status, data


def ldap(login):
    result = subprocess.run(["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", LDAP_URI, "-D", ADMIN_DN, "-w", ADMIN_PW,
                             "-b", PEOPLE_DN, "(uid=%s)" % login, "*"], capture_output=True, text=True, timeout=60)
    return result.stdout if result.returncode == 0 else "ldapsearch exited %d: %s" % (result.returncode, result.stderr)


def signs_in(login, password):
    status, _ = Browser().request("POST", "/login", {"user": login, "password": password})
    return status


def main():
    facts = {}
    admin = Browser()
    facts["admin_login"] = admin.request("POST", "/login", {"user": "alice", "password": "alice-password"})[0]
    status, body = admin.request("GET", "/api/admin/session")
    csrf = json.loads(body)["csrf"]
    steps = [
        ("add", "/api/admin/users/add", {"login": "dave", "password": "dave-password-1", "address": "dave@shoal.test", "quota_mb": ""}),
        ("password", "/api/admin/users/password", {"login": "dave", "password": "dave-password-2"}),
        ("quota", "/api/admin/users/quota", {"login": "dave", "quota_mb": "5", "quota_messages": "100"}),
        ("aliases", "/api/admin/users/aliases", {"login": "dave", "add": "dave.alias@shoal.test", "remove": ""}),
        ("disable", "/api/admin/users/disable", {"login": "dave"}),
        ("enable", "/api/admin/users/enable", {"login": "dave"}),
        ("delete", "/api/admin/users/delete", {"login": "dave"}),
    ]
    for name, path, form in steps:
        status, body = admin.request("POST", path, dict(form, csrf=csrf))
        facts[name] = {"status": status, "answer": body[:2000], "ldif": ldap("dave")}
        if name == "add":
            facts[name]["signs_in"] = signs_in("dave", "dave-password-1")
        if name == "password":
            facts[name]["old_password"] = signs_in("dave", "dave-password-1")
            facts[name]["new_password"] = signs_in("dave", "dave-password-2")
        if name == "disable":
            facts[name]["signs_in"] = signs_in("dave", "dave-password-2")
        if name == "enable":
            facts[name]["signs_in"] = signs_in("dave", "dave-password-2")
    # Without the token nothing changes.
    status, _ = admin.request("POST", "/api/admin/users/disable", {"login": "bob", "csrf": "x" * len(csrf)})
    facts["forged_status"] = status
    facts["bob_after_forgery"] = ldap("bob")
    print(json.dumps(facts))


main()
