"""Headless Chromium (Debian's chromium + chromium-driver, driven by python3-selenium) signs in to the webmail,
reads a hostile message while a canary HTTP server counts any request made to it, sends a message to bob (checked
over IMAP), and signs out. Screenshots of the main pages at desktop and phone widths go to SHOTS.

    webmail_browser.py BASE_URL IMAP_HOST IMAP_PORT CANARY_HOST SHOTS

Prints one JSON object of observations."""
import http.server
import imaplib
import json
import os
import ssl
import sys
import tempfile
import threading

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

BASE, IMAP_HOST, IMAP_PORT, CANARY_HOST, SHOTS = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
CONTEXT = ssl._create_unverified_context()
facts = {}
canary_hits = []


class Canary(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        canary_hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


canary = http.server.ThreadingHTTPServer((CANARY_HOST, 0), Canary)
threading.Thread(target=canary.serve_forever, daemon=True).start()
CANARY = f"http://{CANARY_HOST}:{canary.server_address[1]}"


def imap(user, password):
    client = imaplib.IMAP4(IMAP_HOST, IMAP_PORT)
    client.starttls(ssl_context=CONTEXT)
    client.login(user, password)
    return client


alice = imap("alice", "alice-password")
UPLOAD = bytes(range(256)) * 64
hostile = (f'<p>Hostile <b>canary</b> message</p><script>document.title="pwned";fetch("{CANARY}/script")</script>'
           f'<img src="{CANARY}/img.png" onerror="document.title=\'pwned\'"><svg onload="document.title=\'pwned\'"></svg>'
           f'<a id="jslink" href="javascript:document.title=\'pwned\'">click</a>'
           f'<div style="background-image:url({CANARY}/css)">styled</div><iframe src="{CANARY}/frame"></iframe>'
           f'<link rel="stylesheet" href="{CANARY}/sheet.css"><meta http-equiv="refresh" content="0;url={CANARY}/refresh">')
alice.append("INBOX", None, None, ("From: Eve <eve@evil.example>\r\nTo: alice@shoal.test\r\nSubject: Hostile canary\r\nMIME-Version: 1.0\r\n"
                                   "Content-Type: text/html; charset=utf-8\r\n\r\n" + hostile + "\r\n").encode())
alice.append("INBOX", None, None, b"From: Bob <bob@shoal.test>\r\nTo: alice@shoal.test\r\nSubject: Team lunch\r\n\r\nPizza on Friday?\r\n")

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors", "--no-first-run",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='shoal-chromium-')}", "--window-size=1280,900", "--disable-dev-shm-usage"]:
    options.add_argument(argument)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 60)
try:
    driver.get(BASE + "/mail")
    wait.until(expected_conditions.presence_of_element_located((By.ID, "user")))
    facts["redirected_to_login"] = driver.current_url.endswith("/login")
    driver.save_screenshot(os.path.join(SHOTS, "signin-desktop.png"))
    driver.find_element(By.ID, "user").send_keys("alice")
    driver.find_element(By.ID, "password").send_keys("alice-password")
    driver.find_element(By.ID, "signin").click()
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "table.messages")))
    facts["list_url"] = driver.current_url.replace(BASE, "")
    facts["cookie_http_only"] = driver.execute_script("return document.cookie") == ""
    facts["subjects"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "a.subject")]
    driver.save_screenshot(os.path.join(SHOTS, "list-desktop.png"))

    driver.find_element(By.LINK_TEXT, "Hostile canary").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "body")))
    facts["hostile_text_shown"] = "canary" in driver.find_element(By.ID, "body").text
    driver.find_element(By.LINK_TEXT, "click").click()  # its javascript: href was removed (and ids are stripped)
    facts["title_after_hostile"] = driver.title
    driver.save_screenshot(os.path.join(SHOTS, "read-desktop.png"))

    driver.find_element(By.LINK_TEXT, "Mail").click()
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "table.messages")))
    driver.find_element(By.LINK_TEXT, "Team lunch").click()
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "body"), "Pizza on Friday?"))
    facts["plain_text_shown"] = True
    driver.find_element(By.LINK_TEXT, "Compose").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "to")))
    driver.find_element(By.ID, "to").send_keys("bob@shoal.test")
    driver.find_element(By.ID, "subject").send_keys("From the browser")
    driver.find_element(By.ID, "text").send_keys("Typed in Chromium.")
    upload = os.path.join(tempfile.mkdtemp(prefix="shoal-upload-"), "report.bin")
    with open(upload, "wb") as f:
        f.write(UPLOAD)
    driver.find_element(By.ID, "attachment").send_keys(upload)  # Chromium frames the form as multipart/form-data
    driver.save_screenshot(os.path.join(SHOTS, "compose-desktop.png"))
    driver.find_element(By.ID, "send").click()
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "p.notice")))
    facts["sent_notice"] = driver.find_element(By.CSS_SELECTOR, "p.notice").text

    driver.get(BASE + "/admin")
    wait.until(expected_conditions.presence_of_element_located((By.ID, "add")))
    driver.save_screenshot(os.path.join(SHOTS, "admin-desktop.png"))
    driver.find_element(By.CSS_SELECTOR, "a.edit[href$='login=bob']").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "update")))
    facts["admin_edit_title"] = driver.find_element(By.TAG_NAME, "h2").text
    driver.save_screenshot(os.path.join(SHOTS, "admin-user-desktop.png"))

    driver.set_window_size(390, 844)
    driver.get(BASE + "/mail")
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "table.messages")))
    facts["phone_no_horizontal_scroll"] = driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    driver.save_screenshot(os.path.join(SHOTS, "list-phone.png"))
    driver.find_element(By.LINK_TEXT, "Team lunch").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "body")))
    driver.save_screenshot(os.path.join(SHOTS, "read-phone.png"))

    driver.find_element(By.XPATH, "//button[text()='Sign out']").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "signin")))
    facts["signed_out_url"] = driver.current_url.replace(BASE, "")
    driver.get(BASE + "/mail")
    facts["after_sign_out_url"] = driver.current_url.replace(BASE, "")
except Exception:
    sys.stderr.write(f"at {driver.current_url}:\n{driver.page_source[:3000]}\n")
    raise
finally:
    driver.quit()

bob = imap("bob", "bob-password")
bob.select("INBOX")
typ, data = bob.uid("SEARCH", None, "SUBJECT", '"From the browser"')
facts["bob_received"] = len(data[0].split())
if data[0]:
    import email
    import email.policy
    typ, fetched = bob.uid("FETCH", data[0].split()[-1], "(BODY.PEEK[])")
    message = email.message_from_bytes(fetched[0][1], policy=email.policy.default)
    facts["bob_attachments"] = [(part.get_filename(), part.get_payload(decode=True) == UPLOAD) for part in message.iter_attachments()]
facts["canary_hits"] = canary_hits
canary.shutdown()
print(json.dumps(facts))
