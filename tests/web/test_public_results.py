"""The public results page: the same count as the home page and the API, Central time, bars and
tables from the results cache, conditional answers for the refresh script, no staff links for visitors."""
from __future__ import annotations

import gzip
import re
from datetime import datetime, timezone

import pytest

from hotline.domain.central_time import clock
from tests.support.chairs import IC_5_DELEGATES, IC_5_FINAL, IC_5_FIRST, Phone, load_roster, report, statements_run
from tests.web.console.staff import PASSWORD, Staff, _fast_hashes, accounts  # noqa: F401

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
FINAL = "final: Pete 55, Bernie 48, Warren 32"
DELEGATES = "delegates: Pete 3, Bernie 2, Warren 2"
STAFF_LINKS = ('href="/outbox"', 'href="/console/"', "Work queue", "Approvals")


@pytest.fixture
def night(client, rt):
    """DSM-42 (Polk) published; IC-5 (Johnson) has only its first alignment confirmed."""
    load_roster(rt)
    report(Phone(client, rt, "+15155550142"), FIRST, FINAL, DELEGATES)
    report(Phone(client, rt, "+13195550105"), IC_5_FIRST)


def county_rows(html: str) -> dict[str, tuple[int, int, str]]:
    """County -> (reporting, total, leading) from the page's county table."""
    out = {}
    for m in re.finditer(r'<tr data-county="([^"]+)"><th scope="row">[^<]*</th>\s*<td class="reporting-cell">'
                         r'<span class="count">(\d+) of (\d+)</span>.*?</td>\s*<td>(.*?)</td>', html, re.DOTALL):
        out[m.group(1)] = (int(m.group(2)), int(m.group(3)), re.sub(r"<[^>]+>", "", m.group(4)))
    return out


def test_home_results_and_api_give_the_same_count_statewide_and_by_county(client, night):
    api = client.get("/api/results").get_json()
    page = client.get("/results").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert (api["precincts_reporting"], api["precincts_total"]) == (1, 4)
    assert '<strong id="statewide-reporting">1 of 4 precincts reporting</strong>' in page
    # the home page gives the same count, and says what its other number means
    assert re.search(r'id="home-reporting"><strong>1</strong> of <strong>4</strong> precincts reporting', home)
    assert re.search(r'id="home-recorded"><strong>2</strong> precincts have at least one confirmed number', home)
    rows = county_rows(page)
    assert rows == {c["county"]: (c["precincts_reporting"], c["precincts_total"], c["leading"][0] if c["leading"]
                                  else "none yet") for c in api["counties"]}
    assert rows == {"Johnson": (0, 1, "none yet"), "Polk": (1, 2, "Buttigieg"), "Story": (0, 1, "none yet")}


def test_the_page_draws_bars_lists_precincts_and_links_only_to_what_exists(client, night):
    page = client.get("/results").get_data(as_text=True)
    # statewide progress bar: 1 of 4 is 25%; Polk's is 1 of 2
    assert re.search(r'aria-label="Statewide precincts reporting: 25.0%">\s*<rect class="meter-track"'
                     r' width="100" height="10"/><rect class="meter-fill" height="10" width="25.0"/>', page)
    assert 'aria-label="Polk precincts reporting: 50.0%"' in page
    # SDE chart: Buttigieg leads (1.20 SDEs, the full bar), Sanders 0.80 of it
    sde = page[page.index('data-chart="sde"'):page.index('id="align-title"')]
    assert re.search(r"Buttigieg</span>\s*<svg[^>]*><rect class=\"fill-sde\" height=\"10\" width=\"100.0\"/></svg>"
                     r"<span class=\"chart-value\">1.20</span>", sde)
    assert 'width="66.7"' in sde and ">0.80<" in sde
    # alignment chart: first and final side by side, scaled to the largest group (Buttigieg's 55)
    assert 'class="fill-first" height="10" width="81.8"' in page and 'class="fill-final" height="10" width="100.0"' in page
    # every in-page link has its target; the precinct codes are listed by county
    for anchor in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{anchor}"' in page
    polk = page[page.index('id="county-polk"'):page.index('id="county-story"')]
    assert ('<span class="label">Reporting:</span> <span class="code"><a href="/results/precincts/DSM-42">DSM-42</a>'
            '</span>') in polk
    assert '<span class="label">Not yet:</span> <span class="code">DSM-7</span>' in polk
    assert "IC-5" in page and "5155550142" not in page


def test_times_are_central_time_as_people_read_them(client, night):
    page = client.get("/results").get_data(as_text=True)
    api = client.get("/api/results").get_json()
    stamp = datetime.fromisoformat(api["updated_at"]).replace(tzinfo=timezone.utc)
    assert api["updated_central"] == clock(stamp)
    assert re.fullmatch(r"(1[0-2]|[1-9]):[0-5]\d [ap]m C[SD]T", api["updated_central"])
    assert f'datetime="{api["updated_at"]}Z" data-field="updated">{api["updated_central"]}</time>' in page
    assert "UTC" not in page


def test_the_api_and_the_live_body_answer_304_until_the_figures_change(client, rt, night):
    first = client.get("/api/results")
    etag = first.headers["ETag"]
    assert "Accept-Encoding" in first.headers["Vary"] and first.headers["Cache-Control"] == "public, max-age=5"
    again = client.get("/api/results", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    zipped = client.get("/api/results", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped.get_data()) == first.get_data()
    live = client.get("/results/live")
    assert live.status_code == 200 and live.mimetype == "text/html" and "1 of 4 precincts reporting" in live.text
    assert "<html" not in live.text  # the body only
    assert client.get("/results/live", headers={"If-None-Match": live.headers["ETag"]}).status_code == 304
    page = client.get("/results").get_data(as_text=True)
    assert f'data-etag="&#34;{live.headers["ETag"].strip(chr(34))}&#34;"' in page  # the script's first ask is a 304

    report(Phone(client, rt, "+13195550105"), IC_5_FINAL, IC_5_DELEGATES)
    changed = client.get("/api/results", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["precincts_reporting"] == 2
    assert changed.headers["ETag"] != etag
    fresh = client.get("/results/live", headers={"If-None-Match": live.headers["ETag"]})
    assert fresh.status_code == 200 and "2 of 4 precincts reporting" in fresh.text


def test_visitors_are_served_from_the_cache_without_touching_the_database(client, rt, night):
    for path in ("/results", "/api/results", "/results/live"):
        client.get(path)  # fills the cache
    with statements_run(rt.db.engine) as statements:
        for path in ("/results", "/api/results", "/results/live"):
            assert client.get(path).status_code == 200
    assert statements == []


def test_visitors_see_no_staff_links_signed_in_staff_do(app, client, accounts):  # noqa: F811
    for path in ("/", "/results"):
        body = client.get(path).get_data(as_text=True)
        assert not [link for link in STAFF_LINKS if link in body], path
        assert "Staff sign-in" in body
    alice = Staff(app.test_client())
    alice.login("alice", PASSWORD)
    for path in ("/", "/results"):
        body = alice.get(path).get_data(as_text=True)
        assert all(link in body for link in STAFF_LINKS), path
        assert "Signed in as" in body
    # the anonymous page is cached: signing in must not be served the visitor's copy, nor the reverse
    assert "Staff sign-in" in client.get("/results").get_data(as_text=True)
    assert client.get("/outbox").status_code == 302  # the outbox itself needs a login (unchanged)


def test_precinct_codes_sort_as_people_read_them(client, rt):
    load_roster(rt)  # Polk has DSM-42 and DSM-7: as text "DSM-42" < "DSM-7", as people read, 7 comes first
    page = client.get("/results").get_data(as_text=True)
    polk = page[page.index('id="county-polk"'):page.index('id="county-story"')]
    assert '<span class="code">DSM-7, DSM-42</span>' in polk
