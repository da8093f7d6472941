"""Normalising text typed by a user (names, notes) before it is shown or printed.

NFC normalisation; control characters, bidirectional overrides/isolates, zero-width characters
and the byte-order mark are removed so the screen and the sheet cannot be spoofed; surrounding
white space is trimmed, so a name of only spaces is empty. Nothing else is changed: the text is
never interpreted as markup.
"""

from __future__ import annotations

import re
import unicodedata

from .limits import FIELD_MAX, MARKS_PER_CHARACTER_MAX, NAME_MAX, NOTES_MAX

__all__ = ["FIELD_MAX", "MARKS_PER_CHARACTER_MAX", "NAME_MAX", "NOTES_MAX", "clean", "most_marks",
           "parse_number", "too_long", "too_many_marks"]

_REMOVE = {chr(c) for c in (*range(0x200B, 0x2010), *range(0x202A, 0x202F),
                            *range(0x2066, 0x206A), 0xFEFF, 0x061C, 0x00AD)}


def clean(text: str | None, *, multiline: bool = False) -> str:
    """The normalised text ("" for None); newlines kept only when `multiline`."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for ch in text:
        if ch in _REMOVE:
            continue
        if ch == "\n" and multiline:
            kept.append(ch)
        elif ch == "\t":
            kept.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            continue
        else:
            kept.append(ch)
    return "".join(kept).strip()


def too_long(text: str, limit: int) -> bool:
    return len(text) > limit


def most_marks(text: str) -> int:
    """The longest run of combining marks (accents, vowel signs: Unicode category M) on one
    base character, after NFC has joined those that have a composed form."""
    most = run = 0
    for ch in text:
        if unicodedata.category(ch)[0] == "M":
            run += 1
            most = max(most, run)
        else:
            run = 0
    return most


def too_many_marks(text: str, limit: int = MARKS_PER_CHARACTER_MAX) -> bool:
    """Stacked marks ("Z" and 99 acute accents) draw through the lines above and off the page."""
    return most_marks(text) > limit


# A plain decimal number: ASCII digits, at most one decimal point, an optional sign. No exponent,
# no grouping commas, no other scripts' digits (Python's float() would accept several of these).
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_number(text: str | None) -> float | str | None:
    """A number typed in a text field (lab values, sizes).

    None when the field is empty ("not yet known"); a float for a plain decimal number; otherwise
    the cleaned text itself, unchanged, so that the engine refuses it with a message beside the
    field. "1,5" is never read as 15, "1e3" never as 1000, and "nan" or "inf" never as numbers.
    """
    cleaned = clean(text)
    if not cleaned:
        return None
    return float(cleaned) if _PLAIN_NUMBER.fullmatch(cleaned) else cleaned
