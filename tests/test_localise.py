"""Dates and numbers follow the sheet's language, from content (core/localise.py)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.core.localise import (
    Locale,
    Typography,
    date_in_words,
    label,
    locale_for,
    number,
    typeset,
)

FRENCH = Locale.from_mapping("fr", {
    "name": "French (français)", "tag": "fr-CA",
    "months": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre"],
    "date_pattern": "{day} {month} {year}", "first_day": "1er", "decimal_mark": ",",
    "thousands_mark": "\u00a0"})


@pytest.fixture(scope="module")
def english(content):
    return locale_for(content, "en")


def test_english_dates_are_in_words_from_content_month_names(english):
    assert date_in_words(date(2026, 12, 3), english) == "December 3, 2026"
    assert date_in_words(date(2027, 5, 1), english) == "May 1, 2027"


@pytest.mark.hazard("H103")
def test_french_dates_put_the_day_first_and_write_the_first_as_1er():
    assert date_in_words(date(2026, 12, 3), FRENCH) == "3 décembre 2026"
    assert date_in_words(date(2027, 5, 1), FRENCH) == "1er mai 2027"
    assert date_in_words(date(2027, 2, 11), FRENCH) == "11 février 2027"


def test_every_month_has_its_own_name(english):
    names = [date_in_words(date(2026, m, 15), english).split()[0] for m in range(1, 13)]
    assert names == ["January", "February", "March", "April", "May", "June", "July", "August",
                     "September", "October", "November", "December"]


@pytest.mark.parametrize("value, decimals, english_text, french_text", [
    (2.5, None, "2.5", "2,5"),
    (3.0, None, "3", "3"),
    (12, None, "12", "12"),
    (1000, None, "1,000", "1\u00a0000"),
    (0.1 + 0.2, None, "0.3", "0,3"),
    (2.46, 1, "2.5", "2,5"),
    (34, 1, "34.0", "34,0"),
    (-1.5, None, "-1.5", "-1,5"),
])
@pytest.mark.hazard("H103")
def test_numbers_use_the_language_decimal_and_thousands_marks(english, value, decimals,
                                                              english_text, french_text):
    assert number(value, english, decimals) == english_text
    assert number(value, FRENCH, decimals) == french_text


def test_a_yes_no_value_is_never_printed_as_a_number(english):
    with pytest.raises(TypeError):
        number(True, english)


@pytest.mark.hazard("H103")
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda x: round(x, 3)))
def test_a_french_number_reads_back_as_the_same_value(value):
    text = number(value, FRENCH)

    assert "." not in text
    assert float(text.replace("\u00a0", "").replace(",", ".")) == pytest.approx(value, abs=1e-6)


# --------------------------------------------------------------------------- typography (H105)

NNBSP, NBSP = "\u202f", "\u00a0"
FRENCH_TYPE = Typography(space_before=":;?!", punctuation_space=NNBSP, quote_space=NBSP,
                         unit_space=NBSP, units=("cm", "%", "mois"))


@pytest.mark.parametrize("written, printed", [
    ("Nom :", f"Nom{NNBSP}:"),  # an ordinary space before the colon
    ("Nom:", f"Nom{NNBSP}:"),  # no space at all
    (f"Nom{NBSP}: Jeanne", f"Nom{NNBSP}: Jeanne"),  # a full no-break space
    ("Est-ce fait? Oui; parfois!", f"Est-ce fait{NNBSP}? Oui{NNBSP}; parfois{NNBSP}!"),
    ("« scan »", f"«{NBSP}scan{NBSP}»"),
    ("«scan»", f"«{NBSP}scan{NBSP}»"),
    ("une tumeur de 2,5 cm", f"une tumeur de 2,5{NBSP}cm"),
    ("{size} cm et 50 %", f"{{size}}{NBSP}cm et 50{NBSP}%"),
    ("dans 14 mois.", f"dans 14{NBSP}mois."),
])
@pytest.mark.hazard("H105")
def test_french_typography_spaces_punctuation_quotes_and_units(written, printed):
    assert typeset(written, FRENCH_TYPE) == printed


@pytest.mark.parametrize("text", [
    "https://cancer.ca/fr/cancer-information?region=qc",  # a web address keeps its : and ?
    "Rendez-vous à 10:30",  # a time
    "2 centimes",  # "cm" only as a whole word
])
def test_typography_leaves_addresses_times_and_words_alone(text):
    assert typeset(text, FRENCH_TYPE) == text


def test_english_has_no_typography_rules(english):
    assert english.typography == Typography()
    assert typeset("Name: is it done? « x »", english.typography) == "Name: is it done? « x »"


@given(st.text(alphabet="ab :;?!«» 12cm%", max_size=40))
def test_typesetting_twice_changes_nothing(text):
    once = typeset(text, FRENCH_TYPE)

    assert typeset(once, FRENCH_TYPE) == once


@pytest.mark.hazard("H105")
def test_labels_take_the_separator_of_their_language_from_content(content, english):
    french = locale_for(content, "fr")

    assert label("Name", english) == "Name:"
    assert label("Nom", french) == f"Nom{NNBSP}:"
    assert french.label_pattern == content.string("locale.label_pattern", "fr")


@pytest.mark.hazard("H105")
def test_every_french_text_of_the_loaded_content_is_typeset(content):
    """The loader applies the rules to every French text once: none is left with an ordinary
    space (or none) before : ; ? ! at the end of a word, or outside the rules inside « »."""
    rules = locale_for(content, "fr").typography
    texts = [t for key, value in content.strings["fr"].items() for t in _strings(value)
             if not key.startswith("locale.")]  # the rules themselves; label() typesets those
    texts += [t for option in content.options for text in option.text.values()
              for t in _strings(text.get("fr"))]
    assert len(texts) > 300
    assert [t for t in texts if typeset(t, rules) != t] == []
    assert any(f"{NNBSP}?" in t for t in texts) and any(f"«{NBSP}" in t for t in texts)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


@pytest.mark.hazard("H105")
def test_the_french_sheet_prints_narrow_no_break_spaces_with_a_font_that_has_them(content):
    """The PDF text keeps U+202F / U+00A0 (pypdf reads them back) and the sheet's fonts have a
    glyph for each, so they print as thin spaces, never as empty boxes."""
    from fontTools.ttLib import TTFont

    from dashboard.adapters.pdf import fonts
    from dashboard.service import Choices, PatientDetails, prepare_sheet
    from tests.conftest import make_factors
    from tests.safety_support import pdf_text

    outcome = prepare_sheet(make_factors(), Choices(selected=("resection", "rfa"), language="fr"),
                            content, patient=PatientDetails(name="Jeanne Tremblay"))
    text = pdf_text(outcome.pdf)

    assert f"Nom{NNBSP}: Jeanne Tremblay" in text
    assert f"{NNBSP}?" in text and not re.search(r"\w[ ]?\?", text)
    for path in fonts.FONT_DIR.glob("DejaVuSans*.ttf"):
        cmap = TTFont(path).getBestCmap()
        assert {0x202F, 0x00A0, 0x00AB, 0x00BB} <= set(cmap), path.name


@pytest.mark.hazard("H105")
def test_no_french_text_of_content_writes_a_number_the_english_way(content):
    """A number written in a French sentence of content ("2.5 cm", "1,000") would print with a
    decimal point or read as a decimal comma: French texts use the comma and the space."""
    from tests.test_patient_texts import _every_text

    texts = _every_text("fr")
    english_numbers = [t for t in texts if re.search(r"\d\.\d|\d,\d{3}(?!\d)", t)]

    assert len(texts) > 300 and any(re.search(r"\d", t) for t in texts)
    assert english_numbers == []
