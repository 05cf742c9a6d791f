"""A Spanish chair's whole night by text, through the real webhook: the roster says `es`, every reply
is in Spanish (read-back, SI code, ESTADO, LISTO); a text written in Spanish is answered in Spanish
even from an English chair or a phone not on the roster; a roster with an unsupported language is refused."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from hotline.adapters.models import Chair, Precinct
from hotline.domain import segments
from hotline.services.ops import importing
from tests.support.chairs import Phone, load_roster
from tests.support.roster import ROSTER

ES_CHAIR, EN_CHAIR, STRANGER = "+15155550142", "+15155550107", "+15155550199"
SPANISH_ROSTER = ROSTER.replace("precinct,county,name,delegates,chair,phones,pin,past_turnout",
                                "precinct,county,name,delegates,chair,phones,pin,past_turnout,language") \
    .replace("4321,250", "4321,250,es").replace("1234,90", "1234,90,en")


def code(text: str) -> str:
    m = re.search(r"SI (\d{4,6})", text)
    assert m, text
    return m.group(1)


@pytest.fixture
def chair(client, rt):
    load_roster(rt, SPANISH_ROSTER)
    return Phone(client, rt, ES_CHAIR)


def test_a_spanish_chairs_whole_night_by_text(chair, rt):
    with rt.db.transaction() as uow:
        assert uow.session.execute(select(Chair.language).join(Precinct).where(
            Precinct.code == "DSM-42")).scalar_one() == "es"
    chair.send("AYUDA")
    assert chair.last().body.startswith("Linea del caucus. Envie 'primera:")

    chair.send("primera: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30 asistencia 140")
    readback = chair.last().body
    assert readback.startswith("DSM-42 confirmacion:\nPrimera alineacion: Biden 12, Buttigieg 45, "
                               "Klobuchar 8, Sanders 40, Warren 30 (total 135)\nAsistencia: 140\n")
    assert "Responda SI" in readback and segments.is_gsm7(readback)
    chair.send(f"SÍ {code(readback)}")
    assert chair.last().body == ("Registrado para DSM-42: primera alineacion. Falta enviar: alineacion final, "
                                 "delegados del condado.")

    chair.send("ESTADO")
    status = chair.last().body
    assert status.startswith("DSM-42: Primera alineacion: Biden 12") and "Alineacion final: aun no." in status

    chair.send("LISTO")
    assert chair.last().body == ("A DSM-42 le falta: alineacion final, delegados del condado. Envielo.")

    # "final" is English and Spanish alike: the roster language answers.
    chair.send("final: Pete 50, Bernie 45, Warren 40")
    assert chair.last().body.startswith("DSM-42 confirmacion:\nAlineacion final:")
    chair.send(f"si {code(chair.last().body)}")
    chair.send("delegados: Pete 3, Bernie 2, Warren 2")
    assert chair.last().body.startswith("DSM-42 confirmacion:\nDelegados del condado:")
    chair.send(f"SI {code(chair.last().body)}")
    assert chair.last().body.startswith("Registrado para DSM-42: delegados del condado.")
    chair.send("TERMINADO")
    assert chair.last().body == "DSM-42: las tres etapas estan registradas. ¡Gracias!"
    assert all(segments.is_gsm7(m.body) for m in chair.inbox())


def test_a_text_in_spanish_is_answered_in_spanish_whatever_the_roster_says(chair, client, rt):
    english = Phone(client, rt, EN_CHAIR)
    english.send("ESTADO")
    assert english.last().body.startswith("DSM-7: Primera alineacion: aun no.")
    english.send("STATUS")
    assert english.last().body.startswith("DSM-7: First alignment: not yet.")
    stranger = Phone(client, rt, STRANGER)
    stranger.send("AYUDA")
    assert stranger.last().body.startswith("Linea del caucus.")
    # A Spanish chair writing a neutral text still reads Spanish; an unreadable one gets Spanish help.
    chair.send("hola Pete")
    assert chair.last().body.startswith("No pude leerlo:")


def test_roster_import_rejects_an_unsupported_language(rt):
    bad = SPANISH_ROSTER.replace("5555,120", "5555,120,fr")
    with pytest.raises(importing.ImportError_) as err:
        with rt.db.transaction() as uow:
            importing.import_roster(uow.session, io.StringIO(bad))
    assert err.value.errors == ["line 5: language 'fr' is not supported (use en or es)"]
    with rt.db.transaction() as uow:
        assert uow.session.execute(select(Precinct)).first() is None  # nothing imported


def test_a_spanish_chair_hears_the_caucus_math_check_in_spanish(chair):
    chair.send("primera: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30")
    chair.send(f"SI {code(chair.last().body)}")
    chair.send("final: Pete 55, Bernie 48, Warren 32")
    chair.send(f"SI {code(chair.last().body)}")
    chair.send("delegados: Pete 2, Bernie 3, Warren 2")  # the caucus math gives Pete 3, Bernie 2
    body = chair.last().body
    assert "Delegados: segun las reglas, Buttigieg tiene 3, no 2 - revise la hoja." in body, body
    assert "caucus math" not in body and segments.measure(body).encoding == "GSM-7"


def test_a_spanish_chair_over_the_hourly_allowance_is_told_in_spanish(chair, rt):
    from dataclasses import replace

    from hotline.domain.languages import speaking, translate
    from hotline.domain.wording import sms as replies
    rt.config = replace(rt.config, texts_per_hour_registered=1)
    chair.send("ESTADO")
    chair.send("ESTADO")  # the second this hour: kept, not acted on; the chair is told once
    with speaking("en"):
        english = replies.THROTTLED
    assert chair.last().kind == "throttled"
    assert chair.last().body == translate("es", english) != english


def test_a_report_from_another_phone_sends_the_code_in_the_chairs_language(chair, client, rt):
    Phone(client, rt, STRANGER).send("DSM-42 PIN 4321 first: Biden 12, Pete 45")  # in English, from a stranger
    code_text = chair.last()
    assert code_text.kind == "callback_code" and "SI " in code_text.body and "reply YES" not in code_text.body


def test_a_chair_who_wrote_spanish_keeps_getting_spanish_for_neutral_texts(client, rt):
    load_roster(rt, SPANISH_ROSTER)
    english_chair = Phone(client, rt, EN_CHAIR)  # DSM-7's roster language is en
    english_chair.send("final: Pete 33, Bernie 27")  # neutral words: English, as the roster says
    assert "read-back" in english_chair.last().body
    english_chair.send("primera: Pete 30, Bernie 25, Warren 10")  # Spanish words: Spanish
    assert "confirmacion" in english_chair.last().body
    english_chair.send("final: Pete 34, Bernie 26")  # neutral again: the chair wrote Spanish just now
    assert "confirmacion" in english_chair.last().body and "read-back" not in english_chair.last().body
