"""The loop guard's rule: an auto-responder answering our replies is a loop, a chair typing fast is not."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hotline.domain.reply_loop import RULE, Text, is_loop, normal, seconds_after_reply, similar

T0 = datetime(2020, 2, 3, 19, 30, tzinfo=timezone.utc)
DRIVING = "I'm driving right now - I'll get back to you when I can."


def conversation(texts: list[tuple[float, str, bool]], reply_after: float = 1.0) -> list[Text]:
    """Texts at (seconds, body, acted_on); we answer each `reply_after` seconds after it arrives."""
    replies = [T0 + timedelta(seconds=at + reply_after) for at, _, _ in texts]
    return [Text(T0 + timedelta(seconds=at), body, acted, seconds_after_reply(T0 + timedelta(seconds=at), replies))
            for at, body, acted in texts]


def test_a_bot_repeating_itself_within_two_seconds_of_each_reply_is_a_loop_at_the_third_text():
    bot = [(i * 3.0, DRIVING, False) for i in range(5)]  # our reply after 1 s, the bot's after 2 s more
    verdicts = [is_loop(conversation(bot[:n])) for n in range(1, 6)]
    assert verdicts == [False, False, True, True, True]


def test_near_same_texts_count_alike_case_spacing_punctuation_and_digits_aside():
    texts = ["I'm driving (auto-reply 10:42)", "i'm  DRIVING (auto-reply 10:43)", "Im driving auto reply 10:44!!"]
    assert normal(texts[0]) == normal(texts[1])
    assert all(similar(texts[0], t) for t in texts)
    assert is_loop(conversation([(i * 3.0, t, False) for i, t in enumerate(texts)]))


def test_a_chair_sending_six_different_texts_in_thirty_seconds_is_not_a_loop():
    chair = [(0, "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30", True),
             (5, "got it thanks", False),
             (10, "YES 1234", True),
             (16, "oops wait, final is next", False),
             (22, "final: Pete 55, Bernie 48, Warren 32", True),
             (28, "ok sending delegates now", False)]
    assert not any(is_loop(conversation(chair[:n], reply_after=0.5)) for n in range(1, 7))


def test_a_chair_resending_the_same_report_quickly_is_never_a_loop():
    """Texts the hotline acted on (results, codes, commands) never count, however alike."""
    same = [(i * 2.0, "first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30", True) for i in range(6)]
    assert not is_loop(conversation(same))


def test_the_same_unclear_text_slowly_takes_more_repeats():
    slow = [(i * 60.0, "hello?", False) for i in range(5)]  # a person, a minute apart each time
    verdicts = [is_loop(conversation(slow[:n], reply_after=1.0)) for n in range(1, 6)]
    assert verdicts == [False, False, False, False, True]  # RULE.slow_repeats, not RULE.repeats


def test_quick_but_different_unclear_texts_are_not_a_loop():
    different = [(i * 3.0, body, False) for i, body in enumerate(
        ["where do I send this", "is this the hotline", "my phone is weird", "ok never mind"])]
    assert not is_loop(conversation(different))


def test_repeats_outside_the_window_do_not_count():
    spread = [(i * (RULE.window.total_seconds() / 2 + 1), DRIVING, False) for i in range(4)]
    assert not is_loop(conversation(spread))


@pytest.mark.parametrize("replies, expected", [([], None), ([T0 + timedelta(seconds=5)], None),
                                               ([T0 - timedelta(seconds=3), T0 - timedelta(seconds=9)], 3.0)])
def test_seconds_after_reply(replies, expected):
    assert seconds_after_reply(T0, replies) == expected
