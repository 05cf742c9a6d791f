"""Which texts opt a phone out or back in: the carrier keywords, Twilio's OptOutType, YES to resubscribe."""
from __future__ import annotations

import pytest

from hotline.domain.opt_out import IN, OUT, change


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop! ", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT",
                                  "stop."])
def test_opt_out_words(body):
    assert change(body) == OUT


@pytest.mark.parametrize("body", ["START", "unstop", "Start."])
def test_opt_in_words(body):
    assert change(body) == IN


@pytest.mark.parametrize("body", ["stop sending me the wrong precinct", "cancel that", "no", "YES 4821",
                                  "first: Pete 45", "", "please stop"])
def test_other_texts_change_nothing(body):
    assert change(body) is None and change(body, opted_out=True) is None


def test_a_bare_yes_resubscribes_only_an_opted_out_phone():
    assert change("YES") is None  # a chair confirming without the code
    assert change("yes", opted_out=True) == IN
    assert change("YES 4821", opted_out=True) is None  # a code: a confirmation, not a resubscribe


def test_twilios_opt_out_type_wins():
    assert change("ARRET", "STOP") == OUT
    assert change("commencer", "START") == IN
    assert change("STOP", "HELP") is None  # Twilio says it is a help request
