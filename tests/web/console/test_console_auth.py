"""Sign-in, sign-out, roles, CSRF and the login lock-out."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline.adapters.models import LogEntry, StaffUser
from hotline.services.console import accounts as staff
from tests.web.console.staff import PASSWORD, Staff, signed_in

PAGES = ["/console/", "/console/queue.json", "/console/approvals", "/console/precincts/DSM-42",
         "/dev/phone/", "/admin/", "/admin/log", "/admin/imports", "/admin/staff", "/admin/reconcile"]
ADMIN_PAGES = ["/admin/", "/admin/log", "/admin/log.csv", "/admin/imports", "/admin/staff",
               "/admin/reconcile", "/admin/exports/results.csv"]


def log_kinds(rt, kind: str) -> list[LogEntry]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(LogEntry).where(LogEntry.kind == kind)).scalars())


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_sign_in(client, accounts, path):
    resp = client.get(path)
    if path.endswith(".json"):
        assert resp.status_code == 401
    else:
        assert resp.status_code == 302 and "/login?next=" in resp.headers["Location"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_refuse_staff(alice, carol, path):
    assert alice.get(path).status_code == 403
    assert carol.get(path).status_code == 200


def test_sign_in_and_out_are_logged(app, rt, accounts):
    member = signed_in(app, "alice")
    assert "Signed in as" in member.text("/console/")
    member.post("/logout")
    assert member.get("/console/").status_code == 302
    assert [e.actor for e in log_kinds(rt, "login")] == ["alice"]
    assert [e.actor for e in log_kinds(rt, "logout")] == ["alice"]


def test_wrong_password_is_refused_and_logged(app, rt, accounts):
    member = Staff(app.test_client())
    resp = member.login("alice", "wrong-password")
    assert resp.status_code == 401 and "do not match" in resp.get_data(as_text=True)
    assert log_kinds(rt, "login_failed")[0].actor == "alice"


def test_login_slows_down_after_repeated_failures_even_with_the_right_password(app, rt, accounts):
    member = Staff(app.test_client())
    for _ in range(rt.config.login_failures_per_username):
        member.login("bob", "nope-nope")
    resp = member.login("bob", PASSWORD)
    assert resp.status_code == 429 and "slowed down" in resp.get_data(as_text=True)
    assert resp.headers["Retry-After"] == "2"
    # Another account from the same address is not slowed down.
    assert Staff(app.test_client()).login("alice").status_code == 302


def test_post_without_csrf_token_is_rejected(alice):
    resp = alice.client.post("/console/items/1/claim", data={})
    assert resp.status_code == 400 and "expired" in resp.get_data(as_text=True)
    resp = alice.client.post("/console/items/1/claim", data={"csrf_token": "forged"})
    assert resp.status_code == 400


def test_login_form_needs_csrf_token_too(client, accounts):
    resp = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert resp.status_code == 400


def test_next_only_goes_to_local_paths(app, accounts):
    member = Staff(app.test_client())
    member.client.get("/login")
    resp = member.client.post("/login", data={"username": "alice", "password": PASSWORD,
                                              "next": "//evil.example/x", "csrf_token": member.token()})
    assert resp.headers["Location"] == "/console/"


def test_switched_off_account_loses_access_at_once(rt, alice, carol):
    with rt.db.transaction() as uow:
        user = uow.session.execute(select(StaffUser).where(StaffUser.username == "alice")).scalar_one()
    resp = carol.post(f"/admin/staff/{user.id}", data={"active": "0", "role": "staff"})
    assert resp.status_code == 302
    assert alice.get("/console/").status_code == 302


def test_admin_creates_staff_and_cannot_demote_self(rt, carol):
    resp = carol.post("/admin/staff", data={"username": "Dave", "password": "long-enough-1",
                                             "role": "staff", "phone": "(515) 555-0999"})
    assert resp.status_code == 302
    with rt.db.transaction() as uow:
        dave = staff.by_username(uow.session, "dave")
        me = staff.by_username(uow.session, "carol")
    assert dave.phone == "+15155550999" and dave.role == "staff"
    carol.post(f"/admin/staff/{me.id}", data={"role": "staff", "active": "1"})
    with rt.db.transaction() as uow:
        assert staff.by_username(uow.session, "carol").role == "admin"
    assert "short" not in carol.text("/admin/staff")


def test_users_cli_adds_an_account(rt, monkeypatch):
    from hotline.cli import cli
    monkeypatch.setenv("DATABASE_URL", rt.config.database_url)
    result = CliRunner().invoke(cli, ["users", "add", "Erin", "--role", "admin"],
                                input="pass-word-9\npass-word-9\n")
    assert result.exit_code == 0, result.output
    with rt.db.transaction() as uow:
        assert staff.by_username(uow.session, "erin").role == "admin"
    again = CliRunner().invoke(cli, ["users", "add", "erin", "--password", "pass-word-9"])
    assert again.exit_code != 0 and "already" in again.output


def test_demo_accounts_exist_only_outside_production(rt):
    from dataclasses import replace
    with rt.db.transaction() as uow:
        accounts = staff.ensure_demo_users(uow.session, rt.config)
        assert {a.role for a in accounts} == {"staff", "admin"}
        assert staff.ensure_demo_users(uow.session, replace(rt.config, env="production")) == []
        # Running again keeps the printed credentials true.
        assert staff.ensure_demo_users(uow.session, rt.config) == accounts
        for a in accounts:
            assert staff.authenticate(uow.session, a.username, a.password, "127.0.0.1").user is not None
