"""A clinic day: one summary row per patient and the names of the files made for it.

Standard library only. File names inside a clinic day's archive carry the list's row number and
the clinic's own id, or the patient's initials when there is no id, never the full name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .assessment import Assessment, Derived, Issue, Verdict
from .content import Content
from .engine import validation_message

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
MAX_INITIALS = 3


@dataclass(frozen=True)
class SummaryRow:
    """What the day's summary shows for one patient: the verdict per option (content order),
    the warnings (code and message), and the check code printed on the patient's sheet."""

    verdicts: tuple[tuple[str, Verdict], ...]
    warnings: tuple[Issue, ...]
    check_code: str
    derived: Derived | None = None  # the values a warning's message names (W3, W5)

    @property
    def warning_codes(self) -> tuple[str, ...]:
        return tuple(w.code for w in self.warnings)

    def warning_messages(self, content: Content, lang: str) -> tuple[tuple[str, str], ...]:
        """(code, message) of each warning in `lang` (the issue's own English message for a
        code content does not know, or without the values it names)."""
        return tuple((w.code, validation_message(content.rule(w.code), self.derived, lang)
                      if self.derived is not None and content.has_rule(w.code) else w.message)
                     for w in self.warnings)


def summary_row(assessment: Assessment) -> SummaryRow:
    return SummaryRow(verdicts=tuple((r.option_id, r.verdict) for r in assessment.results),
                      warnings=tuple(assessment.warnings), check_code=assessment.fingerprint,
                      derived=assessment.derived)


def initials(name: str) -> str:
    """The first Latin letter of each word of a name, upper case ("Zoë O'Brien" -> "ZO");
    "" for a name in a script without Latin letters (the file is then named by its row only)."""
    letters = []
    for word in name.split():
        base = unicodedata.normalize("NFKD", word)
        first = next((c for c in base if c.isascii() and c.isalpha()), "")
        if first:
            letters.append(first.upper())
    return "".join(letters[:MAX_INITIALS])


def file_stem(row: int, record_id: str, name: str) -> str:
    """"007-MRN12345", "007-ZO", or "007": never the full name."""
    tag = _ID_UNSAFE.sub("_", record_id).strip("_-")[:40] if record_id else initials(name)
    return f"{row:03d}-{tag}" if tag else f"{row:03d}"


def patient_label(row: int, record_id: str, name: str) -> str:
    """How the summary and the tumour-board list name a patient: the id, else the initials."""
    return record_id or initials(name) or f"row {row}"


def option_heading(content: Content, option_id: str, lang: str) -> str:
    """The short column heading of an option in the day's tables (content/clinic_day.toml),
    or the option's name when content gives none."""
    try:
        return str(content.string(f"clinic_day.board_option_{option_id}", lang))
    except KeyError:
        return content.option(option_id).name(lang)
