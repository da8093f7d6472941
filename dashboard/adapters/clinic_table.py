"""pandas adapter for the clinic-day page: the day's outcome -> the summary and problem tables.

Every cell is a plain string built here (pandas 3 infers the `str` dtype; never NaN or "None").
A verdict cell carries a symbol and the words, never colour or a symbol alone.
"""

from __future__ import annotations

import pandas as pd

from dashboard.core.assessment import Verdict
from dashboard.core.clinic_day import option_heading
from dashboard.core.content import Content
from dashboard.core.localise import locale_for
from dashboard.service import CARE_TEAM_LANG, ClinicDayOutcome

SYMBOL = {Verdict.APPLICABLE: "✓", Verdict.CAUTION: "⚠", Verdict.NOT_APPLICABLE: "✗"}  # in any font


def _words(content: Content, key: str, lang: str) -> str:
    return content.string(f"clinic_day.{key}", lang)


def summary_frame(day: ClinicDayOutcome, content: Content) -> pd.DataFrame:
    """One row per patient with a sheet: row, patient (id or initials), the sheet's language, a
    column per option, warnings, check code (in the care team's language)."""
    lang = CARE_TEAM_LANG
    columns = [_words(content, "column_row", lang), _words(content, "column_patient", lang),
               _words(content, "column_language", lang),
               *(option_heading(content, o.id, lang) for o in content.options),
               _words(content, "column_warnings", lang), _words(content, "column_check_code",
                                                                lang)]
    rows = []
    for patient in day.made:
        summary = patient.summary
        assert summary is not None
        verdicts = [f"{SYMBOL[v]} {content.string(f'ui.verdict_{v.value}', lang)}"
                    for _, v in summary.verdicts]
        rows.append([str(patient.row), patient.label,
                     locale_for(content, patient.language).name, *verdicts,
                     "; ".join(f"{w.code}: {w.message}" for w in summary.warnings),
                     summary.check_code])
    return pd.DataFrame(rows, columns=columns, dtype="str")


def problems_frame(day: ClinicDayOutcome, content: Content) -> pd.DataFrame:
    """One row per problem of a row without a sheet: row, field, message."""
    lang = CARE_TEAM_LANG
    columns = [_words(content, f"column_{k}", lang) for k in ("row", "field", "message")]
    rows = [[str(p.row), e.field or "-", e.message] for p in day.failed for e in p.errors]
    return pd.DataFrame(rows, columns=columns, dtype="str")
