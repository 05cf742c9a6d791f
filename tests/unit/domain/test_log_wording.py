"""The verification log in plain sentences: one per kind, who did it, and a fallback without JSON."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hotline.domain import log_wording
from hotline.domain.log_wording import PHONE, STAFF, SYSTEM, describe, fallback, sentence, who

ROOT = Path(__file__).resolve().parents[3]
CHAIR = "+15155550001"


def recorded_kinds() -> dict[str, str]:
    """Every constant kind passed to chain.record anywhere in the product, with where."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "hotline").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in ("chain", "vlog")
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)):
                found.setdefault(node.args[1].value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_kind_the_product_logs_has_its_own_sentence():
    kinds = recorded_kinds()
    assert len(kinds) > 60  # the scan found the calls (a broken scan must not pass quietly)
    kinds.update({"opted_out": "records/opt_outs.py", "opted_in": "records/opt_outs.py"})  # kind is a variable there
    missing = {k: where for k, where in kinds.items() if k not in log_wording.KINDS}
    assert not missing, f"add a sentence to hotline/domain/log_wording.py for {missing}"


def test_read_back_code_names_the_phone_precinct_stages_and_checks():
    text = sentence("code_sent", "DSM-1", CHAIR, CHAIR,
                    {"submission_id": 4, "code_kind": "readback", "source": "sms", "stages": ["first", "final"],
                     "replaced": [], "findings": []})
    assert text == f"Read-back code sent to {CHAIR} for DSM-1 (first, final); checks: none"


def test_a_staff_entry_is_not_worded_as_a_code_sent_and_is_under_the_staff_members_name():
    line = describe("code_sent", "DSM-1", None, "alice",
                    {"submission_id": 4, "code_kind": "readback", "source": "staff", "stages": ["final"],
                     "replaced": [], "findings": ["sum-mismatch"]})
    assert "code sent" not in line.sentence.lower() and "Read-back" not in line.sentence
    assert "stored by alice" in line.sentence and "approval" in line.sentence and "sum-mismatch" in line.sentence
    assert (line.who.text, line.who.role) == ("alice", STAFF)


def test_a_code_texted_by_staff_to_check_identity():
    text = sentence("code_sent", "DSM-1", CHAIR, "alice",
                    {"code_kind": "callback", "source": "staff", "stages": [], "findings": []})
    assert text == f"alice texted a code to the registered phone {CHAIR} of DSM-1 to check who is on the line"


def test_report_confirmed_lists_the_figures_in_stage_order():
    text = sentence("report_confirmed", "DSM-1", CHAIR, CHAIR,
                    {"submission_id": 9, "source": "sms", "attendance": 40, "flagged": False, "findings": [],
                     "stages": {"final": {"Steyer": 15, "Bennet": 11}, "first": {"Steyer": 20}}})
    assert text == ("Report confirmed: DSM-1 first alignment Steyer 20; final alignment Steyer 15, Bennet 11; "
                    "attendance 40; checks: none.")


def test_a_staff_approval_says_who_approved_and_a_flag():
    line = describe("report_confirmed", "DSM-1", None, "bob",
                    {"source": "staff", "stages": {"delegates": {"Pete": 3}}, "attendance": None, "flagged": True,
                     "findings": ["delegate-total"]})
    assert line.sentence.startswith("Report confirmed (staff entry approved by bob): DSM-1 county delegates Pete 3")
    assert "checks: delegate-total" in line.sentence and "Flagged" in line.sentence
    assert line.who.text == "bob"


@pytest.mark.parametrize("actor, expected, role", [("alice", "Precinct DSM-1 held by alice: looks off", "alice"),
                                                   (None, "Precinct DSM-1 held by the checks: looks off", "the checks")])
def test_holds_by_staff_and_by_the_checks(actor, expected, role):
    line = describe("precinct_held", "DSM-1", None, actor,
                    {"hold_id": 1, "hold_kind": "staff" if actor else "auto", "reason": "looks off", "findings": []})
    assert line.sentence == expected and line.who.text == role


def test_a_hold_with_no_figures_says_so():
    text = sentence("precinct_held", "DSM-1", None, "alice", {"reason": "chair unsure", "no_figures": True})
    assert "no figures yet" in text


def test_who_is_the_chairs_phone_on_the_chairs_own_entries():
    assert who("sms_received", CHAIR, None, {}) == log_wording.Who(CHAIR, PHONE)
    assert who("code_checked", CHAIR, None, {"ok": True}).text == CHAIR


def test_who_is_the_staff_member_on_staff_actions_even_with_a_phone_on_the_entry():
    assert who("staff_sms", CHAIR, "alice", {}) == log_wording.Who("alice", STAFF)
    assert who("code_checked", CHAIR, "alice", {"via": "staff"}).text == "alice"


@pytest.mark.parametrize("kind, phone, actor", [("backlog_opened", CHAIR, None), ("backlog_resolved", CHAIR, "system"),
                                                ("sms_send_failed", CHAIR, None), ("stage_missing", None, None),
                                                ("log_rewrite_detected", None, "system")])
def test_who_is_the_system_on_automatic_entries(kind, phone, actor):
    assert who(kind, phone, actor, {}).role == SYSTEM


def test_an_opt_out_reported_by_twilio_is_not_the_chairs_doing():
    assert who("opted_out", CHAIR, None, {"source": "twilio_21610"}).role == SYSTEM
    assert who("opted_out", CHAIR, None, {"source": "text"}).text == CHAIR


def test_an_item_that_closed_itself_and_one_a_staff_member_resolved():
    assert sentence("backlog_resolved", "DSM-1", None, "system", {"item_id": 3, "note": "a newer report passes"}) \
        == "Item #3 closed itself: a newer report passes"
    assert sentence("backlog_resolved", "DSM-1", None, "alice", {"item_id": 3, "note": "called"}) \
        == "alice resolved item #3: called"


def test_an_unknown_kind_reads_as_keys_and_values_never_json():
    text = sentence("observer_conflict", "DSM-1", None, None,
                    {"sources": ["sms", "observer"], "figures": {"first": {"Pete": 3}}, "ok": False, "note": None})
    assert text == "Observer conflict: sources: sms, observer; figures: first: Pete 3; ok: no; note: none"
    assert "{" not in text and "[" not in text and '"' not in text


def test_a_known_kind_with_an_unexpected_detail_falls_back_instead_of_failing():
    text = sentence("staff_user_created", None, None, "carol", {"role": "staff"})  # no username
    assert text == "Staff user created: role: staff"


def test_fallback_of_an_empty_detail():
    assert fallback({}) == ""
    assert sentence("something_new", None, None, None, None) == "Something new"


def test_every_sentence_survives_an_empty_detail():
    for kind in log_wording.KINDS:
        text = sentence(kind, None, None, None, {})
        assert text and "{" not in text, kind


def test_an_observers_refused_command_names_the_command():
    text = sentence("observer_text_refused", None, CHAIR, None, {"command": "callme"})
    assert text == f"Text from observer {CHAIR} refused: observers may only send counts (it read as callme)"
