"""Spanish: the parser's Spanish words, the language a text is written in, and the one message catalog
(every English text has a Spanish translation, the compiled .mo matches the .po, SMS texts stay GSM-7)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from hotline.domain import segments
from hotline.domain.languages import CATALOG_DIR, speaking
from hotline.domain.model import Candidate, Stage
from hotline.domain.parsing import CallMe, Cancel, Coin, Confirm, Done, Help, Report, Status, language_of, parse_message
from hotline.domain.wording import sms, voice

ROOT = Path(__file__).resolve().parents[3]
PO = CATALOG_DIR / "es" / "LC_MESSAGES" / "messages.po"
MO = CATALOG_DIR / "es" / "LC_MESSAGES" / "messages.mo"
CANDS = [Candidate("Biden", ("Joe Biden",), 1), Candidate("Buttigieg", ("Pete", "Pete Buttigieg"), 2),
         Candidate("Sanders", ("Bernie", "Bernie Sanders"), 3), Candidate("Warren", ("Elizabeth Warren",), 4)]


@pytest.mark.parametrize("text, kind", [
    ("AYUDA", Help), ("ESTADO", Status), ("estado por favor", Status), ("SI 4821", Confirm),
    ("SÍ 4821", Confirm), ("sí, 4821", Confirm), ("LLAMAR", CallMe), ("LLÁMAME", CallMe), ("llamame", CallMe),
    ("LISTO", Done), ("TERMINADO", Done), ("cancelar", Cancel), ("MONEDA Sanders", Coin),
])
def test_spanish_commands(text, kind):
    assert isinstance(parse_message(text, CANDS), kind)
    assert language_of(text) == "es"


def test_si_carries_the_code():
    assert parse_message("SÍ 4821", CANDS) == Confirm("4821")


def test_spanish_stage_words_and_attendance():
    report = parse_message("primera: Biden 12, Pete 45 asistencia 120\nsegunda: Pete 50\ndelegados: Pete 3", CANDS)
    assert isinstance(report, Report) and report.ok
    assert [(s.stage, s.counts) for s in report.sections] == [
        (Stage.FIRST, {"Biden": 12, "Buttigieg": 45}), (Stage.FINAL, {"Buttigieg": 50}),
        (Stage.DELEGATES, {"Buttigieg": 3})]
    assert report.attendance == 120
    assert parse_message("final: Pete 50", CANDS).sections[0].stage is Stage.FINAL


def test_coin_in_spanish_names_the_winner():
    coin = parse_message("MONEDA Sanders", CANDS)
    assert isinstance(coin, Coin) and coin.choices == (frozenset({"Sanders"}),)


@pytest.mark.parametrize("text", ["YES 4821", "final: Biden 12", "STATUS", "first: Pete 45", "4821", ""])
def test_english_or_neutral_texts_have_no_language(text):
    assert language_of(text) is None


def test_parse_errors_come_in_the_current_language():
    assert parse_message("", CANDS).errors == ("The message was empty.",)
    with speaking("es"):
        assert parse_message("", CANDS).errors == ("El mensaje estaba vacio.",)


def _po():
    with PO.open("rb") as fh:
        return read_po(fh)


def _source_msgids() -> set[str]:
    found = extract_from_dir(str(ROOT / "hotline" / "domain"), keywords={"_": None, "N_": None},
                             comment_tags=())
    return {msgid for _file, _line, msgid, _comments, _ctx in found if isinstance(msgid, str)}


def test_every_english_text_has_a_spanish_translation():
    """Fails when a chair-facing text is added or reworded in English without a Spanish one
    (run `make translations`, then translate what it added to messages.po)."""
    catalog = _po()
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_source_msgids() - set(translated))
    assert not missing, f"texts without a Spanish translation: {missing}"


def test_the_compiled_catalog_matches_the_po():
    po = {m.id: m.string for m in _po() if m.id}
    mo = {m.id: m.string for m in read_mo(io.BytesIO(MO.read_bytes())) if m.id}
    assert mo == po, "messages.mo is stale: run `make translations`"


def test_placeholders_are_kept():
    import string
    for m in _po():
        if m.id:
            fields = lambda s: sorted(f for _t, f, _s, _c in string.Formatter().parse(s) if f)  # noqa: E731
            assert fields(m.string) == fields(m.id), m.id


def test_spanish_sms_texts_are_gsm7_and_no_longer_in_segments():
    sms_ids = {m.id for m in _po() if m.id} - set(voice.PROMPTS.source.values()) \
        - set(voice.NOTICES.source.values()) - set(voice.SAYINGS.source.values())
    with speaking("es"):
        for name in sms.NAMES:
            text = getattr(sms, name)
            assert segments.is_gsm7(text), (name, text)
        for en_name in sms.NAMES:
            with speaking("en"):
                en = getattr(sms, en_name)
            es = getattr(sms, en_name)
            assert segments.segments(es) <= segments.segments(en), en_name
    assert sms_ids


def test_a_spanish_read_back():
    with speaking("es"):
        text = sms.readback("DSM-42", [(Stage.FIRST, {"Biden": 12, "Buttigieg": 45})], 120, "4821")
    assert text == ("DSM-42 confirmacion:\nPrimera alineacion: Biden 12, Buttigieg 45 (total 57)\n"
                    "Asistencia: 120\nResponda SI 4821 para confirmar, o envie los numeros corregidos.")
    assert segments.is_gsm7(text)


def test_the_reply_language_follows_the_text_then_the_phones_recent_texts_then_the_roster():
    from hotline.domain.parsing import reply_language
    assert reply_language("primera: Warren 30", [], "en") == "es"
    assert reply_language("final: Warren 35", ["SI 1234", "primera: Warren 30"], "en") == "es"
    assert reply_language("final: Warren 35", ["final: Warren 34", "YES 1234"], "en") == "en"
    assert reply_language("final: Warren 35", [], "es") == "es"
    assert reply_language("YES 1234", [], "en") == "en"
    assert reply_language("STATUS", ["primera: Warren 30"], "en") == "en"  # written in English
