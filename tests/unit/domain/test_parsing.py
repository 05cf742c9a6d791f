"""The SMS parser: every accepted form, every error, commands and the demo candidate list."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import hotline
from hotline.domain.model import Candidate, Stage
from hotline.domain.parsing import (
    Cancel,
    Confirm,
    Done,
    Help,
    Report,
    Section,
    Status,
    as_dict,
    parse_message,
)

DEMO_CSV = Path(hotline.__file__).parent / "data" / "candidates_iowa2020.csv"


def load_demo() -> list[Candidate]:
    with DEMO_CSV.open(encoding="utf-8") as f:
        return [Candidate(row["name"], tuple(a for a in row["aliases"].split("|") if a),
                          int(row["ballot_order"])) for row in csv.DictReader(f)]


IOWA = load_demo()
KNOWN = ["DSM-42", "DSM-43", "AMES-7", "POLK-101"]


def parse(text: str, known: list[str] | None = None):
    return parse_message(text, IOWA, known_precincts=known)


def report(text: str, known: list[str] | None = None) -> Report:
    message = parse(text, known)
    assert isinstance(message, Report), message
    return message


# ---------------------------------------------------------------- the demo candidate list

def test_demo_csv_is_the_2020_iowa_field_in_ballot_order():
    names = [c.name for c in sorted(IOWA, key=lambda c: c.ballot_order)]
    assert names == ["Bennet", "Biden", "Bloomberg", "Buttigieg", "Delaney", "Gabbard", "Klobuchar",
                     "Patrick", "Sanders", "Steyer", "Warren", "Yang", "Uncommitted"]
    assert len({c.ballot_order for c in IOWA}) == 13


def test_demo_csv_does_not_alias_ambiguous_or_wrong_words():
    aliases = {a.lower() for c in IOWA for a in c.aliases}
    assert not aliases & {"michael", "mike", "undecided"}
    assert len(aliases) == sum(len(c.aliases) for c in IOWA)  # no alias given to two candidates


# ---------------------------------------------------------------- accepted forms

@pytest.mark.parametrize("text, counts", [
    ("Biden 12", {"Biden": 12}),                                   # name number
    ("12 Biden", {"Biden": 12}),                                   # number name
    ("Biden: 12", {"Biden": 12}),                                  # name: number
    ("Biden=12", {"Biden": 12}),                                   # name=number
    ("Biden-12", {"Biden": 12}),                                   # name-number
    ("Pete-45", {"Buttigieg": 45}),                                # not precinct PETE-45
    ("Biden - 12", {"Biden": 12}),
    ("Biden12 Pete45", {"Biden": 12, "Buttigieg": 45}),
    ("Biden 12, Pete 45; Warren 30\nBernie 40", {"Biden": 12, "Buttigieg": 45, "Warren": 30, "Sanders": 40}),
    ("Biden 12 Pete 45 Warren 30", {"Biden": 12, "Buttigieg": 45, "Warren": 30}),
    ("12 Biden 45 Pete", {"Biden": 12, "Buttigieg": 45}),
    ("Biden 12, 45 Pete", {"Biden": 12, "Buttigieg": 45}),
    ("Biden, 12, Pete, 45", {"Biden": 12, "Buttigieg": 45}),
    ("Biden: 12 / Pete: 45 | Warren: 30.", {"Biden": 12, "Buttigieg": 45, "Warren": 30}),
    ("Elizabeth Warren 30, Mayor Pete 45", {"Warren": 30, "Buttigieg": 45}),
    ("Bernie Sanders 40 Joe Biden 12 Tom Steyer 2", {"Sanders": 40, "Biden": 12, "Steyer": 2}),
    ("Liz Warren 30", {"Warren": 30}),                             # two words, same person
    ("Mike Bloomberg 3, Michael Bennet 1", {"Bloomberg": 3, "Bennet": 1}),
    ("Mike Bennet 1", {"Bennet": 1}),                              # ambiguous first name + surname
    ("Amy 8", {"Klobuchar": 8}),
    ("Klob 8 EW 30 Unc 2 Tulsi 1 Deval 0 Andrew 3 John 1 Tom 2 Joe 12 Liz 30",
     {"Klobuchar": 8, "Warren": 30, "Uncommitted": 2, "Gabbard": 1, "Patrick": 0, "Yang": 3,
      "Delaney": 1, "Steyer": 2, "Biden": 12}),
    ("Uncommitted 4 uncom 4", {"Uncommitted": 4}),                # same number twice is fine
    ("Buttigeg 45", {"Buttigieg": 45}),                            # misspellings
    ("Butigieg 45", {"Buttigieg": 45}),
    ("Klobachar 8", {"Klobuchar": 8}),
    ("Sandres 40", {"Sanders": 40}),
    ("Warrren 30", {"Warren": 30}),
    ("Bidden 12", {"Biden": 12}),
    ("Bennett 1", {"Bennet": 1}),
    ("Butigeg 45", {"Buttigieg": 45}),                             # two typos in a long name
    ("Klobuchr 8 Gabard 1 Steyr 2 Delany 1", {"Klobuchar": 8, "Gabbard": 1, "Steyer": 2, "Delaney": 1}),
    ("Uncommited 2", {"Uncommitted": 2}),
    ("pEtE 45 BERNIE 40", {"Buttigieg": 45, "Sanders": 40}),       # any case
    ("Yang 0", {"Yang": 0}),
    ("Pete 1,200", {"Buttigieg": 1200}),
    ("Pete 45 votes and Bernie 40 votes total 85", {"Buttigieg": 45, "Sanders": 40}),  # filler
    ("Hi! Here are the results: Pete 45 Bernie 40 thanks", {"Buttigieg": 45, "Sanders": 40}),
    ("Pete 45 Bernie 40 done", {"Buttigieg": 45, "Sanders": 40}),
])
def test_count_forms(text, counts):
    parsed = report(text)
    assert parsed.errors == ()
    assert parsed.counts == counts
    assert list(parsed.counts) == list(counts)  # in the order given
    assert parsed.ok


@pytest.mark.parametrize("text, stage", [
    ("first Pete 45", Stage.FIRST), ("First: Pete 45", Stage.FIRST), ("FIRST - Pete 45", Stage.FIRST),
    ("1st Pete 45", Stage.FIRST), ("1st alignment: Pete 45", Stage.FIRST),
    ("first alignment Pete 45", Stage.FIRST), ("first expression Pete 45", Stage.FIRST),
    ("alignment 1: Pete 45", Stage.FIRST), ("frist: Pete 45", Stage.FIRST),
    ("final Pete 45", Stage.FINAL), ("2nd: Pete 45", Stage.FINAL), ("second Pete 45", Stage.FINAL),
    ("final alignment Pete 45", Stage.FINAL), ("final expression Pete 45", Stage.FINAL),
    ("realignment Pete 45", Stage.FINAL), ("re-alignment Pete 45", Stage.FINAL),
    ("alignment 2 Pete 45", Stage.FINAL), ("FINAL- Pete 45", Stage.FINAL),
    ("delegates Pete 3", Stage.DELEGATES), ("dels: Pete 3", Stage.DELEGATES),
    ("county delegates Pete 3", Stage.DELEGATES), ("CDs Pete 3", Stage.DELEGATES),
    ("Delegates: Pete 3", Stage.DELEGATES), ("delagates Pete 3", Stage.DELEGATES),
    ("Pete 55, Bernie 48 final", Stage.FINAL),                      # stage word after the counts
    ("Pete 45", None),
])
def test_stage_words(text, stage):
    parsed = report(text)
    assert parsed.errors == ()
    assert parsed.stage == stage
    assert parsed.counts["Buttigieg"] in (3, 45, 55)


def test_several_stages_in_one_text_make_several_sections():
    parsed = report("Precinct DSM-42 first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30 "
                    "final: Pete 55 Bernie 48 Warren 34 delegates Pete 3 Bernie 2 Warren 2")
    assert parsed.ok and parsed.precinct == "DSM-42"
    assert parsed.sections == (
        Section(Stage.FIRST, {"Biden": 12, "Buttigieg": 45, "Klobuchar": 8, "Sanders": 40, "Warren": 30}),
        Section(Stage.FINAL, {"Buttigieg": 55, "Sanders": 48, "Warren": 34}),
        Section(Stage.DELEGATES, {"Buttigieg": 3, "Sanders": 2, "Warren": 2}),
    )
    assert parsed.stage is Stage.FIRST and parsed.counts["Biden"] == 12


def test_multi_line_text_with_stages_on_their_own_lines():
    parsed = report("DSM-42\nFirst:\nBiden 12\nPete 45\n\nFinal:\nPete 55\nBiden 0")
    assert [s.stage for s in parsed.sections] == [Stage.FIRST, Stage.FINAL]
    assert parsed.sections[1].counts == {"Buttigieg": 55, "Biden": 0}


@pytest.mark.parametrize("text, precinct", [
    ("DSM-42 first Pete 45", "DSM-42"), ("dsm-42 first Pete 45", "DSM-42"),
    ("dsm 42 first Pete 45", "DSM-42"), ("DSM42 first Pete 45", "DSM-42"),
    ("precinct dsm-42 first Pete 45", "DSM-42"), ("Precinct: DSM 42 Pete 45", "DSM-42"),
    ("pct DSM-42 Pete 45", "DSM-42"), ("#DSM-42 Pete 45", "DSM-42"), ("DSM - 42: Pete 45", "DSM-42"),
    ("first Pete 45 DSM-42", "DSM-42"), ("Pete 45", None),
])
def test_precinct_codes(text, precinct):
    parsed = report(text)
    assert parsed.errors == ()
    assert parsed.precinct == precinct
    assert parsed.counts == {"Buttigieg": 45}


@pytest.mark.parametrize("text, precinct", [
    ("dsm 42 Pete 45", "DSM-42"), ("DSM-042 Pete 45", "DSM-42"), ("ames7 Pete 45", "AMES-7"),
    ("Pete 45 polk 101", "POLK-101"),  # a known code is found anywhere, even spaced
])
def test_known_precincts_are_matched_after_normalising(text, precinct):
    parsed = report(text, KNOWN)
    assert parsed.errors == () and parsed.precinct == precinct and parsed.counts == {"Buttigieg": 45}


def test_known_precinct_wins_over_a_candidate_alias():
    parsed = parse_message("EW-3 first Pete 45", IOWA, known_precincts=["EW-3"])
    assert parsed.precinct == "EW-3" and parsed.counts == {"Buttigieg": 45}


@pytest.mark.parametrize("text, value", [
    ("attendance 123 Pete 45", 123), ("att 123 Pete 45", 123), ("att: 123 Pete 45", 123),
    ("attendees 123, Pete 45", 123), ("Pete 45 attendance=123", 123), ("Pete 45", None),
])
def test_attendance(text, value):
    parsed = report(text)
    assert parsed.ok and parsed.attendance == value and parsed.counts == {"Buttigieg": 45}


@pytest.mark.parametrize("text, pin", [
    ("DSM-42 PIN 1234 first Pete 45", "1234"), ("DSM-42 pin:1234 Pete 45", "1234"),
    ("pin1234 DSM-42 Pete 45", "1234"), ("DSM-42 Pete 45 PIN 98765", "98765"), ("DSM-42 Pete 45", None),
])
def test_pin(text, pin):
    parsed = report(text)
    assert parsed.ok and parsed.pin == pin and parsed.counts == {"Buttigieg": 45}


@pytest.mark.parametrize("text, correction", [
    ("CORRECT final Pete 55", True), ("Correction: final Pete 55", True), ("fix final Pete 55", True),
    ("RESUBMIT DSM-42 final Pete 55", True), ("final Pete 55", False),
])
def test_correction_flag(text, correction):
    parsed = report(text)
    assert parsed.ok and parsed.correction is correction and parsed.counts == {"Buttigieg": 55}


@pytest.mark.parametrize("text", [
    "Pete\u00a045 Bernie\u00a040",                   # no-break spaces
    "Pete\u201345, Bernie\u201440",                  # en and em dashes
    "Pete\uff1a45 Bernie\uff1a 40",                  # full-width colons
    "\u201cPete\u201d 45, \u2018Bernie\u2019 40",    # smart quotes
    "Pete \uff14\uff15 Bernie \u0664\u0660",          # full-width and Arabic-Indic digits
    "\U0001F44D Pete 45 \U0001F600 Bernie 40 \u2764\ufe0f",  # emoji
    "Pe\u200bte 45\x00 Bernie\x07 40\r\n",           # zero-width space and control characters
    "  ...Pete 45 Bernie 40!!!  ",                   # leading and trailing junk
    "P\u00e9te 45 B\u00e9rnie 40",                   # accents
])
def test_unicode_and_junk(text):
    parsed = report(text)
    assert parsed.errors == ()
    assert parsed.counts == {"Buttigieg": 45, "Sanders": 40}


# ---------------------------------------------------------------- commands

@pytest.mark.parametrize("text, expected", [
    ("YES 4821", Confirm("4821")), ("yes4821", Confirm("4821")), ("Y 4821", Confirm("4821")),
    ("yes, 4821", Confirm("4821")), ("4821 yes", Confirm("4821")), ("YES", Confirm(None)),
    ("ok 4821", Confirm("4821")), ("confirm 4821", Confirm("4821")), ("Yes 4821 thanks!", Confirm("4821")),
    ("yes correct 4821", Confirm("4821")), ("4821", Confirm("4821")), ("482193", Confirm("482193")),
    (" yes ", Confirm(None)), ("YES 48 21", Confirm("4821")),
    ("CANCEL", Cancel()), ("no", Cancel()), ("No cancel", Cancel()), ("cancel please", Cancel()),
    ("HELP", Help()), ("?", Help()), ("info", Help()), ("how", Help()), ("help?", Help()),
    ("how do I report", Help()), ("START", Help()),
    ("STATUS", Status()), ("status?", Status()), ("status DSM-42", Status()),
    ("DONE", Done()), ("finished", Done()), ("that's all", Done()), ("That\u2019s all, thanks", Done()),
    ("all done", Done()),
])
def test_commands(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["STOP", "stop", "UNSUBSCRIBE", "quit"])
def test_carrier_opt_out_words_are_not_cancel(text):
    parsed = report(text)
    assert not parsed.ok and "turns off texts" in parsed.errors[0] and text in parsed.errors[0]


@pytest.mark.parametrize("text", ["45", "123", "1234567", "yes Pete 45", "correct 4821"])
def test_things_that_are_not_a_confirm(text):
    assert not isinstance(parse(text), Confirm)


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("text, fragments", [
    ("", ["The message was empty"]),
    ("   \n ", ["The message was empty"]),
    ("\U0001F44D", ["The message was empty"]),
    ("Mike 3", ["'Mike' could be Bennet or Bloomberg", "use the last name"]),
    ("Michael 3", ["'Michael' could be Bennet or Bloomberg"]),
    ("Pete 45 Xyzzy 12", ["I don't know the name 'Xyzzy'"]),
    ("Pete 45 Buttajudge 12", ["'Buttajudge'", "did you mean Buttigieg?"]),
    ("Pete 45 Undecided 3", ["I don't know the name 'Undecided'"]),
    ("Pete 45 Buttigieg 50", ["Buttigieg is given twice ('Pete 45', 'Buttigieg 50')"]),
    ("Pete -5", ["'-5' is negative"]),
    ("Pete: -5", ["'-5' is negative"]),
    ("Pete 12.5", ["'12.5' is not a whole number"]),
    ("Pete 12 1/2", ["'1/2' is not a whole number"]),
    ("Pete twelve", ["'twelve' is spelled out", "like 12"]),
    ("Pete twenty-five", ["'twenty-five' is spelled out", "like 25"]),
    ("Pete forty five", ["'forty five' is spelled out", "like 45"]),
    ("Delaney none", ["'none' is spelled out", "like 0"]),
    ("Pete 3001", ["'3001' is too big for one precinct"]),
    ("Pete 99999999999999999999999999999999999", ["'99999999999999999999", "too big"]),
    ("Pete 45 Bernie", ["'Bernie' has no number next to it", "Sanders 30"]),
    ("Pete Bernie 45", ["'Pete' has no number next to it"]),
    ("Pete 45, 12", ["'12' has no name next to it"]),
    ("first Pete 45 final", ["'final' has no counts after it", "final: "]),
    ("final:", ["'final' has no counts after it"]),
    ("DSM-42", ["I found no results"]),
    ("hi", ["I found no results"]),
    ("DSM-42 PIN Pete 45", ["'PIN' has no digits after it"]),
    ("DSM-42 Pete 45 DSM-43", ["Two precinct codes (DSM-42, DSM-43)"]),
    ("att 100 Pete 45 attendance 120", ["Attendance is given twice ('att 100', 'attendance 120')"]),
    ("Pete " + "9" * 5000, ["too big"]),
    ("Pete 45 " * 400, ["too long"]),
])
def test_errors_name_the_token(text, fragments):
    parsed = report(text)
    assert not parsed.ok
    joined = " | ".join(parsed.errors)
    for fragment in fragments:
        assert fragment in joined


@pytest.mark.parametrize("word", ["like", "both", "back", "better", "letter", "amyy", "joey", "peet",
                                  "Undecided"])
def test_common_words_and_short_typos_are_not_guessed_as_names(word):
    parsed = report(f"Pete 45 {word} 3")
    assert f"I don't know the name '{word}'" in parsed.errors[0]
    assert parsed.counts == {"Buttigieg": 45}


@pytest.mark.parametrize("text, code", [("XYZ-9 first Pete 45", "XYZ-9"), ("dsm 44 Pete 45", "DSM-44"),
                                        ("precinct 42 Pete 45", "42")])
def test_unknown_precinct_is_named(text, code):
    parsed = report(text, KNOWN)
    assert f"I don't know precinct {code}" in parsed.errors[0] and parsed.precinct == code


def test_unknown_word_opening_a_text_is_a_name_when_precincts_are_known():
    parsed = report("Bob 12 Pete 45", KNOWN)
    assert parsed.precinct is None and "I don't know the name 'Bob'" in parsed.errors[0]


def test_every_error_is_short_plain_ascii():
    texts = ["P\u00e9t\u00e9x 12 Pete", "\u0411\u0435\u0440\u043d\u0438 12", "Pete \u4e8c\u5341",
             "Mike 3 Pete -4 Warren 2.5 Biden " + "x" * 200 + " 4"]
    for text in texts:
        for error in report(text).errors:
            assert error.isascii() and len(error) <= 160, error


def test_errors_do_not_hide_good_counts():
    parsed = report("Pete 45 Mike 3 Bernie 40")
    assert parsed.counts == {"Buttigieg": 45, "Sanders": 40} and not parsed.ok


# ---------------------------------------------------------------- other candidate lists

def test_alias_shared_by_two_candidates_is_ambiguous_and_full_names_work():
    field = [Candidate("Ocasio-Cortez", ("AOC", "Alexandria Ocasio-Cortez"), 1),
             Candidate("Jane Smith", ("Jane",), 2), Candidate("John Smith", ("Jane",), 3)]
    parsed = parse_message("AOC 5, Ocasio Cortez 5, John Smith 4 Jane 2", field)
    assert parsed.counts == {"Ocasio-Cortez": 5, "John Smith": 4}
    assert parsed.errors == ("'Jane' could be Jane Smith or John Smith - use the last name.",)
    assert parse_message("Smith 3", field).errors[0].startswith("'Smith' could be")


def test_candidates_with_list_aliases_still_work():
    field = [Candidate("Biden", ["Joe"], 1)]  # type: ignore[arg-type]
    assert parse_message("Joe 3", field).counts == {"Biden": 3}


def test_no_candidates_at_all():
    parsed = parse_message("first Pete 45", [])
    assert parsed.stage is Stage.FIRST and "I don't know the name 'Pete'" in parsed.errors[0]


# ---------------------------------------------------------------- properties

JUNK = st.text(alphabet=st.characters(exclude_categories=()), max_size=200)  # surrogates too
SMS_ALPHABET = st.sampled_from(list("0123456789-:=,.;/#\n \t'\u2013\u00a0\u201c\U0001F44Dabc") +
                               ["Pete", "Biden", "Mike", "first", "final", "dels", "DSM", "PIN", "att",
                                "twelve", "YES", "-", "99999999999999999999", "1st", "\x00", "\u0301"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JUNK)
@example("AA0A\u01100")  # a non-ASCII letter once made a precinct code and a non-ASCII reply
def test_parse_never_raises_on_arbitrary_text(text):
    message = parse_message(text, IOWA, known_precincts=KNOWN)
    json.dumps(as_dict(message))
    if isinstance(message, Report):
        assert all(e.isascii() for e in message.errors)
        assert message.ok == (not message.errors and any(s.counts for s in message.sections))


@settings(max_examples=200, deadline=None)
@given(st.lists(SMS_ALPHABET, max_size=40).map("".join), st.booleans())
def test_parse_never_raises_on_sms_like_text(text, with_known):
    message = parse_message(text, IOWA, known_precincts=KNOWN if with_known else None)
    if isinstance(message, Report):
        for section in message.sections:
            assert all(0 <= n <= 3000 for n in section.counts.values())
            assert set(section.counts) <= {c.name for c in IOWA}


SPELLINGS = {"Biden": ["Biden", "Joe", "joe biden"], "Buttigieg": ["Pete", "Mayor Pete", "Buttigeg"],
             "Sanders": ["Bernie", "SANDERS", "Sandres"], "Warren": ["Warren", "Liz", "Elizabeth Warren"],
             "Klobuchar": ["Amy", "Klobachar"], "Yang": ["Yang", "Andrew"],
             "Uncommitted": ["Unc", "uncommitted"]}


NAME_FIRST = ["{a} {n}", "{a}: {n}", "{a}={n}", "{a}-{n}", "{a} - {n}", "{a}:{n}"]


@st.composite
def counts_text(draw, number_first: bool = False):
    names = draw(st.lists(st.sampled_from(sorted(SPELLINGS)), min_size=1, max_size=7, unique=True))
    counts = {name: draw(st.integers(0, 3000)) for name in names}
    forms = NAME_FIRST + (["{n} {a}", "{n}: {a}"] if number_first else [])
    pairs = [draw(st.sampled_from(forms)).format(a=draw(st.sampled_from(SPELLINGS[name])), n=n)
             for name, n in counts.items()]
    # "45,100 Biden" would read as forty-five thousand, so number-first pairs get a space after commas.
    separator = draw(st.sampled_from([", ", "; ", "\n", " ", " , "] + ([] if number_first else [","])))
    return separator.join(pairs), counts


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["", "first: ", "Final - ", "delegates ", "2nd ", "DSM-42 first "]), counts_text())
def test_well_formed_reports_parse_exactly(stage, case):
    text, counts = case
    parsed = report(stage + text)
    assert parsed.errors == ()
    assert parsed.counts == counts


@settings(max_examples=100, deadline=None)
@given(counts_text(number_first=True))
def test_names_before_or_after_numbers_parse_exactly(case):
    text, counts = case
    assert report(text).counts == counts and report(text).errors == ()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["first", "final", "delegates"]), counts_text()),
                min_size=1, max_size=3, unique_by=lambda section: section[0]),
       st.sampled_from([" ", "\n", ": ", ". "]))
def test_several_stages_parse_exactly(sections, joiner):
    text = joiner.join(f"{stage}: {body}" for stage, (body, _) in sections)
    parsed = report(text)
    assert parsed.errors == ()
    assert [(s.stage.value, s.counts) for s in parsed.sections] == [(st_, c) for st_, (_, c) in sections]


def test_missing_parts_asks_for_numbers_then_for_the_stage():
    from hotline.domain.parsing import missing_parts
    from hotline.domain.wording.sms import NEED_STAGE, NO_NUMBERS
    assert missing_parts(report("first: Pete")) == [NO_NUMBERS]
    assert missing_parts(report("Pete 45, Bernie 40")) == [NEED_STAGE]
    assert missing_parts(report("first: Pete 45")) == []
