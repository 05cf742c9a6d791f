"""How many SMS segments a text costs: GSM-7 160/153, UCS-2 70/67 (Spanish accents included)."""
from __future__ import annotations

from hotline.domain.segments import GSM7, UCS2, measure, segments


def test_plain_ascii_is_gsm7_one_segment_up_to_160_then_153_a_part():
    assert measure("a" * 160) == measure("a" * 160).__class__(GSM7, 160, 1)
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3


def test_the_extension_set_costs_two_septets():
    assert measure("€" * 80).units == 160 and segments("€" * 80) == 1
    assert segments("[" * 81) == 2


def test_spanish_letters_in_the_gsm_set_stay_gsm7():
    text = "¿Señor Müller? ¡Año Ñoño! él"  # ñ, Ñ, ü, é, ¿ and ¡ are GSM 03.38; ú, á, í, ó are not
    assert measure(text).encoding == GSM7
    assert measure("Ñandú").encoding != GSM7


def test_an_acute_a_or_i_forces_ucs2_70_then_67_a_part():
    assert measure("Está").encoding == UCS2
    assert segments("í" + "a" * 69) == 1
    assert segments("í" + "a" * 70) == 2
    assert segments("ó" + "a" * 133) == 2
    assert segments("ó" + "a" * 134) == 3


def test_a_spanish_reminder_with_accents_costs_more_segments_than_without():
    accented = "Línea de resultados: aún no tenemos los números de DSM-42. Envíelos cuando termine, por favor."
    plain = "Linea de resultados: aun no tenemos los numeros de DSM-42. Envielos cuando termine, por favor."
    assert measure(accented).encoding == UCS2 and segments(accented) == 2
    assert measure(plain).encoding == GSM7 and segments(plain) == 1


def test_an_emoji_counts_two_utf16_units():
    assert measure("👍").units == 2
    assert segments("👍" * 35) == 1 and segments("👍" * 36) == 2
