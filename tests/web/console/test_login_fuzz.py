"""Random sign-in attempts (names, passwords, next= targets, forwarded headers, stray fields):
never a 5xx, never a Location off this site, and nothing attacker-sized in the log."""
from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hotline.adapters.models import LogEntry
from tests.web.console.staff import PASSWORD

NASTY = st.sampled_from(["/\t/evil.example", "/\r\n/evil.example", "//evil.example", "/\\evil.example",
                         "https://evil.example", "javascript:alert(1)", "/%2F%2Fevil.example", "\x00",
                         "/console/", "/admin/log", "", " ", "\u2044\u2044evil.example", "/" + "a" * 3000])
TEXT = st.one_of(st.text(max_size=80), NASTY, st.text(min_size=2000, max_size=4000))
FORM = st.fixed_dictionaries(
    {"username": st.one_of(st.sampled_from(["alice", "bob", "ALICE ", "admin"]), TEXT),
     "password": st.one_of(st.just(PASSWORD), TEXT)},
    optional={"next": TEXT, "extra": TEXT, "csrf_token": TEXT})
HEADERS = st.dictionaries(st.sampled_from(["X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
                                           "X-Real-IP", "Referer"]),
                          st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=200),
                          max_size=3)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(form=FORM, headers=HEADERS, with_token=st.booleans(), query_next=st.one_of(st.none(), TEXT))
def test_sign_in_never_fails_with_a_5xx_or_sends_you_off_site(app, rt, accounts, form, headers, with_token,
                                                               query_next):
    client = app.test_client()
    client.get("/login", query_string={"next": query_next} if query_next is not None else None,
               environ_base={"REMOTE_ADDR": "10.20.0.1"})
    data = dict(form)
    if with_token:
        with client.session_transaction() as sess:
            data["csrf_token"] = sess["csrf_token"]
    resp = client.post("/login", data=data, headers=headers, environ_base={"REMOTE_ADDR": "10.20.0.1"})
    assert resp.status_code < 500
    location = resp.headers.get("Location")
    if location:
        parts = urlsplit(location)
        assert parts.netloc in ("", "localhost") and location.startswith("/"), location
    with rt.db.transaction() as uow:
        longest = uow.session.scalar(select(func.max(func.length(LogEntry.actor))))
    assert (longest or 0) <= 64


def test_a_form_token_or_device_cookie_with_non_ascii_characters_is_refused_not_a_500(app, accounts):
    # hmac.compare_digest raises TypeError on str with non-ASCII characters: found by the test above.
    client = app.test_client()
    client.get("/login")
    resp = client.post("/login", data={"username": "alice", "password": "x", "csrf_token": "tök\u00e9n"})
    assert resp.status_code == 400
    client.set_cookie("hotline_device", "alice.nonce.s\u00efgnature", path="/login")
    with client.session_transaction() as sess:
        token = sess["csrf_token"]
    resp = client.post("/login", data={"username": "alice", "password": "wrong-one", "csrf_token": token})
    assert resp.status_code == 401
