"""The administrators' observers page: the list, adding one, removing one, uploading the CSV."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from hotline.adapters.models import LogEntry, Observer
from hotline.services.ops import observers
from tests.support.chairs import Phone
from tests.web.console import staff
from tests.web.console.staff import flashes

# The console's fixtures (cheap password hashes, the accounts on the test roster), used from here.
_fast_hashes, accounts = staff._fast_hashes, staff.accounts


@pytest.fixture
def carol(app, accounts):
    """An administrator, signed in."""
    return staff.signed_in(app, "carol")


@pytest.fixture
def alice(app, accounts):
    """Staff, not an administrator, signed in."""
    return staff.signed_in(app, "alice")

FORM = {"name": "Ana Ruiz", "organisation": "Warren campaign", "phones": "(515) 555-9001",
        "precincts": "dsm-42; DSM-7", "pin": "2468", "language": "en"}


def names(rt) -> list[str]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(Observer.name).order_by(Observer.id)).scalars())


def last_entry(rt, kind: str) -> LogEntry:
    with rt.db.transaction() as uow:
        return uow.session.execute(select(LogEntry).where(LogEntry.kind == kind)
                                   .order_by(LogEntry.seq.desc())).scalars().first()


def test_add_shows_the_observer_and_logs_it(rt, carol):
    resp = carol.post("/admin/observers", data=FORM)
    assert resp.status_code == 302
    page = carol.text("/admin/observers")
    assert "Observer Ana Ruiz (Warren campaign) added." in flashes(page)
    card = page.split('id="observer-')[1].split("</li>")[0]
    assert "Ana Ruiz" in card and "+15155559001" in card and "DSM-42, DSM-7" in card and "PIN set" in card
    assert 'data-confirmed="0"' in card
    entry = last_entry(rt, "observer_added")
    assert entry.actor == "carol" and entry.detail["precincts"] == ["DSM-42", "DSM-7"]
    assert "2468" not in str(entry.detail)


def test_add_refuses_with_the_imports_words_and_keeps_the_form(rt, carol):
    resp = carol.post("/admin/observers", data={**FORM, "phones": "+15155550142", "precincts": "DSM-42;NOPE-1"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    error = re.sub(r"\s+", " ", page.split('id="add-error">')[1].split("</p>")[0])
    assert error == ("Not added: precinct NOPE-1 is not on the roster; +15155550142 is the registered phone of "
                     "the chair of DSM-42: an observer needs their own phone.")
    assert 'value="Ana Ruiz"' in page and "2468" not in page  # filled in again, all but the PIN
    assert names(rt) == []
    carol.post("/admin/observers", data=FORM)
    resp = carol.post("/admin/observers", data={**FORM, "phones": "+15155559009"})
    assert resp.status_code == 422 and "Ana Ruiz (Warren campaign) is already an observer" in resp.get_data(as_text=True)
    resp = carol.post("/admin/observers", data={**FORM, "name": "Bo", "pin": "12"})
    assert "PIN must be 4 to 8 digits" in resp.get_data(as_text=True)
    assert names(rt) == ["Ana Ruiz"]


def test_remove_is_refused_once_the_observer_has_sent_counts(rt, client, carol):
    carol.post("/admin/observers", data=FORM)
    carol.post("/admin/observers", data={**FORM, "name": "Ben Hale", "phones": "+15155559002", "pin": ""})
    ids = {o.name: o.id for o in observers.everyone(rt.units)}
    ana = Phone(client, rt, "+15155559001")
    ana.send("DSM-42 first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30")
    ana.send(f"YES {ana.code()}")
    page = carol.text("/admin/observers")
    assert 'data-confirmed="1"' in page.split(f'id="observer-{ids["Ana Ruiz"]}"')[1].split("</li>")[0]
    carol.post(f"/admin/observers/{ids['Ana Ruiz']}/remove")
    assert any("has sent 1 observation, so they stay on the list" in f
               for f in flashes(carol.text("/admin/observers")))
    carol.post(f"/admin/observers/{ids['Ben Hale']}/remove")
    assert "Observer Ben Hale (Warren campaign) removed." in flashes(carol.text("/admin/observers"))
    assert names(rt) == ["Ana Ruiz"]
    assert last_entry(rt, "observer_removed").actor == "carol"


def test_upload_lists_bad_rows_then_imports(rt, carol):
    def upload(text: str):
        return carol.post("/admin/observers/import", data={"file": (io.BytesIO(text.encode()), "observers.csv")},
                          content_type="multipart/form-data")
    resp = upload("name,organisation,phones,precincts\nAna Ruiz,Warren campaign,+15155559001,DSM-42\n"
                  "Ben Hale,Warren campaign,+13195550105,IC-5\n")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Nothing was imported from observers.csv" in page
    assert "line 3: +13195550105 is the registered phone of the chair of IC-5" in page
    assert names(rt) == []
    resp = upload("\ufeffname,organisation,phones,precincts\nAna Ruiz,Warren campaign,+15155559001,DSM-42\n")
    assert "Imported 1 observer from observers.csv." in flashes(carol.text("/admin/observers"))
    assert last_entry(rt, "observers_imported").actor == "carol"
    assert 'action="/admin/observers/import"' in carol.text("/admin/imports")  # offered with the other imports


def test_staff_who_are_not_administrators_are_refused(rt, alice):
    assert alice.get("/admin/observers").status_code == 403
    assert alice.post("/admin/observers", data=FORM).status_code == 403
    assert names(rt) == []


def test_a_form_without_the_csrf_token_is_refused(rt, carol):
    resp = carol.client.post("/admin/observers", data=FORM)
    assert resp.status_code == 400 and names(rt) == []


def test_the_nav_links_the_page(carol):
    assert 'href="/admin/observers"' in carol.text("/admin/")
