"""The voice hotline's pure helpers: keypad codes, key meanings, spoken text, wait estimates."""
from __future__ import annotations

import pytest

from hotline.domain import ivr
from hotline.domain.ivr import Key
from hotline.domain.wording import voice as wording


@pytest.mark.parametrize("code,keys", [("DSM-42", "37642"), ("AMES-1", "26371"), ("IC-5", "425"),
                                       ("dsm-7", "3767"), ("WXYZ 0", "99990"), ("PQRS-TUV", "7777888")])
def test_keypad_digits(code, keys):
    assert ivr.keypad_digits(code) == keys


def test_keypad_index_keeps_codes_that_share_keys():
    index = ivr.keypad_index(["ERM-42", "DSM-42", "IC-5"])
    assert index == {"37642": ["DSM-42", "ERM-42"], "425": ["IC-5"]}


@pytest.mark.parametrize("digits,zero_is_value,key", [
    ("", False, Key.SILENCE), (None, False, Key.SILENCE), (" ", True, Key.SILENCE),
    ("*", False, Key.BACK), ("12*", True, Key.BACK), ("**", False, Key.BACK),
    ("*0", True, Key.PERSON), ("**0", False, Key.PERSON), ("0", False, Key.PERSON),
    ("0", True, Key.VALUE), ("00", False, Key.VALUE), ("4321", False, Key.VALUE)])
def test_classify(digits, zero_is_value, key):
    assert ivr.classify(digits, zero_is_value=zero_is_value) is key


@pytest.mark.parametrize("digits,count", [("0", 0), ("12", 12), ("0045", 45), ("9999", 9999),
                                          ("10000", None), ("", None), ("1#", None), ("12a", None)])
def test_parse_count(digits, count):
    assert ivr.parse_count(digits) == count


def test_spoken_forms():
    assert wording.spoken_code("DSM-42") == "D S M 42"
    assert wording.spoken_code("ames-1") == "A M E S 1"
    assert wording.spoken_digits("+15155550142"[-4:]) == "0 1 4 2"
    assert wording.spoken_name("Biden", ("Joe", "Joe Biden", "Joseph Biden")) == "Joe Biden"
    assert wording.spoken_name("Uncommitted", ("Uncom", "Not Committed")) == "Uncommitted"
    assert wording.join_words(["a"]) == "a" and wording.join_words(["a", "b", "c"]) == "a, b and c"
    assert [wording.minutes(s) for s in (0, 59, 60, 61, 300)] == [
        "less than a minute", "less than a minute", "1 minute", "2 minutes", "5 minutes"]


def test_readback_names_every_number_and_the_total():
    text = wording.readback("DSM-42", "First alignment", [("Joe Biden", 12), ("Mike Bloomberg", 0),
                                                          ("Pete Buttigieg", 45)], warning="Too many.")
    assert text == ("Please check these numbers for precinct D S M 42, first alignment. Joe Biden: 12. "
                    "Pete Buttigieg: 45. Total: 57. Zero for Mike Bloomberg. Please check: Too many.")


def test_estimate_wait_from_recent_pace_or_recent_waits():
    now = 10_000.0
    # Four answered over the last 8 minutes: one per 2 minutes; position 3 waits 6 minutes.
    assert ivr.estimate_wait(3, [now - 480, now - 300, now - 200, now - 10], [], now) == pytest.approx(360)
    # Answers older than the window do not count; one recent answer is not a pace.
    assert ivr.estimate_wait(3, [now - 5000, now - 10], [40, 80], now) == 60
    assert ivr.estimate_wait(3, [], [], now) is None
    # A burst of answers is measured over at least a minute, never as instant.
    assert ivr.estimate_wait(1, [now - 1, now], [], now) == 30


def test_wait_message_is_honest_for_unknown_callers():
    text = wording.wait_message(4, 120, chair=False, chairs_ahead=3, over_limit=False, limit_seconds=300)
    assert text == ("You are number 4 in line. Precinct chairs are answered first, and 3 are waiting now. "
                    "The estimated wait is at least about 2 minutes. To get a call back instead of "
                    "waiting, press 1.")


def test_callback_booked_says_what_happens_next_with_the_same_place_and_wait_as_on_hold():
    booked = wording.callback_booked("0142", 4, 120, chair=False, chairs_ahead=3)
    held = wording.wait_message(4, 120, chair=False, chairs_ahead=3, over_limit=False, limit_seconds=300)
    assert booked == ("Thank you. Hotline staff will call you back at the number ending 0 1 4 2. You keep "
                      "your place in line. You are number 4 in line. Precinct chairs are answered first, "
                      "and 3 are waiting now. The estimated wait is at least about 2 minutes. Please keep "
                      "that phone free. You can hang up now. Goodbye.")
    same = wording.place_and_wait(4, 120, chair=False, chairs_ahead=3)
    assert same in booked and held.startswith(same)
    assert "You are number 1 in line for the results desk. I cannot estimate the wait yet." in (
        wording.callback_booked("0142", 1, None, chair=True, chairs_ahead=0))


def test_notices_read_back_the_keys_pressed_or_say_that():
    assert wording.notice("no_precinct", "999") == ("I found no precinct for 9 9 9. Please check the code "
                                                    "on your worksheet.")
    assert wording.notice("bad_count", "*#") == "Sorry, that is not a number I can use."
    assert wording.notice("invalid") == "Sorry, that is not one of the choices."
    assert wording.pin_refused("DSM-42", "slowed", 180, "registered").startswith(
        "Precinct D S M 42 had too many wrong PINs, so it takes one PIN try every 3 minutes.")
    assert wording.pin_refused("DSM-42", "phone", 180, "own").endswith(
        "Hotline staff will call you back on this phone. You can also text your results from it, "
        "with no PIN.")
    assert wording.code_prompt("+15155550142").startswith(
        "We texted a 4-digit code to the chair's registered phone, ending 0 1 4 2.")
