"""Dates and numbers follow the sheet's language, from content (core/localise.py)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.core.localise import Locale, date_in_words, locale_for, number

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
