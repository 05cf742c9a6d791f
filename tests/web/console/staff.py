"""Console fixtures: staff accounts and test clients signed in as them (CSRF token included)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from hotline.adapters.models import BacklogItem, Precinct
from hotline.services.records import backlog
from hotline.services.console import accounts as staff
from tests.support.chairs import load_roster

PASSWORD = "correct-horse-1"
USERS = {"alice": ("staff", "+15155550911"), "bob": ("staff", "+15155550912"),
         "carol": ("admin", "+15155550913")}


@pytest.fixture(autouse=True)
def _fast_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap password hashes in tests; production keeps werkzeug's default (scrypt)."""
    from werkzeug import security
    real = security.generate_password_hash
    monkeypatch.setattr(staff, "generate_password_hash",
                        lambda pw: real(pw, method="pbkdf2:sha256:1000"))


@pytest.fixture
def accounts(rt):
    """alice and bob (staff) and carol (admin), all with PASSWORD, on the test roster."""
    load_roster(rt)
    with rt.db.transaction() as uow:
        for name, (role, phone) in USERS.items():
            staff.create_user(uow.session, name, PASSWORD, role, actor="test", phone=phone)
    return USERS


@dataclass
class Staff:
    """A browser-less staff member: a test client that signs in and posts forms with the CSRF token."""

    client: Any
    name: str = ""

    def login(self, name: str, password: str = PASSWORD) -> Any:
        self.client.get("/login")
        resp = self.client.post("/login", data={"username": name, "password": password,
                                                "csrf_token": self.token()})
        self.name = name
        return resp

    def token(self) -> str:
        with self.client.session_transaction() as sess:
            if "csrf_token" not in sess:
                sess["csrf_token"] = "seeded-token-for-tests"
            return sess["csrf_token"]

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token()}, **kw)

    def text(self, path: str) -> str:
        return self.client.get(path).get_data(as_text=True)


def signed_in(app: Any, name: str) -> Staff:
    member = Staff(app.test_client())
    resp = member.login(name)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return member


@pytest.fixture
def alice(app, accounts) -> Staff:
    return signed_in(app, "alice")


@pytest.fixture
def bob(app, accounts) -> Staff:
    return signed_in(app, "bob")


@pytest.fixture
def carol(app, accounts) -> Staff:
    return signed_in(app, "carol")


def open_item(rt, kind: str = "callback_request", code: str | None = "DSM-42", **kw: Any) -> int:
    """Open a backlog item the way the workers do; returns its id."""
    with rt.db.transaction() as uow:
        pid = uow.session.execute(select(Precinct.id).where(Precinct.code == code)).scalar_one() if code else None
        item = backlog.open_item(uow.session, kind, precinct_id=pid,
                                 summary=kw.pop("summary", f"{code}: please call me back"), **kw)
        return item.id


def item_row(rt, item_id: int) -> BacklogItem:
    with rt.db.transaction() as uow:
        return uow.session.get(BacklogItem, item_id)


def flashes(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', html, re.DOTALL)]
