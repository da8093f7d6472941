"""How one language writes dates and numbers on a sheet, from content/locale.toml.

Standard library only and no clock: every date is a parameter. Month names, the order of day,
month and year, the first-of-month form ("1er" in French), the decimal mark and the thousands mark
are content, so a new language is a content change only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .content import Content

KEYS = ("name", "tag", "months", "date_pattern", "first_day", "decimal_mark", "thousands_mark")


@dataclass(frozen=True)
class Locale:
    """The formatting words of one language (the keys of one table of content/locale.toml)."""

    lang: str
    name: str  # the language as the clinician's screen names it, e.g. "French (français)"
    tag: str  # BCP 47 tag for the PDF's document language, e.g. "fr-CA"
    months: tuple[str, ...]  # twelve month names, January first
    date_pattern: str  # with {day} {month} {year}
    first_day: str  # how day 1 is written ("1" in English, "1er" in French)
    decimal_mark: str
    thousands_mark: str

    @classmethod
    def from_mapping(cls, lang: str, table: dict[str, Any]) -> Locale:
        return cls(lang=lang, name=table["name"], tag=table["tag"],
                   months=tuple(table["months"]), date_pattern=table["date_pattern"],
                   first_day=table["first_day"], decimal_mark=table["decimal_mark"],
                   thousands_mark=table["thousands_mark"])


def locale_for(content: Content, lang: str) -> Locale:
    """The locale of `lang` from loaded content."""
    return Locale.from_mapping(lang, {key: content.string(f"locale.{key}", lang) for key in KEYS})


def date_in_words(day: date, locale: Locale) -> str:
    """A date as a patient reads it: "December 3, 2026", « 3 décembre 2026 », « 1er mai 2027 »."""
    day_text = locale.first_day if day.day == 1 else str(day.day)
    return locale.date_pattern.format(day=day_text, month=locale.months[day.month - 1],
                                      year=day.year)


def number(value: float, locale: Locale, decimals: int | None = None) -> str:
    """A number as printed for a patient: decimal comma in French, no trailing zeros.

    `decimals` fixes the places shown (rounded); otherwise a whole float prints as an integer and
    other floats print with up to six places, trailing zeros removed.
    """
    if isinstance(value, bool):
        raise TypeError("a yes/no value is not a number")
    if decimals is not None:
        text = f"{value:,.{decimals}f}"
    elif isinstance(value, int) or float(value).is_integer():
        text = f"{int(value):,d}"
    else:
        text = f"{value:,.6f}".rstrip("0").rstrip(".")
    whole, _, fraction = text.partition(".")
    whole = whole.replace(",", locale.thousands_mark)
    return whole + (locale.decimal_mark + fraction if fraction else "")
