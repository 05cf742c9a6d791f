"""Spanish by keypad: a chair whose roster language is es hears Spanish from the start, in a Spanish
voice; anyone else presses 4 at the main menu for Spanish (and 4 again for English)."""
from __future__ import annotations

import pytest

from tests.support.chairs import load_roster
from tests.web.sms.test_sms_spanish import SPANISH_ROSTER
from tests.web.voice.voicecall import Call

ES_CHAIR, EN_CHAIR = "+15155550142", "+15155550107"
FIRST = ["0", "12", "0", "45", "0", "0", "8", "0", "40", "0", "30", "0", "0"]


@pytest.fixture
def roster(rt):
    load_roster(rt, SPANISH_ROSTER)


def voices(call: Call) -> list[tuple[str | None, str | None]]:
    return [(el.get("language"), el.get("voice")) for el in call.doc.iter("Say")]


def test_a_spanish_chairs_keypad_report(client, rt, roster):
    call = Call(client, ES_CHAIR)
    call.start()
    assert call.says()[0].startswith("Línea de resultados del caucus. Para reportar resultados")
    assert call.says()[-1] == "For English, press 4."
    assert voices(call) == [("es-MX", "Polly.Mia"), (None, None)]
    call.press("1")
    assert call.says()[0].startswith("Marque el código de su precinto")
    call.press("37642")
    call.press("4321")
    assert call.says()[0].startswith("¿Qué resultados reporta?")
    call.press("1")
    call.press("140")
    assert call.says()[0].startswith("Primera alineacion. Nombraré a cada candidato")
    for n in FIRST:
        call.press(n)
    assert call.says()[0].startswith("Revise estos números del precinto D S M 42, primera alineacion. "
                                     "Asistencia: 140. Joe Biden: 12.")
    call.press("1")
    assert call.says()[0] == ("Registrado para el precinto D S M 42: primera alineacion. Falta reportar: "
                              "alineacion final y delegados del condado.")
    assert all(v == ("es-MX", "Polly.Mia") for v in voices(call))


def test_key_4_switches_an_english_caller_to_spanish_and_back(client, rt, roster):
    call = Call(client, EN_CHAIR)
    call.start()
    assert call.says()[-1] == "Para español, oprima 4."
    assert voices(call)[-1] == ("es-MX", "Polly.Mia")
    call.press("4")
    assert call.says()[0].startswith("Línea de resultados del caucus.")
    call.press("4")
    assert call.says()[0].startswith("Caucus results hotline.")
