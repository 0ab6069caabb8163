"""A scripted webmail user over HTTPS (http.client, no cookie jar: the session cookie is handled by hand so its
attributes can be checked), with Python's imaplib on the same node to see what the webmail changed.

    webmail_client.py SCENARIO BASE_URL IMAP_HOST IMAP_PORT [SUBMISSION_PORT [EXTRA_JSON]]

Prints one JSON object of observations; the Swift test asserts on them."""
import http.client
import imaplib
import json
import os
import re
import smtplib
import ssl
import sys
import time
import urllib.parse

SCENARIO, BASE, IMAP_HOST, IMAP_PORT = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
SUBMISSION_PORT = int(sys.argv[5]) if len(sys.argv) > 5 else None
EXTRA = json.loads(sys.argv[6]) if len(sys.argv) > 6 else {}
URL = urllib.parse.urlsplit(BASE)
CONTEXT = ssl._create_unverified_context()
facts = {}


class Browser:
    def __init__(self):
        self.cookie = None
        self.set_cookie = None

    def request(self, method, path, form=None, headers=None, cookie=True):
        conn = http.client.HTTPSConnection(URL.hostname, URL.port, context=CONTEXT, timeout=60)
        h = {"Host": URL.netloc}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        if cookie and self.cookie:
            h["Cookie"] = self.cookie
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        response = conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        set_cookie = response.getheader("Set-Cookie")
        if set_cookie:
            self.set_cookie = set_cookie
            pair = set_cookie.split(";")[0]
            self.cookie = None if pair.endswith("=") else pair
        conn.close()
        return response.status, dict((k.lower(), v) for k, v in response.getheaders()), data

    def sign_in(self, user, password):
        return self.request("POST", "/login", {"user": user, "password": password})

    def csrf(self, page):
        match = re.search(r'name="csrf" value="([^"]+)"', page)
        return match.group(1) if match else None


def imap(user, password):
    client = imaplib.IMAP4(IMAP_HOST, IMAP_PORT)
    client.starttls(ssl_context=CONTEXT)
    client.login(user, password)
    return client


def imap_flags(client, folder, uid):
    client.select(folder)
    typ, data = client.uid("FETCH", str(uid), "(FLAGS)")
    return data[0].decode() if data and data[0] else ""


def imap_subjects(client, folder):
    typ, _ = client.select(folder)
    if typ != "OK":
        return []
    typ, data = client.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    subjects = []
    for uid in uids:
        typ, fetched = client.uid("FETCH", uid, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subjects.append(fetched[0][1].decode().strip().replace("Subject: ", ""))
    return subjects


def append(client, folder, message):
    client.append(folder, None, None, message.encode())


def flow():
    """Sign-in, list, read, flag, send to bob, delete, sign-out; CSRF and fixation checks on the way."""
    anonymous = Browser()
    status, headers, _ = anonymous.request("GET", "/mail")
    facts["anonymous_mail_status"] = status
    facts["anonymous_mail_location"] = headers.get("location")

    alice_imap = imap("alice", "alice-password")
    append(alice_imap, "INBOX", "From: Bob <bob@shoal.test>\r\nTo: alice@shoal.test\r\nSubject: Lunch plans\r\n\r\nNoon at the usual place?\r\n")
    append(alice_imap, "INBOX", "From: carol@shoal.test\r\nSubject: Quarterly report\r\n\r\nNumbers attached.\r\n")

    browser = Browser()
    status, _, page = browser.sign_in("alice", "wrong-password")
    facts["wrong_password_status"] = status
    facts["wrong_password_cookie"] = browser.cookie
    # Session fixation: a cookie planted before sign-in is never adopted.
    browser.cookie = "__Host-shoal-webmail=planted.AAAA"
    status, headers, _ = browser.sign_in("alice", "alice-password")
    facts["sign_in_status"] = status
    facts["sign_in_location"] = headers.get("location")
    facts["set_cookie"] = browser.set_cookie
    facts["cookie_changed"] = browser.cookie is not None and "planted" not in browser.cookie

    status, headers, page = browser.request("GET", "/mail")
    facts["list_status"] = status
    facts["csp"] = headers.get("content-security-policy")
    facts["list_has_subjects"] = "Lunch plans" in page and "Quarterly report" in page
    facts["inbox_unread"] = re.search(r'folder=INBOX">INBOX <span class="unread" aria-label="unread">\((\d+)\)', page).group(1)
    csrf = browser.csrf(page)
    uid = int(re.search(r'href="/read\?folder=INBOX&uid=(\d+)">Lunch plans', page).group(1))

    status, _, page = browser.request("GET", "/mail?q=quarterly")
    facts["search_finds"] = "Quarterly report" in page and "Lunch plans" not in page
    status, _, page = browser.request("GET", "/mail?sort=subject")
    facts["sorted_by_subject"] = page.find("Lunch plans") < page.find("Quarterly report")

    status, _, page = browser.request("GET", f"/read?folder=INBOX&uid={uid}")
    facts["read_status"] = status
    facts["read_shows_body"] = "Noon at the usual place?" in page
    facts["imap_flags_after_read"] = imap_flags(alice_imap, "INBOX", uid)

    status, _, _ = browser.request("POST", "/action", {"folder": "INBOX", "uid": uid, "op": "flag"})
    facts["flag_without_token_status"] = status
    status, _, _ = browser.request("POST", "/action", {"csrf": "x" * len(csrf), "folder": "INBOX", "uid": uid, "op": "flag"})
    facts["flag_with_wrong_token_status"] = status
    status, _, _ = browser.request("POST", "/action", {"csrf": csrf, "folder": "INBOX", "uid": uid, "op": "flag"},
                                   headers={"Origin": "https://evil.example"})
    facts["flag_cross_origin_status"] = status
    facts["imap_flags_after_refused"] = imap_flags(alice_imap, "INBOX", uid)
    status, headers, _ = browser.request("POST", "/action", {"csrf": csrf, "folder": "INBOX", "uid": uid, "op": "flag"})
    facts["flag_status"] = status
    facts["imap_flags_after_flag"] = imap_flags(alice_imap, "INBOX", uid)
    browser.request("POST", "/action", {"csrf": csrf, "folder": "INBOX", "uid": uid, "op": "unseen"})
    facts["imap_flags_after_unseen"] = imap_flags(alice_imap, "INBOX", uid)

    status, _, _ = browser.request("POST", "/send", {"csrf": csrf, "to": "bob@shoal.test", "subject": "x" * 1025, "text": "t"})
    facts["overlong_subject_status"] = status
    status, headers, _ = browser.request("POST", "/send", {"csrf": csrf, "to": "bob@shoal.test", "cc": "", "subject": "Webmail hello",
                                                            "text": "Sent from the web.\nSecond line.", "in_reply_to": "", "references": "", "forward": ""})
    facts["send_status"] = status
    facts["send_location"] = headers.get("location")
    bob_imap = imap("bob", "bob-password")
    facts["bob_inbox"] = imap_subjects(bob_imap, "INBOX")
    facts["alice_sent"] = imap_subjects(alice_imap, "Sent")

    status, _, page = browser.request("GET", f"/compose?mode=reply&folder=INBOX&uid={uid}")
    facts["reply_prefilled"] = 'value="bob@shoal.test"' in page and 'value="Re: Lunch plans"' in page

    status, _, _ = browser.request("POST", "/action", {"csrf": csrf, "folder": "INBOX", "uid": uid, "op": "delete"})
    facts["delete_status"] = status
    facts["inbox_after_delete"] = imap_subjects(alice_imap, "INBOX")
    facts["trash_after_delete"] = imap_subjects(alice_imap, "Trash")

    status, _, page = browser.request("GET", "/admin")
    facts["admin_page_for_admin"] = status

    bob = Browser()
    bob.sign_in("bob", "bob-password")
    status, _, page = bob.request("GET", "/admin")
    facts["admin_page_for_user"] = status
    status, _, _ = bob.request("GET", "/api/admin/users")
    facts["admin_api_for_user"] = status
    status, _, page = bob.request("GET", "/mail")
    bob_csrf = bob.csrf(page)
    status, _, _ = bob.request("POST", "/admin/delete", {"csrf": bob_csrf, "login": "alice"})
    facts["admin_delete_for_user"] = status

    old_cookie = browser.cookie
    status, headers, _ = browser.request("POST", "/logout", {"csrf": csrf})
    facts["logout_status"] = status
    facts["logout_set_cookie"] = browser.set_cookie
    replay = Browser()
    replay.cookie = old_cookie
    status, headers, _ = replay.request("GET", "/mail")
    facts["after_logout_status"] = status
    alice_imap.logout()
    bob_imap.logout()


def admin():
    """The administrator adds a user, who signs in and receives mail; a password change ends their sessions."""
    browser = Browser()
    browser.sign_in("alice", "alice-password")
    status, _, page = browser.request("GET", "/admin")
    csrf = browser.csrf(page)
    facts["admin_lists_bob"] = 'class="login">bob' in page
    status, headers, _ = browser.request("POST", "/admin/add", {"csrf": csrf, "login": "dave", "address": "dave@shoal.test",
                                                                 "password": "dave-password", "quota_mb": "10"})
    facts["add_status"] = status
    facts["add_location"] = headers.get("location")
    status, _, page = browser.request("GET", "/admin?q=dave")
    facts["search_shows_dave"] = 'class="login">dave' in page and 'class="login">bob' not in page
    status, _, body = browser.request("GET", "/api/admin/users")
    facts["api_logins"] = [user["login"] for user in json.loads(body)]

    dave = Browser()
    status, _, _ = dave.sign_in("dave", "dave-password")
    facts["dave_sign_in_status"] = status
    status, _, page = dave.request("GET", "/mail")
    dave_csrf = dave.csrf(page)
    status, _, _ = browser.request("POST", "/send", {"csrf": csrf, "to": "dave@shoal.test", "subject": "Welcome dave", "text": "Hi."})
    facts["send_to_dave_status"] = status
    status, _, page = dave.request("GET", "/mail")
    facts["dave_sees_welcome"] = "Welcome dave" in page

    edit_user(browser, csrf, dave, dave_csrf)
    dave = Browser()
    dave.sign_in("dave", "dave-password")
    status, _, _ = browser.request("POST", "/admin/password", {"csrf": csrf, "login": "dave", "password": "new-dave-password"})
    facts["password_status"] = status
    status, _, _ = dave.request("GET", "/mail")
    facts["dave_after_password_change"] = status
    status, _, _ = Browser().sign_in("dave", "new-dave-password")
    facts["dave_new_password_status"] = status
    status, _, _ = browser.request("POST", "/admin/delete", {"csrf": csrf, "login": "dave"})
    facts["delete_status"] = status
    status, _, _ = Browser().sign_in("dave", "new-dave-password")
    facts["dave_after_delete_status"] = status

    # The same edit as JSON for scripts: the token from /api/admin/session, answers as JSON.
    status, _, body = browser.request("GET", "/api/admin/session")
    api_csrf = json.loads(body)["csrf"]
    facts["api_session_csrf_matches"] = api_csrf == csrf
    status, headers, body = browser.request("POST", "/api/admin/users/update", {"csrf": api_csrf, "login": "bob", "address": "bob@shoal.test, robert@shoal.test",
                                                                                 "quota_mb": "7", "quota_messages": "", "enabled": "yes"})
    facts["api_update_status"] = status
    facts["api_update_type"] = headers.get("content-type")
    facts["api_update_user"] = json.loads(body)
    status, _, body = browser.request("POST", "/api/admin/users/update", {"csrf": api_csrf, "login": "bob", "quota_mb": "lots", "enabled": "yes"})
    facts["api_bad_quota"] = [status, json.loads(body).get("error", "")]
    status, _, body = browser.request("POST", "/api/admin/users/update", {"csrf": api_csrf, "login": "nobody", "enabled": "yes"})
    facts["api_no_such_user_status"] = status
    status, _, _ = browser.request("POST", "/api/admin/users/update", {"login": "bob", "enabled": "no"})
    facts["api_without_token_status"] = status
    bob = Browser()
    bob.sign_in("bob", "bob-password")
    status, _, _ = bob.request("GET", "/api/admin/session")
    facts["api_session_for_user_status"] = status


def imap_login_works(user, password):
    try:
        imap(user, password).logout()
        return True
    except imaplib.IMAP4.error:
        return False


def submission_login_works(user, password):
    """AUTH over the node's submission port after STARTTLS: True when accepted, False on 535."""
    with smtplib.SMTP(IMAP_HOST, SUBMISSION_PORT, timeout=60) as client:
        client.starttls(context=CONTEXT)
        try:
            client.login(user, password)
            return True
        except smtplib.SMTPAuthenticationError:
            return False


def edit_user(browser, csrf, dave, dave_csrf):
    """The administrator edits dave: an alias and quotas, then disables and enables the account."""
    status, _, page = browser.request("GET", "/admin/user?login=dave")
    facts["edit_page_status"] = status
    facts["edit_page_shows_address"] = 'value="dave@shoal.test"' in page
    form = {"csrf": csrf, "login": "dave", "address": "dave@shoal.test, dave.alias@shoal.test", "quota_mb": "5",
            "quota_messages": "100", "enabled": "yes"}
    status, _, _ = browser.request("POST", "/admin/update", dict(form, csrf="wrong"))
    facts["update_without_token_status"] = status
    status, _, _ = dave.request("POST", "/admin/update", dict(form, csrf=dave_csrf, login="dave", quota_mb="999"))
    facts["update_by_user_status"] = status
    status, _, _ = browser.request("POST", "/admin/update", dict(form, quota_mb="1" * 10))
    facts["update_overlong_quota_status"] = status
    status, headers, _ = browser.request("POST", "/admin/update", form)
    facts["update_status"] = status
    facts["update_location"] = headers.get("location")
    status, _, body = browser.request("GET", "/api/admin/users")
    stored = [user for user in json.loads(body) if user["login"] == "dave"][0]
    facts["dave_after_update"] = {"addresses": stored["addresses"], "quotaBytes": stored.get("quotaBytes"),
                                  "quotaMessages": stored.get("quotaMessages"), "enabled": stored["enabled"]}
    browser.request("POST", "/send", {"csrf": csrf, "to": "dave.alias@shoal.test", "subject": "Via the alias", "text": "Hi."})
    status, _, page = dave.request("GET", "/mail")
    facts["dave_sees_alias_mail"] = "Via the alias" in page

    status, _, _ = browser.request("POST", "/admin/update", dict(form, enabled="no"))
    facts["disable_status"] = status
    status, headers, _ = dave.request("GET", "/mail")
    facts["disabled_session_status"] = status
    status, _, _ = Browser().sign_in("dave", "dave-password")
    facts["disabled_sign_in_status"] = status
    facts["disabled_imap_login"] = imap_login_works("dave", "dave-password")
    facts["disabled_submission_login"] = submission_login_works("dave", "dave-password")
    status, _, _ = browser.request("POST", "/admin/update", dict(form, login="alice", address="alice@shoal.test", enabled="no"))
    facts["disable_self_status"] = status

    status, _, _ = browser.request("POST", "/admin/update", form)
    facts["enable_status"] = status
    status, _, _ = Browser().sign_in("dave", "dave-password")
    facts["enabled_sign_in_status"] = status
    facts["enabled_imap_login"] = imap_login_works("dave", "dave-password")
    facts["enabled_submission_login"] = submission_login_works("dave", "dave-password")


def multipart(fields, files, boundary="----ShoalTestBoundary7MA4YWxkTrZu0gW"):
    """A multipart/form-data body as a browser frames it: (name, value) fields, (name, filename, type, bytes) files."""
    out = b""
    for name, value in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
    for name, filename, content_type, data in files:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f'Content-Type: {content_type}\r\n\r\n').encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def post_multipart(browser, path, fields, files):
    body, headers = multipart(fields, files)
    conn = http.client.HTTPSConnection(URL.hostname, URL.port, context=CONTEXT, timeout=60)
    conn.request("POST", path, body=body, headers=dict(headers, Host=URL.netloc, Cookie=browser.cookie))
    response = conn.getresponse()
    page = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, page


def upload():
    """Compose with uploaded files (multipart/form-data): bob reads them over IMAP byte for byte; limits refuse."""
    import email
    import email.policy
    browser = Browser()
    browser.sign_in("alice", "alice-password")
    status, _, page = browser.request("GET", "/compose")
    facts["compose_is_multipart"] = 'enctype="multipart/form-data"' in page and 'type="file"' in page
    csrf = browser.csrf(page)
    binary = bytes(range(256)) * 40 + b"\r\n--not-the-boundary\r\n"
    text = "Zeile mit Umlauten: äöü\n".encode() * 3
    fields = [("csrf", csrf), ("to", "bob@shoal.test"), ("cc", ""), ("subject", "With attachments"), ("text", "Two files."),
              ("in_reply_to", ""), ("references", ""), ("forward", "")]
    files = [("attachment", "C:\\Users\\alice\\data.bin", "application/octet-stream", binary),
             ("attachment", "notes äöü.txt", "text/plain", text), ("attachment", "", "application/octet-stream", b"")]
    status, _ = post_multipart(browser, "/send", [("csrf", "wrong")] + fields[1:], files)
    facts["upload_without_token_status"] = status
    status, _ = post_multipart(browser, "/send", fields, [("attachment", "big.bin", "application/octet-stream", b"x" * (10 * 1024 * 1024 + 1))])
    facts["upload_too_large_status"] = status
    status, _ = post_multipart(browser, "/send", fields, [("attachment", f"f{i}.txt", "text/plain", b"x") for i in range(11)])
    facts["upload_too_many_status"] = status
    status, _ = post_multipart(browser, "/action", [("csrf", csrf), ("folder", "INBOX"), ("op", "seen")], files[:1])
    facts["upload_elsewhere_status"] = status
    status, _ = post_multipart(browser, "/send", fields, files)
    facts["upload_status"] = status

    bob = imap("bob", "bob-password")
    bob.select("INBOX")
    typ, data = bob.uid("SEARCH", None, "SUBJECT", '"With attachments"')
    uids = data[0].split()
    facts["bob_uploads"] = len(uids)
    typ, data = bob.uid("FETCH", uids[-1], "(BODYSTRUCTURE BODY.PEEK[])")
    facts["bob_structure"] = data[0][0].decode("utf-8", "replace")
    message = email.message_from_bytes(data[0][1], policy=email.policy.default)
    parts = [part for part in message.iter_attachments()]
    # An RFC 2047 encoded word in the filename parameter (what the composer writes for non-ASCII names) decoded.
    import email.header
    facts["bob_attachment_names"] = [str(email.header.make_header(email.header.decode_header(part.get_filename() or "")))
                                     for part in parts]
    facts["bob_binary_matches"] = len(parts) > 0 and parts[0].get_payload(decode=True) == binary
    facts["bob_text_matches"] = len(parts) > 1 and parts[1].get_payload(decode=True) == text
    bob.logout()
    alice = imap("alice", "alice-password")
    facts["alice_sent"] = imap_subjects(alice, "Sent")
    alice.logout()


def hostile():
    """A hostile HTML message is shown without script, handlers or remote images, under a strict CSP."""
    alice_imap = imap("alice", "alice-password")
    html = ('<p onclick="alert(1)">Hostile <b>bold</b></p><script>alert(1)</script><img src="http://127.0.201.9:9/t.png" onerror="alert(2)">'
            '<a href="javascript:alert(3)">js</a><svg><script>alert(4)</script></svg><iframe src="https://evil.example"></iframe>'
            '<form action="https://evil.example"><input name=p></form><div style="background:url(http://x)">css</div>')
    append(alice_imap, "INBOX", "From: =?UTF-8?B?PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==?= <eve@evil.example>\r\n"
           "Subject: =?UTF-8?Q?<img_src=3Dx_onerror=3Dalert(5)>?=\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n")
    big = "From: big@shoal.test\r\nSubject: Big one\r\n\r\n" + ("0123456789" * 100 + "\r\n") * 10000
    append(alice_imap, "INBOX", big)
    browser = Browser()
    browser.sign_in("alice", "alice-password")
    status, _, page = browser.request("GET", "/mail")
    facts["list_escapes_headers"] = "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page and "<img src=x" not in page
    uids = [int(u) for u in re.findall(r'href="/read\?folder=INBOX&uid=(\d+)"', page)]
    hostile_uid, big_uid = max(uids) - 1, max(uids)
    status, headers, page = browser.request("GET", f"/read?folder=INBOX&uid={hostile_uid}")
    body = page[page.find('id="body"'):]
    facts["read_status"] = status
    facts["csp"] = headers.get("content-security-policy")
    facts["no_script"] = "<script" not in body.lower()
    facts["no_handlers"] = re.search(r"<[^>]*\son\w+\s*=", body) is None
    facts["no_javascript_url"] = "javascript:" not in body
    facts["no_iframe_form_svg"] = all(tag not in body for tag in ["<iframe", "<form", "<svg", "<input"])
    facts["no_remote_image"] = "127.0.201.9" not in body
    facts["offers_images"] = 'id="load-images"' in page
    facts["keeps_formatting"] = "<b>bold</b>" in body
    status, headers, page = browser.request("GET", f"/read?folder=INBOX&uid={hostile_uid}&images=1")
    facts["csp_with_images"] = headers.get("content-security-policy")
    status, _, page = browser.request("GET", f"/read?folder=INBOX&uid={big_uid}")
    facts["big_status"] = status
    facts["big_length"] = len(page)

    append(alice_imap, "INBOX", "From: eve@evil.example\r\nSubject: Attached\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
           "--b\r\nContent-Type: text/html; name=\"x.html\"\r\nContent-Disposition: attachment; filename=\"../../evil\\\";.html\"\r\n\r\n"
           "<script>alert(1)</script>\r\n--b--\r\n")
    status, _, page = browser.request("GET", "/mail")
    attached_uid = max(int(u) for u in re.findall(r'href="/read\?folder=INBOX&uid=(\d+)"', page))
    status, _, page = browser.request("GET", f"/read?folder=INBOX&uid={attached_uid}")
    link = re.search(r'href="(/part\?[^"]+)"', page).group(1).replace("&amp;", "&")
    status, headers, body = browser.request("GET", link)
    facts["download_status"] = status
    facts["download_type"] = headers.get("content-type")
    facts["download_disposition"] = headers.get("content-disposition")
    facts["download_body"] = body.strip()

    csrf = browser.csrf(page)
    status, _, page = browser.request("GET", f"/compose?mode=forward&folder=INBOX&uid={attached_uid}")
    forward = re.search(r'name="forward" value="([^"]+)"', page).group(1)
    status, _, _ = browser.request("POST", "/send", {"csrf": csrf, "to": "bob@shoal.test", "subject": "Fwd: Attached", "text": "FYI",
                                                     "forward": forward})
    facts["forward_status"] = status
    bob_imap = imap("bob", "bob-password")
    bob_imap.select("INBOX")
    typ, data = bob_imap.fetch("1", "(BODYSTRUCTURE)")
    facts["bob_forward_structure"] = data[0].decode()
    bob_imap.logout()
    alice_imap.logout()


def unread_count(page):
    match = re.search(r'folder=INBOX">INBOX(?: <span class="unread" aria-label="unread">\((\d+)\))?', page)
    return int(match.group(1) or 0) if match else None


def flags():
    """Viewing an unread message on this node marks it seen for IMAP on another node and for a second webmail view
    at once; renames by others (IMAP on the other node, a plain rename in the store) show here at once too.
    EXTRA: {"other": the other node's webmail URL, "mail": the store root}."""
    other_imap = imap("alice", "alice-password")
    for n in range(1, 5):
        append(other_imap, "INBOX", f"From: carol@shoal.test\r\nSubject: Unread {n}\r\n\r\nBody {n}.\r\n")
    # Older than the listing cache's settle time, so this node keeps the listing it makes next.
    time.sleep(2.5)
    browser = Browser()
    browser.sign_in("alice", "alice-password")
    status, _, page = browser.request("GET", "/mail")
    facts["unread_before"] = unread_count(page)
    uids = sorted(set(int(u) for u in re.findall(r'href="/read\?folder=INBOX&uid=(\d+)"', page)))
    facts["uids"] = len(uids)
    status, _, page = browser.request("GET", f"/read?folder=INBOX&uid={uids[0]}")
    facts["view_status"] = status
    facts["imap_flags_after_view"] = imap_flags(other_imap, "INBOX", uids[0])
    second = Browser()
    second.sign_in("alice", "alice-password")
    status, _, page = second.request("GET", "/mail")
    facts["unread_second_view"] = unread_count(page)
    elsewhere = Browser()
    global URL
    here = URL
    URL = urllib.parse.urlsplit(EXTRA["other"])
    elsewhere.sign_in("alice", "alice-password")
    status, _, page = elsewhere.request("GET", "/mail")
    URL = here
    facts["unread_other_node"] = unread_count(page)
    # At once (within the cache's settle time): another node's IMAP STORE, then a rename straight in the store.
    other_imap.select("INBOX")
    other_imap.uid("STORE", str(uids[1]), "+FLAGS", "(\\Seen)")
    status, _, page = browser.request("GET", "/mail")
    facts["unread_after_other_imap"] = unread_count(page)
    maildir = next(root for root, dirs, _ in os.walk(EXTRA["mail"]) if os.path.basename(root) == "alice" and "cur" in dirs)
    renamed = 0
    for directory in ("new", "cur"):
        for name in os.listdir(os.path.join(maildir, directory)):
            if renamed == 0 and ":2,S" not in name and ":2,FS" not in name:
                base = name.split(":")[0]
                os.rename(os.path.join(maildir, directory, name), os.path.join(maildir, "cur", base + ":2,S"))
                renamed += 1
    facts["renamed_by_hand"] = renamed
    status, _, page = browser.request("GET", "/mail")
    facts["unread_after_rename"] = unread_count(page)
    # And this node's own second flag change in a row is seen by the other node's IMAP.
    status, _, page = browser.request("GET", "/mail")
    csrf = browser.csrf(page)
    browser.request("POST", "/action", {"csrf": csrf, "folder": "INBOX", "uid": str(uids[0]), "op": "flag"})
    facts["imap_flags_after_flag"] = imap_flags(other_imap, "INBOX", uids[0])
    other_imap.logout()


def api():
    """The administration JSON API as a script uses it: urllib.request, the session cookie by hand, the token from
    /api/admin/session, form-encoded posts."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=CONTEXT))

    def call(method, path, form=None, cookie=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(BASE + path, data=data, method=method)
        if cookie:
            request.add_header("Cookie", cookie)
        try:
            with opener.open(request, timeout=60) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def sign_in(user, password):
        _, headers, _ = call("POST", "/login", {"user": user, "password": password})
        value = headers.get("Set-Cookie")
        return value.split(";")[0] if value else None

    def body(result):
        return json.loads(result[2])

    facts["anonymous_status"] = call("GET", "/api/admin/users")[0]
    cookie = sign_in("alice", "alice-password")
    token = body(call("GET", "/api/admin/session", cookie=cookie))["csrf"]

    def post(path, **form):
        status, headers, text = call("POST", path, dict(form, csrf=token), cookie=cookie)
        return [status, json.loads(text)]

    facts["add"] = post("/api/admin/users/add", login="erin", password="erin-password", address="erin@shoal.test", quota_mb="3")
    facts["add_again"] = post("/api/admin/users/add", login="erin", password="erin-password", address="erin@shoal.test")[0]
    facts["add_bad_quota"] = post("/api/admin/users/add", login="frank", password="frank-password", quota_mb="x" * 20)
    facts["add_without_token"] = call("POST", "/api/admin/users/add", {"login": "mallory", "password": "mallory-password"}, cookie=cookie)[0]
    facts["search"] = [user["login"] for user in body(call("GET", "/api/admin/users?q=erin", cookie=cookie))]
    facts["alias"] = post("/api/admin/users/aliases", login="erin", add="erin.alias@shoal.test, e@shoal.test", remove="")
    facts["alias_remove"] = post("/api/admin/users/aliases", login="erin", remove="e@shoal.test")
    facts["alias_taken"] = post("/api/admin/users/aliases", login="erin", add="bob@shoal.test")[0]
    facts["alias_bad"] = post("/api/admin/users/aliases", login="erin", add="not an address")
    facts["quota"] = post("/api/admin/users/quota", login="erin", quota_mb="5", quota_messages="50")
    facts["quota_none"] = post("/api/admin/users/quota", login="erin", quota_mb="", quota_messages="")
    facts["disable"] = post("/api/admin/users/disable", login="erin")
    facts["disabled_sign_in"] = sign_in("erin", "erin-password") is None
    facts["disable_self"] = post("/api/admin/users/disable", login="alice")[0]
    facts["enable"] = post("/api/admin/users/enable", login="erin")
    facts["enabled_sign_in"] = sign_in("erin", "erin-password") is not None
    facts["password"] = post("/api/admin/users/password", login="erin", password="erin-new-password")
    facts["short_password"] = post("/api/admin/users/password", login="erin", password="short")[0]
    facts["new_password_sign_in"] = sign_in("erin", "erin-new-password") is not None
    facts["unknown_user"] = post("/api/admin/users/enable", login="nobody")[0]
    # erin receives a message over IMAP APPEND, then the sizes show it.
    erin_imap = imap("erin", "erin-new-password")
    append(erin_imap, "INBOX", "From: alice@shoal.test\r\nSubject: Size\r\n\r\n" + "x" * 5000 + "\r\n")
    erin_imap.logout()
    facts["sizes"] = body(call("GET", "/api/admin/users/sizes?q=erin", cookie=cookie))
    bob_cookie = sign_in("bob", "bob-password")
    facts["sizes_for_user"] = call("GET", "/api/admin/users/sizes", cookie=bob_cookie)[0]
    facts["add_for_user"] = call("POST", "/api/admin/users/add", {"login": "x", "password": "xxxxxxxxxx", "csrf": token}, cookie=bob_cookie)[0]
    facts["delete"] = post("/api/admin/users/delete", login="erin")
    facts["delete_again"] = post("/api/admin/users/delete", login="erin")[0]
    facts["deleted_sign_in"] = sign_in("erin", "erin-new-password") is None
    facts["logins"] = [user["login"] for user in body(call("GET", "/api/admin/users", cookie=cookie))]


def threads():
    """bob's list shown as threads (REFERENCES): a reply and a reply to it under the first message."""
    bob_imap = imap("bob", "bob-password")
    for header in ["Message-ID: <a@x>\r\nSubject: Plan\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000",
                   "Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nSubject: Re: Plan\r\nDate: Tue, 2 Jan 2024 10:00:00 +0000",
                   "Message-ID: <c@x>\r\nSubject: Other\r\nDate: Wed, 3 Jan 2024 10:00:00 +0000",
                   "Message-ID: <d@x>\r\nReferences: <a@x> <b@x>\r\nSubject: Re: Plan\r\nDate: Thu, 4 Jan 2024 10:00:00 +0000"]:
        append(bob_imap, "INBOX", "From: carol@shoal.test\r\n" + header + "\r\n\r\nText.\r\n")
    bob_imap.logout()
    browser = Browser()
    browser.sign_in("bob", "bob-password")
    status, _, page = browser.request("GET", "/mail?sort=thread")
    facts["thread_status"] = status
    facts["thread_link"] = 'sort=thread">thread</a>' in page
    rows = re.findall(r'<td(?: class="t(\d)")?>(?:<span aria-label="reply">[^<]*</span> )?(?:<span aria-label="flagged">[^<]*</span> )?'
                      r'<a class="subject" href="[^"]+">([^<]+)</a>', page)
    facts["thread_rows"] = [[subject, int(depth or 0)] for depth, subject in rows]


def sorted_subjects(browser, sort):
    status, _, page = browser.request("GET", "/mail?sort=" + sort)
    return re.findall(r'<a class="subject" href="[^"]+">([^<]+)</a>', page)


def sortcache():
    """Sorting by subject or sender twice, then after a new message and after an expunge: each order is the folder's own."""
    bob_imap = imap("bob", "bob-password")
    for sender, subject in [("zed@shoal.test", "Melons"), ("amy@shoal.test", "Kiwis"), ("kim@shoal.test", "Figs")]:
        append(bob_imap, "INBOX", "From: %s\r\nSubject: %s\r\n\r\nText.\r\n" % (sender, subject))
    browser = Browser()
    browser.sign_in("bob", "bob-password")
    facts["first"] = sorted_subjects(browser, "subject")
    facts["again"] = sorted_subjects(browser, "subject")
    facts["by_sender"] = sorted_subjects(browser, "from")
    append(bob_imap, "INBOX", "From: bo@shoal.test\r\nSubject: Apples\r\n\r\nText.\r\n")
    facts["after_new"] = sorted_subjects(browser, "subject")
    facts["by_sender_after_new"] = sorted_subjects(browser, "from")
    bob_imap.select("INBOX")
    typ, data = bob_imap.search(None, "SUBJECT", '"Kiwis"')
    bob_imap.store(data[0].split()[0], "+FLAGS", "\\Deleted")
    bob_imap.expunge()
    facts["after_expunge"] = sorted_subjects(browser, "subject")
    bob_imap.logout()


{"flow": flow, "admin": admin, "hostile": hostile, "upload": upload, "flags": flags, "api": api, "threads": threads,
 "sortcache": sortcache}[SCENARIO]()
print(json.dumps(facts))
