"""Issue 21, findings 4, 5 and 9 and the rate limits: the sign-in throttles and X-Forwarded-For,
where sign-in sends you next, ending sessions, security headers, requests per address."""
from __future__ import annotations

import dataclasses
import logging
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from redis import ConnectionPool, Redis
from sqlalchemy import select, update

from hotline.adapters import refusals
from hotline.adapters.models import LogEntry, RateCounter, StaffUser, utcnow
from hotline.app import SECURITY_HEADERS, create_app
from hotline.web.auth import DEVICE_COOKIE, safe_next
from tests.web.console.staff import PASSWORD, flashes, signed_in

QUEUE = "/console/"


def login(client, name: str, password: str = PASSWORD, addr: str = "127.0.0.1", nxt: str | None = None,
          headers: dict[str, str] | None = None):
    """The sign-in form as a browser at `addr` fills it in (GET for the token, then POST)."""
    client.get("/login", environ_base={"REMOTE_ADDR": addr})
    with client.session_transaction() as sess:
        token = sess["csrf_token"]
    data = {"username": name, "password": password, "csrf_token": token}
    if nxt is not None:
        data["next"] = nxt
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": addr}, headers=headers or {})


def said(resp) -> str:
    found = re.search(r'role="alert">(.*?)</p>', resp.get_data(as_text=True), re.DOTALL)
    return found.group(1) if found else ""


def entries(rt, kind: str) -> list[LogEntry]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(LogEntry).where(LogEntry.kind == kind)
                                        .order_by(LogEntry.id)).scalars())


def refused(rt, sources: bool = False):
    """This hour's refused requests by (route, reason), as the refusal counter has them (or the
    addresses it counted them from)."""
    tally = refusals.hours(rt.redis, how_many=1)[0][1]
    return [source for source, _ in tally.sources] if sources else tally.counts


def proxied_app(rt, proxies: int = 1):
    rt.config = dataclasses.replace(rt.config, trusted_proxies=proxies)
    flask_app = create_app(runtime=rt)
    flask_app.config["TESTING"] = True
    return flask_app


def lock_address(app, rt, addr: str = "10.0.0.1", headers: dict[str, str] | None = None):
    """Wrong passwords for as many (unknown) usernames from `addr` as lock it; the last answer."""
    resp = None
    for i in range(rt.config.login_failures_per_address):
        resp = login(app.test_client(), f"nobody{i}", "wrong-password", addr=addr, headers=headers)
    return resp


# --- Finding 4: the sign-in throttles and X-Forwarded-For ------------------------------------

def test_a_locked_address_cannot_sign_in_by_naming_another_in_x_forwarded_for(app, rt, accounts):
    last = lock_address(app, rt)
    assert last.status_code == 429 and "from your network address" in said(last)
    resp = login(app.test_client(), "alice", addr="10.0.0.1", headers={"X-Forwarded-For": "203.0.113.9"})
    assert resp.status_code == 429 and "sign-in from it is paused. Try again in 15 minutes" in said(resp)
    assert 890 <= int(resp.headers["Retry-After"]) <= 900
    assert entries(rt, "login") == []
    # Refused without a look at the password: counted (with the real address), never logged one by one.
    assert entries(rt, "login_refused") == []
    assert refused(rt)[("/login", "login-locked")] >= 2
    assert "10.0.0.1" in refused(rt, sources=True)
    # Rotating the header gets no fresh tries either; another real address is not affected.
    resp = login(app.test_client(), "nobody-else", "x", addr="10.0.0.1",
                 headers={"X-Forwarded-For": "192.0.2.77"})
    assert resp.status_code == 429
    assert login(app.test_client(), "alice", addr="10.0.0.2").status_code == 302
    assert refused(rt)[("/login", "login-locked")] == 3


def test_with_one_trusted_proxy_its_x_forwarded_for_is_the_address(rt, accounts):
    app = proxied_app(rt, 1)
    via = {"addr": "10.9.9.9"}  # the proxy
    last = lock_address(app, rt, addr="10.9.9.9", headers={"X-Forwarded-For": "203.0.113.9"})
    assert last.status_code == 429
    resp = login(app.test_client(), "alice", headers={"X-Forwarded-For": "203.0.113.9"}, **via)
    assert resp.status_code == 429
    # Another client behind the same proxy is another address.
    resp = login(app.test_client(), "alice", headers={"X-Forwarded-For": "198.51.100.7"}, **via)
    assert resp.status_code == 302
    assert entries(rt, "login")[-1].detail["remote"] == "198.51.100.7"
    # A client's own earlier entries are not trusted: only the one the proxy appended counts.
    resp = login(app.test_client(), "bob", headers={"X-Forwarded-For": "198.51.100.8, 203.0.113.9"}, **via)
    assert resp.status_code == 429


def test_rotating_addresses_still_slows_the_username_down(app, rt, accounts):
    limit = rt.config.login_failures_per_username
    answers = [login(app.test_client(), "bob", f"guess-{i}", addr=f"192.0.2.{i + 1}") for i in range(limit)]
    assert [r.status_code for r in answers] == [401] * limit
    assert "wait 2 seconds before the next try" in said(answers[-1])
    # The next try, from yet another address and with the right password, must wait.
    resp = login(app.test_client(), "bob", addr="192.0.2.100")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "2"
    assert "sign-in is slowed down. Wait 2 seconds" in said(resp)
    # Rotating X-Forwarded-For (not trusted here) is no different.
    resp = login(app.test_client(), "BOB ", addr="192.0.2.101", headers={"X-Forwarded-For": "203.0.113.1"})
    assert resp.status_code == 429
    # Once the wait is over a try is checked again, and a wrong one doubles the wait.
    with rt.db.transaction() as uow:
        uow.session.execute(update(RateCounter).where(RateCounter.key == "login-user:bob")
                            .values(locked_until=utcnow() - timedelta(seconds=1)))
    resp = login(app.test_client(), "bob", "guess-again", addr="192.0.2.102")
    assert resp.status_code == 401 and "wait 4 seconds" in said(resp)
    assert entries(rt, "login_refused") == [] and refused(rt)[("/login", "login-slowed")] == 2
    # Not a lock for the night: the slow-down never waits more than a minute.
    with rt.db.transaction() as uow:
        row = uow.session.execute(select(RateCounter).where(RateCounter.key == "login-user:bob")).scalar_one()
        assert row.locked_until - utcnow() <= timedelta(seconds=60)


def test_invented_usernames_write_no_log_rows_and_share_a_fixed_set_of_counters(app, rt, accounts):
    # Review of the hardening: each new name a stranger typed was a log row and a counter row
    # for good. Now unknown names are counted in Redis and share UNKNOWN_BUCKETS counters.
    from hotline.services.console.accounts import UNKNOWN_BUCKETS
    for i in range(40):
        login(app.test_client(), f"invented-{i}-" + "x" * 60, "wrong-password", addr=f"198.18.{i}.1")
    assert entries(rt, "login_failed") == [] and entries(rt, "login_refused") == []
    assert refused(rt)[("/login", "login-unknown-user")] == 40
    with rt.db.transaction() as uow:
        keys = list(uow.session.execute(select(RateCounter.key)
                                        .where(RateCounter.key.like("login-user:%"))).scalars())
    assert keys and all(k.startswith("login-user:?") and int(k[12:]) < UNKNOWN_BUCKETS for k in keys)
    # A real username's wrong password is still logged, under its own counter.
    login(app.test_client(), "alice", "wrong-password", addr="198.18.99.1")
    assert [e.actor for e in entries(rt, "login_failed")] == ["alice"]


def test_an_ipv6_subscriber_cannot_rotate_through_its_block_for_fresh_tries(app, rt, accounts):
    limit = rt.config.login_failures_per_address
    for i in range(limit):
        login(app.test_client(), f"someone-{i}", "wrong-password", addr=f"2001:db8:1:2::{i + 1:x}")
    resp = login(app.test_client(), "alice", addr="2001:db8:1:2:ffff::1")  # same /64
    assert resp.status_code == 429
    assert login(app.test_client(), "alice", addr="2001:db8:1:3::1").status_code == 302  # another /64


def test_a_known_device_signs_in_while_a_stranger_hammers_the_username(app, rt, accounts):
    mine = app.test_client()
    assert login(mine, "alice", addr="10.0.1.1").status_code == 302
    cookie = mine.get_cookie(DEVICE_COOKIE, path="/login")
    assert cookie is not None and cookie.http_only and cookie.path == "/login" and cookie.expires is not None
    with mine.session_transaction() as sess:
        token = sess["csrf_token"]
    mine.post("/logout", data={"csrf_token": token}, environ_base={"REMOTE_ADDR": "10.0.1.1"})

    for i in range(12):
        login(app.test_client(), "alice", f"guess-{i}", addr=f"192.0.2.{i + 1}")
    stranger = login(app.test_client(), "alice", addr="192.0.2.99")
    assert stranger.status_code == 429  # even with the right password: slowed down
    resp = login(mine, "alice", addr="10.0.1.1")
    assert resp.status_code == 302 and resp.headers["Location"] == QUEUE
    assert entries(rt, "login")[-1].detail.get("device") == "known"

    # The cookie is alice's alone: rewritten to name bob (or forged), it is just another stranger.
    for i in range(rt.config.login_failures_per_username):
        login(app.test_client(), "bob", f"guess-{i}", addr=f"198.51.100.{i + 1}")
    forged = app.test_client()
    forged.set_cookie(DEVICE_COOKIE, cookie.value.replace(".alice", ".bob"), path="/login")
    assert login(forged, "bob", addr="10.0.1.1").status_code == 429


def test_a_new_password_ends_every_browsers_known_device_exemption(app, rt, accounts):
    # Review of the hardening: a copied device cookie outlived sign-out and a password change.
    from hotline.services.console import accounts as staff
    mine = app.test_client()
    assert login(mine, "alice", addr="10.0.1.1").status_code == 302
    for i in range(rt.config.login_failures_per_username + 2):
        login(app.test_client(), "alice", f"guess-{i}", addr=f"192.0.2.{i + 1}")
    with rt.db.transaction() as uow:
        alice_id = staff.by_username(uow.session, "alice").id
    staff.change(rt.units, alice_id, actor="carol", password="a-new-password-1")
    resp = login(mine, "alice", "a-new-password-1", addr="10.0.1.1")
    assert resp.status_code == 429  # the old entry no longer exempts this browser


def test_a_known_devices_own_wrong_passwords_are_limited_too(app, rt, accounts):
    mine = app.test_client()
    assert login(mine, "alice", addr="10.0.1.1").status_code == 302
    for i in range(rt.config.login_failures_per_username):
        assert login(mine, "alice", f"typo-{i}", addr=f"10.0.1.{i + 2}").status_code == 401
    # The device has used up its tries: it is treated like any browser, and alice is slowed down
    # only if strangers have been at it (they have not), so the right password works.
    assert login(mine, "alice", addr="10.0.1.1").status_code == 302
    failed = entries(rt, "login_failed")
    assert all(e.detail.get("device") == "known" for e in failed)


def test_a_locked_office_address_does_not_lock_out_staff_already_signed_in_there(app, rt, accounts):
    # Caucus night: every volunteer shares the office's one address. Colleagues' typos (or a
    # stranger on the guest wifi) lock the address, but a browser that has signed in as alice
    # before still signs her in.
    mine = app.test_client()
    assert login(mine, "alice", addr="10.9.9.9").status_code == 302
    for i in range(rt.config.login_failures_per_address):
        login(app.test_client(), f"someone-{i}", "wrong-password", addr="10.9.9.9")
    assert login(app.test_client(), "alice", addr="10.9.9.9").status_code == 429  # a new browser
    resp = login(mine, "alice", addr="10.9.9.9")
    assert resp.status_code == 302 and resp.headers["Location"] == QUEUE


def test_sign_in_log_rows_are_cut_to_size(rt, accounts):
    app = proxied_app(rt, 1)
    resp = login(app.test_client(), "x" * 5000, "wrong-password", headers={"X-Forwarded-For": "y" * 5000})
    assert resp.status_code == 401
    assert entries(rt, "login_failed") == []  # an unknown name is counted, not logged
    resp = login(app.test_client(), "alice", "wrong-password", headers={"X-Forwarded-For": "y" * 5000})
    entry = entries(rt, "login_failed")[-1]
    assert entry.actor == "alice" and len(entry.detail["remote"]) <= 64
    assert all(len(source) <= 64 for source in refused(rt, sources=True))


# --- Finding 5: where sign-in sends you next --------------------------------------------------

NASTY = ["/\t/evil.example/phish", "/%09/evil.example/phish", "/\r\n/evil.com", "/\n/evil.com", "/\\evil",
         "\\\\evil", "/\\/evil", "//evil", "///evil", "////evil", " //evil", "\t//evil", "\x00//evil",
         "https:evil", "https://evil.example/", "http:/evil", "javascript:alert(1)", "evil.example",
         "/%2F%2Fevil", "/%2f/evil", "%2F%2Fevil", "/%5Cevil", "/%252F%252Fevil", "/%0D%0A/evil",
         "/\u3002evil", "/\uff0f\uff0fevil", "\u2215\u2215evil", "/\u2028/evil", "/ /evil", "/console/\x7f",
         "/" + "a" * 3000, ""]
LOCAL = ["/console/precincts/DSM-42", "/admin/staff?page=2", "/console/?kind=callback_request&q=a+b"]


def test_safe_next_keeps_only_local_paths(app):
    with app.test_request_context():
        assert [t for t in NASTY if safe_next(t) != QUEUE] == []
        assert [safe_next(t) for t in LOCAL] == LOCAL
        assert safe_next(None) == QUEUE


def test_sign_in_never_sends_you_off_site_nor_fails(app, accounts):
    for i, target in enumerate(NASTY + LOCAL):
        resp = login(app.test_client(), "alice", addr=f"10.7.{i // 200}.{i % 200 + 1}", nxt=target)
        assert resp.status_code == 302, target
        location = resp.headers["Location"]
        assert location.startswith("/") and not location.startswith("//") and not urlsplit(location).netloc
        assert location == (target if target in LOCAL else QUEUE), target


def test_the_sign_in_page_carries_a_nasty_next_as_inert_text(client, accounts):
    resp = client.get("/login?next=/%09/evil.example/phish")
    assert resp.status_code == 200 and 'value="/\t/evil.example/phish"' in resp.get_data(as_text=True)


# --- Finding 9: ending sessions; security headers ----------------------------------------------

def test_a_cookie_copied_before_sign_out_is_useless_after_it(app, alice):
    thief = app.test_client()
    thief.set_cookie("session", alice.client.get_cookie("session").value)
    assert thief.get(QUEUE).status_code == 200
    resp = alice.post("/logout")
    assert resp.status_code == 302
    assert "every other browser" in " ".join(flashes(alice.text("/login")))
    resp = thief.get(QUEUE)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert "Your session has ended" in " ".join(flashes(thief.get("/login").get_data(as_text=True)))


def test_signing_out_ends_the_accounts_other_sessions(app, accounts):
    desk, laptop = signed_in(app, "alice"), signed_in(app, "alice")
    other = signed_in(app, "bob")
    laptop.post("/logout")
    assert desk.get(QUEUE).status_code == 302
    assert other.get(QUEUE).status_code == 200
    assert signed_in(app, "alice").get(QUEUE).status_code == 200


def test_a_new_password_or_role_ends_the_accounts_sessions_a_new_phone_does_not(rt, alice, carol):
    with rt.db.transaction() as uow:
        uid = uow.session.execute(select(StaffUser.id).where(StaffUser.username == "alice")).scalar_one()
    carol.post(f"/admin/staff/{uid}", data={"phone": "+15155550977"})
    assert alice.get(QUEUE).status_code == 200
    carol.post(f"/admin/staff/{uid}", data={"password": "a-new-password-1"})
    assert alice.get(QUEUE).status_code == 302
    assert alice.login("alice", "a-new-password-1").status_code == 302
    assert alice.get(QUEUE).status_code == 200
    carol.post(f"/admin/staff/{uid}", data={"role": "admin", "active": "1"})
    assert alice.get(QUEUE).status_code == 302
    assert carol.get(QUEUE).status_code == 200  # the administrator's own session is untouched


def test_every_answer_carries_the_security_headers(app, alice, monkeypatch):
    answers = [alice.client.get(p) for p in ("/", "/results", "/api/results", "/login", "/static/console.js",
                                             "/static/hotline.css", "/no-such-page", "/console/")]
    answers += [app.test_client().get("/console/"), app.test_client().post("/twilio/sms", data={})]
    monkeypatch.setitem(app.view_functions, "pages.home", lambda: 1 / 0)
    answers.append(app.test_client().get("/"))
    assert {r.status_code for r in answers} >= {200, 302, 404, 500}
    for resp in answers:
        resp.close()  # static files are streamed from an open file
        for name, value in SECURITY_HEADERS.items():
            assert resp.headers.get(name) == value, (resp.request.path, name)
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp


def test_templates_have_no_inline_script_or_style_the_policy_would_block():
    root = Path(__file__).resolve().parents[3] / "hotline" / "templates"
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|<style|javascript:", re.I)
    found = [f"{p.name}: {m.group(0)}" for p in root.rglob("*.html") for m in inline.finditer(p.read_text())]
    assert found == []


# --- Requests per address (Flask-Limiter) -----------------------------------------------------

def test_sign_in_posts_are_limited_per_address(app, rt, accounts):
    rt.config = dataclasses.replace(rt.config, login_requests_per_minute=3)
    client = app.test_client()
    codes = [client.post("/login", data={}).status_code for _ in range(3)]
    resp = client.post("/login", data={"username": "alice"})
    assert codes == [400, 400, 400] and resp.status_code == 429
    wait = int(resp.headers["Retry-After"])
    assert 1 <= wait <= 60 and resp.mimetype == "text/plain"
    assert resp.get_data(as_text=True) == f"Too many requests from your address; try again in {wait} seconds."
    assert client.get("/login").status_code == 200  # the form itself is not limited
    assert client.post("/login", data={}, environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 400
    assert refused(rt) == {("/login", "throttled"): 1}


def test_public_pages_and_api_share_a_per_address_limit_twilio_is_not_limited(app, rt):
    rt.config = dataclasses.replace(rt.config, public_requests_per_minute=3)
    client = app.test_client()
    assert [client.get(p).status_code for p in ("/", "/results", "/api/results")] == [200, 200, 200]
    resp = client.get("/api/results/precincts")
    assert resp.status_code == 429 and resp.is_json and int(resp.headers["Retry-After"]) >= 1
    assert resp.get_json()["error"].startswith("Too many requests from your address; try again in")
    page = client.get("/results")
    assert page.status_code == 429 and page.mimetype == "text/plain"
    assert page.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    assert client.get("/api/results", environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 200
    assert 429 not in {client.post("/twilio/sms", data={}).status_code for _ in range(5)}
    counts = refused(rt)
    assert counts[("/api/results/precincts", "throttled")] == 1 and counts[("/results", "throttled")] == 1


def test_the_limits_fail_open_with_one_log_line_when_redis_is_unreachable(rt, monkeypatch, caplog):
    rt.config = dataclasses.replace(rt.config, public_requests_per_minute=1)
    dead = Redis(connection_pool=ConnectionPool.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2))
    with monkeypatch.context() as m:
        m.setattr(rt, "redis", dead)  # only the limiter keeps this pool
        app = create_app(runtime=rt)
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="flask-limiter"):
        codes = [client.get("/").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    lines = [r for r in caplog.records if r.name == "flask-limiter"]
    assert len(lines) == 3 and all(r.exc_info is None and "failing open" in r.getMessage() for r in lines)
