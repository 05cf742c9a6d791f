"""The standalone public verifier against a real stack: a precinct reported and confirmed by text,
a signed checkpoint, then verify_public.verify() reading the server through the test client. It
passes on the real thing, and each kind of tampering fails the check that should catch it."""
from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from hotline.adapters.models import WorksheetPhoto
from hotline.adapters.queues import ALL_QUEUES
from hotline.cli import cli
from hotline.services.console import photos, review
from hotline.services.log import checkpoints
from hotline.services.results import proofs
from hotline.services.results import public as results_public
from hotline.verifier import verify_public as vp
from tests.support.chairs import Phone, load_roster, report
from tests.support.media import JPEG, Answer, twilio_media, with_media  # noqa: F401
from tests.support.roster import ROSTER
from tests.support.stack import work

# The pages, not the database: their PostgreSQL variant adds nothing (tests/web/conftest.py).
pytestmark = pytest.mark.sqlite_only

FIRST = "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30"
FINAL = "final: Pete 55, Bernie 48, Warren 32"
DELEGATES = "delegates: Pete 3, Bernie 2, Warren 2"
BAD_DELEGATES = "delegates: Pete 2, Bernie 3, Warren 2"
RECOUNT = "final: Pete 56, Bernie 47, Warren 32"
BASE = "https://hotline.test"
RECORD, PROOF, CHECKPOINT = "/api/results/precincts/DSM-42", "/api/results/precincts/DSM-42/proof", "/api/log/checkpoint"
# caucus-rules.md: 40 attendees, D = 8, final 6 / 8 / 8 / 9 / 9: Sanders and Warren tie at .6
FORTY = "Klobuchar 6, Sanders 8, Warren 8, Biden 9, Pete 9"
MEDIA = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM7/Media/ME7"
DSM6 = "DSM-6,Polk,Des Moines 6,8,Ann Lee,+15155550106,6666,60\n"


@pytest.fixture(autouse=True)
def _fresh_proofs():
    proofs.forget_cached()
    yield
    proofs.forget_cached()


@pytest.fixture
def chair(client, rt) -> Phone:
    load_roster(rt, ROSTER + DSM6)
    return Phone(client, rt, "+15155550142")


def served(client) -> vp.Fetch:
    def fetch(path: str) -> tuple[int, bytes]:
        resp = client.get(path)
        return resp.status_code, resp.get_data()
    return fetch


def altered(fetch: vp.Fetch, path: str, change: Callable[[Any], None]) -> vp.Fetch:
    """`fetch`, with the JSON at `path` passed through `change` first."""
    def tampered(asked: str) -> tuple[int, bytes]:
        status, body = fetch(asked)
        if asked == path and status == 200:
            data = json.loads(body)
            change(data)
            body = json.dumps(data).encode()
        return status, body
    return tampered


def statuses(report: vp.Report) -> dict[str, str]:
    """Check name -> the worst status under that name."""
    order = [vp.OK, vp.NOTE, vp.WARN, vp.FAIL]
    out: dict[str, str] = {}
    for c in report.checks:
        if c.name not in out or order.index(c.status) > order.index(out[c.name]):
            out[c.name] = c.status
    return out


def failed(report: vp.Report) -> set[str]:
    return {c.name for c in report.failed()}


def published(client, rt, chair, *texts: str) -> None:
    report(chair, *(texts or (FIRST, FINAL, DELEGATES)))
    checkpoints.take(rt.units, rt.redis)


def test_a_published_precinct_verifies_and_says_where_the_key_came_from(client, rt, chair):
    published(client, rt, chair)
    result = vp.verify(BASE, "dsm-42", fetch=served(client))
    assert result.error is None and result.exit_code == 0, "\n".join(result.lines())
    got = statuses(result)
    for name in ("signature", "latest checkpoint", "first alignment", "final alignment", "county delegates",
                 "attendance", "totals", "viability", "delegates", "SDEs"):
        assert got[name] == vp.OK, (name, "\n".join(result.lines()))
    entries = [c for c in result.checks if c.name.startswith("entry ")]
    assert entries and all(c.status == vp.OK for c in entries)
    assert got["key"] == vp.NOTE and "--public-key" in next(c.text for c in result.checks if c.name == "key")
    lines = result.lines()
    assert lines[0] == f"Checking DSM-42 at {BASE}" and lines[-1].startswith("VERIFIED")
    assert any("Buttigieg 3, Sanders 2, Warren 2 is one of the 1 rule-consistent allocation" in line
               for line in lines)
    # pinned to the key published elsewhere: no note that the key came from the same server
    key = client.get("/api/log/public-key").get_json()["public_key"]
    pinned = vp.verify(BASE, "DSM-42", fetch=served(client), public_key=key)
    assert pinned.exit_code == 0 and "key" not in statuses(pinned)


def test_a_changed_figure_fails_the_figure_check(client, rt, chair):
    published(client, rt, chair)
    fetch = altered(served(client), RECORD, lambda r: r["final"].update(Buttigieg=56))
    result = vp.verify(BASE, "DSM-42", fetch=fetch)
    assert result.exit_code == 1 and "final alignment" in failed(result)
    text = next(c.text for c in result.checks if c.name == "final alignment")
    assert "Buttigieg 56 published, 55 in the entry" in text
    assert statuses(result)["signature"] == vp.OK and statuses(result)["first alignment"] == vp.OK

    fetch = altered(served(client), RECORD, lambda r: r["sde"].update(Buttigieg="0.9999"))
    assert failed(vp.verify(BASE, "DSM-42", fetch=fetch)) == {"SDEs"}
    fetch = altered(served(client), RECORD, lambda r: r.update(delegates={"Buttigieg": 2, "Sanders": 3, "Warren": 2}))
    assert {"county delegates", "delegates"} <= failed(vp.verify(BASE, "DSM-42", fetch=fetch))


def test_a_changed_path_hash_fails_that_entrys_inclusion(client, rt, chair):
    published(client, rt, chair)

    def change(proof: dict) -> None:
        entry = next(e for e in proof["entries"] if e["path"])
        entry["path"][0] = ("0" if entry["path"][0][0] != "0" else "1") + entry["path"][0][1:]
        proof["changed"] = entry["seq"]

    proof = json.loads(served(client)(PROOF)[1])
    change(proof)
    result = vp.verify(BASE, "DSM-42", fetch=altered(served(client), PROOF, change))
    assert result.exit_code == 1
    bad = f"entry {proof['changed']}"
    assert bad in failed(result) and "signature" not in failed(result)
    assert "Merkle root" in next(c.text for c in result.checks if c.name == bad)
    # and the figures that entry carries are not taken as proven
    roles = [r for e in proof["entries"] if e["seq"] == proof["changed"] for r in e["roles"]]
    names = {"first": "first alignment", "final": "final alignment", "delegates": "county delegates"}
    assert {names[r] for r in roles if r in names} <= failed(result)


def test_an_entry_changed_in_the_proof_no_longer_hashes_to_its_hash(client, rt, chair):
    published(client, rt, chair)

    def change(proof: dict) -> None:
        entry = next(e for e in proof["entries"] if "final" in e["roles"])
        entry["entry"]["detail"]["stages"]["final"]["Buttigieg"] = 56

    result = vp.verify(BASE, "DSM-42", fetch=altered(served(client), PROOF, change))
    assert result.exit_code == 1
    assert any("SHA-256 of its public form is not its hash" in c.text for c in result.failed())


def test_a_changed_merkle_root_fails_the_signature(client, rt, chair):
    published(client, rt, chair)

    def change(doc: dict) -> None:
        cp = doc.get("checkpoint", doc)
        cp["merkle_root"] = "0" * 64

    fetch = altered(altered(served(client), PROOF, change), CHECKPOINT, change)
    result = vp.verify(BASE, "DSM-42", fetch=fetch)
    assert result.exit_code == 1 and {"signature", "latest checkpoint"} <= failed(result)
    assert any(c.name.startswith("entry ") for c in result.failed())  # and the paths lead elsewhere
    # the latest checkpoint alone changed: the proof's still verifies, the served one does not
    result = vp.verify(BASE, "DSM-42", fetch=altered(served(client), CHECKPOINT, change))
    assert failed(result) == {"latest checkpoint"}


def test_a_wrong_pinned_key_fails_the_signature(client, rt, chair):
    published(client, rt, chair)
    other = Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw,
                                                                   serialization.PublicFormat.Raw)
    result = vp.verify(BASE, "DSM-42", fetch=served(client), public_key=base64.b64encode(other).decode())
    assert result.exit_code == 1 and "signature" in failed(result)
    assert "not the pinned key" in next(c.text for c in result.checks if c.name == "signature")
    bad = vp.verify(BASE, "DSM-42", fetch=served(client), public_key="not-a-key")
    assert bad.exit_code == 2 and "not base64 of 32 bytes" in bad.error


def test_an_entry_newer_than_the_checkpoint_cannot_be_checked_yet(client, rt, chair):
    published(client, rt, chair)
    report(chair, RECOUNT)  # a correction after the checkpoint
    results_public.forget_cached()  # the web's cache reads the results' version once a second
    result = vp.verify(BASE, "DSM-42", fetch=served(client))
    assert result.exit_code == 2 and result.checks == []
    assert "HTTP 503" in result.error and "newer than the latest signed checkpoint" in result.error
    assert result.lines()[-1].startswith("COULD NOT CHECK")
    checkpoints.take(rt.units, rt.redis)
    assert vp.verify(BASE, "DSM-42", fetch=served(client)).exit_code == 0


def test_unknown_or_unpublished_precincts_cannot_be_checked(client, rt, chair):
    result = vp.verify(BASE, "NOPE-1", fetch=served(client))
    assert result.exit_code == 2 and "HTTP 404" in result.error and "NOPE-1" in result.error
    report(chair, FIRST)
    result = vp.verify(BASE, "DSM-42", fetch=served(client))
    assert result.exit_code == 2 and "not published" in result.error


def test_an_explained_flag_is_a_warning_not_a_failure(client, rt, chair):
    report(chair, FIRST, FINAL, BAD_DELEGATES)
    review.explain(rt.units, "DSM-42", "alex", "coin toss per the chair")
    checkpoints.take(rt.units, rt.redis)
    result = vp.verify(BASE, "DSM-42", fetch=served(client))
    got = statuses(result)
    assert result.exit_code == 0 and got["delegates"] == vp.WARN and got["explanation"] == vp.OK
    assert "staff explained" in next(c.text for c in result.checks if c.name == "delegates")


def test_a_recorded_coin_toss_is_checked_against_its_entry_and_the_math(client, rt, chair):
    chair6 = Phone(client, rt, "+15155550106")
    report(chair6, f"first: {FORTY} att 40", f"final: {FORTY}",
           "delegates: Klobuchar 1, Sanders 1, Warren 2, Biden 2, Pete 2")
    chair6.send("COIN Warren")
    checkpoints.take(rt.units, rt.redis)
    result = vp.verify(BASE, "DSM-6", fetch=served(client))
    got = statuses(result)
    assert result.exit_code == 0, "\n".join(result.lines())
    assert got["coin toss"] == got["coin toss math"] == got["delegates"] == vp.OK
    assert "a coin toss decides" in next(c.text for c in result.checks if c.name == "delegates")
    # the record says Sanders won: the entry disagrees, and the math does not fit the delegates
    fetch = altered(served(client), "/api/results/precincts/DSM-6",
                    lambda r: r["coin_toss"].update(winners=["Sanders"]))
    assert failed(vp.verify(BASE, "DSM-6", fetch=fetch)) == {"coin toss", "coin toss math"}


def test_a_published_photo_is_checked_against_its_entries_and_its_bytes(client, rt, chair, twilio_media):  # noqa: F811
    rt.config = with_media(rt.config, twilio_media)
    report(chair, FIRST, FINAL, DELEGATES)
    chair.send("photo", media=[twilio_media.serve(MEDIA, Answer(200, "image/jpeg", JPEG))])
    work(rt, ALL_QUEUES)
    with rt.db.reading() as s:
        photo_id = s.scalars(select(WorksheetPhoto.id)).one()
    photos.mark(rt.units, photo_id, "matches", "alex")
    checkpoints.take(rt.units, rt.redis)
    result = vp.verify(BASE, "DSM-42", fetch=served(client), photos=True)
    assert result.exit_code == 0, "\n".join(result.lines())
    sha = hashlib.sha256(JPEG).hexdigest()[:12]
    got = statuses(result)
    assert got[f"photo {sha}"] == got[f"photo {sha} mark"] == got[f"photo {sha} file"] == vp.OK
    # other bytes behind the photo's address
    real = served(client)
    swapped = vp.verify(BASE, "DSM-42", fetch=lambda p: (200, b"not the photo") if "/photos/" in p else real(p),
                        photos=True)
    assert failed(swapped) == {f"photo {sha} file"}
    # a record that names another photo than the one the log stored
    fetch = altered(real, RECORD, lambda r: r["photos"][0].update(bytes=r["photos"][0]["bytes"] + 1))
    assert failed(vp.verify(BASE, "DSM-42", fetch=fetch)) == {f"photo {sha}"}


def test_the_cli_runs_the_verifier_and_cross_checks_with_the_engine(client, rt, chair, monkeypatch):
    published(client, rt, chair)
    monkeypatch.setattr(vp, "url_fetcher", lambda base_url, timeout=vp.TIMEOUT: served(client))
    result = CliRunner().invoke(cli, ["verify-public", BASE, "DSM-42"])
    assert result.exit_code == 0, result.output
    assert "OK   engine cross-check: the product's engine agrees" in result.output
    assert result.output.rstrip().splitlines()[-1].startswith("VERIFIED")
    as_json = CliRunner().invoke(cli, ["verify-public", BASE, "DSM-42", "--json"])
    data = json.loads(as_json.output)
    assert as_json.exit_code == 0 and data["exit_code"] == 0 and data["precinct"] == "DSM-42"
    assert {"signature", "engine cross-check"} <= {c["name"] for c in data["checks"]}
    # two implementations that disagree are a failure
    real = vp.allocate
    monkeypatch.setattr(vp, "allocate", lambda final, d, a: vp.Allocation(d, a, real(final, d, a).viability + 1, ()))
    broken = CliRunner().invoke(cli, ["verify-public", BASE, "DSM-42"])
    assert broken.exit_code == 1 and "FAIL engine cross-check: the verifier and the product's engine disagree" \
        in broken.output


def test_the_script_runs_on_its_own(client, rt, chair, tmp_path, monkeypatch, capsys):
    """The file served at /results/verify_public.py, loaded as a stand-alone module."""
    import importlib.util
    published(client, rt, chair)
    script = tmp_path / "verify_public.py"
    script.write_bytes(client.get("/results/verify_public.py").get_data())
    spec = importlib.util.spec_from_file_location("standalone_verify_public", script)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # as `python3 verify_public.py` has it
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "url_fetcher", lambda base_url, timeout=10: served(client))
    assert module.main([BASE, "DSM-42"]) == 0
    out = capsys.readouterr().out
    assert "OK   signature:" in out and out.rstrip().endswith("checks passed.")


def test_the_script_over_http_exits_0_1_or_2(app, client, rt, chair, tmp_path):
    """`python3 verify_public.py URL CODE` in its own process, against the app served on a port."""
    import subprocess
    import threading

    from werkzeug.serving import make_server
    published(client, rt, chair)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        script = str(vp.__file__)

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, script, url, *args], check=False, capture_output=True, text=True, timeout=60,
                                  cwd=tmp_path)  # not the repository: the script must not need it

        good = run("DSM-42")
        assert good.returncode == 0, good.stdout + good.stderr
        assert good.stdout.splitlines()[-1].startswith("VERIFIED")
        other = base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
        wrong = run("DSM-42", "--public-key", other, "--json")
        assert wrong.returncode == 1 and json.loads(wrong.stdout)["exit_code"] == 1
        missing = run("NOPE-1")
        assert missing.returncode == 2 and "HTTP 404" in missing.stdout
    finally:
        server.shutdown()
        thread.join(5)
