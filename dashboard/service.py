"""The one sheet pipeline, shared by the screen and the command line.

    patient factors -> assess -> options chosen -> build the sheet -> render the PDF

`prepare_sheet` runs it for one patient and `prepare_clinic_day` for a patient list. Both return
frozen outcomes: the PDF bytes or typed errors, the check code and the summary row. Callers only
present the outcome; no caller assesses, builds or renders a sheet itself.

The service may read the clock (the sheet's date) and imports fpdf2 only when a sheet is drawn.
Nothing here logs a patient value: an unexpected failure is logged as its code only.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dashboard.core.assessment import Assessment
from dashboard.core.clinic_day import SummaryRow, summary_row
from dashboard.core.content import Content
from dashboard.core.engine import assess
from dashboard.core.sheet import SheetChoices, SheetInputError, build_sheet, default_selection

_LOG = logging.getLogger("dashboard")


@dataclass(frozen=True)
class Choices:
    """What is chosen for the sheet(s), the same for every patient of a clinic day.

    `selected` None means the default selection (the options that are applicable or need
    caution); the screen passes the options the clinician ticked.
    """

    selected: tuple[str, ...] | None = None
    large_print: bool = False
    paper: str = "a4"
    leave_out_not_fitting: bool = False
    language: str = "en"


@dataclass(frozen=True)
class PatientDetails:
    """What the sheet's header prints for one patient (typed text, normalised by the sheet)."""

    name: str = ""
    appointment_date: str = ""
    clinician: str = ""
    team_phone: str = ""
    notes: str = ""


class ErrorKind(str, enum.Enum):
    FACTORS = "factors"  # the engine refused the patient factors (code, field, message)
    SELECTION = "selection"  # an option id that the content does not have
    PATIENT_TEXT = "patient_text"  # a typed field of the sheet over its length limit
    UNPRINTABLE = "unprintable"  # characters that no bundled font can print
    UNEXPECTED = "unexpected"  # anything else: only its code is shown and logged


@dataclass(frozen=True)
class SheetError:
    """Why no sheet was made. `message` is for the screen and may quote what was typed;
    `quiet_message` names the field only and is safe for standard error (which may be logged)."""

    kind: ErrorKind
    field: str
    message: str
    quiet_message: str
    code: str = ""


@dataclass(frozen=True)
class SheetOutcome:
    assessment: Assessment
    pdf: bytes | None
    errors: tuple[SheetError, ...]
    file_name: str = ""

    @property
    def ok(self) -> bool:
        return self.pdf is not None

    @property
    def check_code(self) -> str:
        """The assessment's fingerprint, printed on the sheet and shown on screen."""
        return self.assessment.fingerprint

    @property
    def summary(self) -> SummaryRow:
        return summary_row(self.assessment)


def prepare_sheet(factors: Mapping[str, Any] | Assessment, choices: Choices, content: Content,
                  *, patient: PatientDetails = PatientDetails(),
                  created: datetime | None = None) -> SheetOutcome:
    """One patient's sheet.

    `factors` is the engine's input (as from the form or JSON), or the assessment the screen
    already shows for it, so that the sheet is made from exactly what is on screen. `created`
    (default: now, local time) is the sheet's date and the PDF's creation date.
    """
    assessment = factors if isinstance(factors, Assessment) else assess(factors, content)
    if not assessment.ok:
        return SheetOutcome(assessment, None, tuple(
            SheetError(ErrorKind.FACTORS, e.field, e.message, e.message, e.code)
            for e in assessment.errors))
    if choices.language not in content.languages:  # never a sheet silently in another language
        message = (f"no sheet language {choices.language!r}: the content has "
                   f"{', '.join(content.languages)}")
        return SheetOutcome(assessment, None, (
            SheetError(ErrorKind.SELECTION, "language", message, message),))
    selected = default_selection(assessment) if choices.selected is None else choices.selected
    known = {o.id for o in content.options}
    unknown = [s for s in selected if s not in known]
    if unknown:
        message = f"unknown option id(s) in the selection: {', '.join(unknown)}"
        return SheetOutcome(assessment, None, (
            SheetError(ErrorKind.SELECTION, "selected", message, message),))
    created = created or datetime.now().astimezone()
    return _draw(assessment, content, sheet_choices(selected, choices, patient), created,
                 choices.language)


def sheet_choices(selected: tuple[str, ...], choices: Choices,
                  patient: PatientDetails) -> SheetChoices:
    """The core sheet's choices for one patient."""
    return SheetChoices(selected=tuple(selected), patient_name=patient.name,
                        appointment_date=patient.appointment_date, clinician=patient.clinician,
                        team_phone=patient.team_phone, notes=patient.notes,
                        include_not_fitting=not choices.leave_out_not_fitting,
                        large_print=choices.large_print, paper=choices.paper)


def split_sheet_choices(sheet: SheetChoices, language: str) -> tuple[Choices, PatientDetails]:
    """The inverse of `sheet_choices`, for the screen, which gathers both in one form."""
    return (Choices(selected=sheet.selected, large_print=sheet.large_print, paper=sheet.paper,
                    leave_out_not_fitting=not sheet.include_not_fitting, language=language),
            PatientDetails(name=sheet.patient_name, appointment_date=sheet.appointment_date,
                           clinician=sheet.clinician, team_phone=sheet.team_phone,
                           notes=sheet.notes))


def _draw(assessment: Assessment, content: Content, choices: SheetChoices, created: datetime,
          language: str) -> SheetOutcome:
    from dashboard.pdf import UnprintableText, render  # fpdf2 loads on the first sheet only

    try:
        sheet = build_sheet(assessment, content, choices, today=created.date(), lang=language)
        data = bytes(render(sheet, created=created))
    except UnprintableText as exc:
        error = SheetError(ErrorKind.UNPRINTABLE, exc.field, str(exc), exc.without_text)
    except SheetInputError as exc:
        error = SheetError(ErrorKind.PATIENT_TEXT, exc.field, str(exc), str(exc))
    except Exception as exc:  # noqa: BLE001 - never a traceback, never half a sheet
        code = f"PDF-{type(exc).__name__}"
        _LOG.error("unexpected error %s", code)  # the code only: never the message or a value
        message = f"The sheet could not be made (code {code})."
        error = SheetError(ErrorKind.UNEXPECTED, "", message, message, code)
    else:
        return SheetOutcome(assessment, data, (), sheet.file_name)
    return SheetOutcome(assessment, None, (error,))
