"""How one language writes dates, numbers and punctuation on a sheet, from content/locale.toml.

Standard library only and no clock: every date is a parameter. Month names, the order of day,
month and year, the first-of-month form ("1er" in French), the decimal mark, the thousands mark,
how a label is joined to its value (« Nom : ») and the typography rules (French: a narrow
no-break space before : ; ? !, no-break spaces inside « », a no-break space between a number and
its unit) are content, so a new language is a content change only.

`typeset` is the one place those typography rules are applied: the loader runs every text of a
language through it once, when content is loaded (dashboard/core/loader.py), so every sentence of
a French sheet, whoever wrote it, follows the same rules. Text the clinician types (name, notes)
is not content and is printed as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .content import Content

KEYS = ("name", "tag", "months", "date_pattern", "first_day", "decimal_mark", "thousands_mark",
        "label_pattern")
# Optional keys: a language without them (English) has no typography rules.
TYPOGRAPHY_KEYS = ("space_before", "punctuation_space", "quote_space", "unit_space", "units")
_SPACES = " \u00a0\u202f"


@dataclass(frozen=True)
class Typography:
    """Punctuation and spacing rules of one language (optional keys of content/locale.toml)."""

    space_before: str = ""  # marks that take a space before them, e.g. ":;?!"
    punctuation_space: str = ""  # that space, e.g. U+202F NARROW NO-BREAK SPACE
    quote_space: str = ""  # the space inside « », e.g. U+00A0 NO-BREAK SPACE
    unit_space: str = ""  # the space between a number and its unit ("2,5 cm")
    units: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, table: dict[str, Any]) -> Typography:
        def text(key: str) -> str:
            value = table.get(key, "")
            return value if isinstance(value, str) else ""
        units = table.get("units", ())
        return cls(space_before=text("space_before"), punctuation_space=text("punctuation_space"),
                   quote_space=text("quote_space"), unit_space=text("unit_space"),
                   units=tuple(u for u in units if isinstance(u, str) and u)
                   if isinstance(units, list) else ())


def typeset(text: str, rules: Typography) -> str:
    """`text` with the language's punctuation spacing, e.g. French « Nom : », « mal ? ».

    A space (ordinary or no-break) before a mark of `space_before` becomes `punctuation_space`;
    a mark written without a space gets one when it ends a word (followed by a space or the end),
    so web addresses ("https://", "?region=") and times ("10:30") are left alone. The inside of
    « » gets `quote_space`; a number (or a {placeholder} that holds one) and its unit are joined
    by `unit_space`. Applying it twice changes nothing.
    """
    if rules.quote_space:
        text = re.sub(rf"«[{_SPACES}]*", "«" + rules.quote_space, text)
        text = re.sub(rf"[{_SPACES}]*»", rules.quote_space + "»", text)
    if rules.unit_space and rules.units:
        units = "|".join(re.escape(u) for u in sorted(rules.units, key=len, reverse=True))
        text = re.sub(rf"(?<=[\d}}])[{_SPACES}]?(?=(?:{units})(?![\w]))", rules.unit_space, text)
    if rules.space_before and rules.punctuation_space:
        marks = re.escape(rules.space_before)
        space = rules.punctuation_space
        text = re.sub(rf"[{_SPACES}]+(?=[{marks}])", space, text)
        text = re.sub(rf"(?<=[^\s{marks}])(?=[{marks}](?:\s|$))", space, text)
    return text


def typeset_tree(node: Any, rules: dict[str, Typography], lang: str | None = None) -> Any:
    """A parsed TOML document with every text under a language key typeset for that language.

    Texts are found as `key.fr = ...` (text or list) and in a string file's `[fr]` table; `url`
    values are left alone.
    """
    if isinstance(node, str):
        return typeset(node, rules[lang]) if lang in rules else node
    if isinstance(node, list):
        return [typeset_tree(item, rules, lang) for item in node]
    if isinstance(node, dict):
        return {key: value if key == "url" else
                typeset_tree(value, rules, key if key in rules else lang)
                for key, value in node.items()}
    return node


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
    label_pattern: str = "{label}:"  # how a label is joined to its value: « {label} : »
    typography: Typography = field(default_factory=Typography)

    @classmethod
    def from_mapping(cls, lang: str, table: dict[str, Any]) -> Locale:
        return cls(lang=lang, name=table["name"], tag=table["tag"],
                   months=tuple(table["months"]), date_pattern=table["date_pattern"],
                   first_day=table["first_day"], decimal_mark=table["decimal_mark"],
                   thousands_mark=table["thousands_mark"],
                   label_pattern=table.get("label_pattern", "{label}:"),
                   typography=Typography.from_mapping(table))


def locale_for(content: Content, lang: str) -> Locale:
    """The locale of `lang` from loaded content."""
    own = content.strings.get(lang) or {}
    table = {key: content.string(f"locale.{key}", lang) for key in KEYS}
    table |= {key: own[f"locale.{key}"] for key in TYPOGRAPHY_KEYS if f"locale.{key}" in own}
    return Locale.from_mapping(lang, table)


def label(text: str, locale: Locale) -> str:
    """A label as printed before its value: "Name:", « Nom : » (narrow no-break space)."""
    return typeset(locale.label_pattern.format(label=text.rstrip()), locale.typography)


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
