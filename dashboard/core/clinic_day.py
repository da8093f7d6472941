"""A clinic day: one summary row per patient, from the patient's assessment (stdlib only)."""

from __future__ import annotations

from dataclasses import dataclass

from .assessment import Assessment, Verdict


@dataclass(frozen=True)
class SummaryRow:
    """What the day's summary shows for one patient: the verdict per option (content order),
    the codes of the warnings, and the check code printed on the patient's sheet."""

    verdicts: tuple[tuple[str, Verdict], ...]
    warnings: tuple[str, ...]
    check_code: str


def summary_row(assessment: Assessment) -> SummaryRow:
    return SummaryRow(verdicts=tuple((r.option_id, r.verdict) for r in assessment.results),
                      warnings=tuple(w.code for w in assessment.warnings),
                      check_code=assessment.fingerprint)
