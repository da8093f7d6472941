"""CSV files of a clinic day: the summary (one row per sheet made) and the list template.

Every cell that a spreadsheet would run as a formula (beginning with =, +, -, @, a tab or a
carriage return) is written with a leading apostrophe, so it is shown as text (OWASP "CSV
injection"). Files are UTF-8 with a byte-order mark, which Excel needs to show accents.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from dashboard.core.content import Content
from dashboard.core.intake import template_columns
from dashboard.service import CARE_TEAM_LANG, ClinicDayOutcome

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# The template's example row: a made-up patient (never a real one), every core field filled.
EXAMPLE = {
    "id": "VISIT-0001", "name": "Example Patient", "appointment_date": "2 December 2026",
    "clinician": "Liver clinic", "team_phone": "555 0100", "notes": "",
    "recurrence_site": "liver_only", "liver_tumour_count": "1", "largest_tumour_cm": "2.5",
    "portal_vein_invasion": "none", "child_pugh_score": "5", "ecog": "0", "cirrhosis": "yes",
    "portal_hypertension": "no", "bilirubin_umol_l": "12", "prior_liver_transplant": "no",
    "fit_for_major_surgery": "yes", "transplant_candidate": "no", "remnant_adequate": "yes",
    "completely_resectable": "yes", "patient_goal": "wants_active",
    "months_since_last_curative_treatment": "30", "language": "en",
}


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(rows: Iterable[Iterable[object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")


def summary_header(content: Content, lang: str) -> list[str]:
    return ["row", "id", "patient", "file", "check_code", "language",
            *(o.name(lang) for o in content.options), "warnings"]


def summary_rows(day: ClinicDayOutcome, content: Content, lang: str) -> list[list[str]]:
    """One row per sheet made: row number, id, label, file, check code, the verdict words per
    option, and the warnings as "code: message"."""
    rows = []
    for patient in day.made:
        summary = patient.summary
        assert summary is not None
        words = [content.string(f"ui.verdict_{v.value}", lang) for _, v in summary.verdicts]
        warnings = " | ".join(f"{w.code}: {w.message}" for w in summary.warnings)
        rows.append([str(patient.row), patient.record_id, patient.label, patient.file_name,
                     summary.check_code, patient.language, *words, warnings])
    return rows


def summary_csv(day: ClinicDayOutcome, content: Content) -> bytes:
    lang = CARE_TEAM_LANG  # the summary is for the care team; each sheet has its own language
    return csv_bytes([summary_header(content, lang), *summary_rows(day, content, lang)])


def template_csv(content: Content) -> bytes:
    """The patient-list template: every column, and one made-up example row."""
    columns = template_columns(content)
    return csv_bytes([columns, [EXAMPLE.get(c, "") for c in columns]])
