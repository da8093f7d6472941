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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from dashboard.core.assessment import Assessment
from dashboard.core.clinic_day import SummaryRow, file_stem, patient_label, summary_row
from dashboard.core.content import Content
from dashboard.core.engine import assess
from dashboard.core.intake import PatientDetails, PatientList, PatientRow
from dashboard.core.sheet import SheetChoices, SheetInputError, build_sheet, default_selection

_LOG = logging.getLogger("dashboard")
# The language of what the care team reads (the clinic-day summary, the tumour-board list): the
# screen's. Each patient's sheet is in its own language (Choices.language, or a row's own).
CARE_TEAM_LANG = "en"
PAPER_SIZES = ("letter", "a4")  # Letter first and by default, as in Canada: screen and CLI alike


@dataclass(frozen=True)
class Choices:
    """What is chosen for the sheet(s), the same for every patient of a clinic day.

    `selected` None means the default selection (core.sheet.default_selection: at most three,
    the same the screen suggests); the screen passes the options the clinician ticked.
    """

    selected: tuple[str, ...] | None = None
    large_print: bool = False
    paper: str = PAPER_SIZES[0]
    leave_out_not_fitting: bool = False
    # Optional sections of the sheet, off unless the clinician ticks them (issue #10):
    include_not_fitting: bool = False  # "Options that do not fit right now", one line each
    more_about_options: bool = False  # "More about each option", up to a page each
    full_sources: bool = False  # the full list of sources
    language: str = "en"


class ErrorKind(str, enum.Enum):
    INTAKE = "intake"  # a cell or field of a patient list that cannot be read
    FACTORS = "factors"  # the engine refused the patient factors (code, field, message)
    SELECTION = "selection"  # an option id that the content does not have
    PATIENT_TEXT = "patient_text"  # a typed field of the sheet over its length limit
    BUSY = "busy"  # the server's sheet workers are full: nothing lost, prepare again soon
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
    pages: int | None = None  # the PDF's page count (None: no PDF)

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
    sheet = sheet_choices(selected, choices, patient)
    drawer = _DRAWER[0] if _DRAWER else None
    drawn = drawer(assessment, content, sheet, created, choices.language) if drawer else None
    return drawn or draw_sheet(assessment, content, sheet, created, choices.language)


# Where the last step of `prepare_sheet` (build the sheet, render the PDF) may run instead of
# the calling thread: the server's sheet workers (dashboard/adapters/render_pool.py). It
# returns the outcome, or None for "draw it here". At most one; none for the command line.
Drawer = Callable[[Assessment, Content, SheetChoices, datetime, str], "SheetOutcome | None"]
_DRAWER: list[Drawer] = []
# The same for `sheet_page_count`: the page count, None when no sheet can be made, or
# COUNT_HERE for "lay it out here".
Counter = Callable[[Assessment, Content, SheetChoices, datetime, str], "int | None"]
_COUNTER: list[Counter] = []
COUNT_HERE = -1


def draw_sheets_with(drawer: Drawer | None, counter: Counter | None = None) -> None:
    """Let `drawer` draw the sheets of `prepare_sheet`, and `counter` lay out those of
    `sheet_page_count`, from now on (None: the calling thread)."""
    _DRAWER[:] = [drawer] if drawer else []
    _COUNTER[:] = [counter] if counter else []


def busy_outcome(assessment: Assessment, content: Content) -> SheetOutcome:
    """No sheet now, because the server is drawing as many as it takes at once."""
    message = content.string("ui.sheet_busy")
    return SheetOutcome(assessment, None, (
        SheetError(ErrorKind.BUSY, "", message, message, "BUSY"),))


def sheet_choices(selected: tuple[str, ...], choices: Choices,
                  patient: PatientDetails) -> SheetChoices:
    """The core sheet's choices for one patient."""
    return SheetChoices(selected=tuple(selected), patient_name=patient.name,
                        appointment_date=patient.appointment_date, clinician=patient.clinician,
                        team_phone=patient.team_phone, notes=patient.notes,
                        include_not_fitting=(choices.include_not_fitting
                                             and not choices.leave_out_not_fitting),
                        more_about_options=choices.more_about_options,
                        full_sources=choices.full_sources,
                        large_print=choices.large_print, paper=choices.paper)


def split_sheet_choices(sheet: SheetChoices, language: str) -> tuple[Choices, PatientDetails]:
    """The inverse of `sheet_choices`, for the screen, which gathers both in one form."""
    return (Choices(selected=sheet.selected, large_print=sheet.large_print, paper=sheet.paper,
                    include_not_fitting=sheet.include_not_fitting,
                    more_about_options=sheet.more_about_options, full_sources=sheet.full_sources,
                    language=language),
            PatientDetails(name=sheet.patient_name, appointment_date=sheet.appointment_date,
                           clinician=sheet.clinician, team_phone=sheet.team_phone,
                           notes=sheet.notes))


def sheet_page_count(assessment: Assessment, sheet: SheetChoices, content: Content, *,
                     created: datetime | None = None, language: str = "en") -> int | None:
    """How many pages the sheet will have, laid out without writing the PDF (for the screen,
    before "Prepare"); None when no sheet can be made from these choices."""
    from dashboard.adapters.pdf import UnprintableText, count_pages

    if not assessment.ok:
        return None
    created = created or datetime.now().astimezone()
    counter = _COUNTER[0] if _COUNTER else None
    pages = counter(assessment, content, sheet, created, language) if counter else COUNT_HERE
    if pages != COUNT_HERE:
        return pages
    try:
        return count_pages(build_sheet(assessment, content, sheet, today=created.date(),
                                       lang=language))
    except (UnprintableText, SheetInputError):
        return None


def draw_sheet(assessment: Assessment, content: Content, choices: SheetChoices,
               created: datetime, language: str) -> SheetOutcome:
    """The last step of `prepare_sheet`, in this thread: build the sheet and render the PDF."""
    from dashboard.adapters.pdf import (  # fpdf2 loads on the first sheet only
        UnprintableText,
        render_counted,
    )

    try:
        sheet = build_sheet(assessment, content, choices, today=created.date(), lang=language)
        data, pages = render_counted(sheet, created=created)
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
        return SheetOutcome(assessment, bytes(data), (), sheet.file_name, pages)
    return SheetOutcome(assessment, None, (error,))


# --------------------------------------------------------------------------- clinic day


@dataclass(frozen=True)
class PatientOutcome:
    """One row of a patient list: its sheet, or why none was made (intake, engine or sheet)."""

    row: int
    record_id: str
    label: str  # the clinic's id, else the initials: how the summary names the patient
    file_name: str  # inside the archive: row number and id or initials, never the full name
    sheet: SheetOutcome | None  # None when the row could not be read or assessed
    errors: tuple[SheetError, ...]
    language: str = "en"  # the sheet's language: the row's own, else the day's

    @property
    def ok(self) -> bool:
        return self.sheet is not None and self.sheet.ok

    @property
    def summary(self) -> SummaryRow | None:
        return self.sheet.summary if self.ok and self.sheet else None


@dataclass(frozen=True)
class ClinicDayOutcome:
    patients: tuple[PatientOutcome, ...]
    choices: Choices
    created: datetime
    problems: tuple[str, ...] = ()  # the list as a whole could not be read

    @property
    def made(self) -> tuple[PatientOutcome, ...]:
        return tuple(p for p in self.patients if p.ok)

    @property
    def failed(self) -> tuple[PatientOutcome, ...]:
        return tuple(p for p in self.patients if not p.ok)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.failed


Progress = Callable[[int, int], None]


def prepare_clinic_day(rows: PatientList | Sequence[PatientRow], choices: Choices,
                       content: Content, *, created: datetime | None = None,
                       on_progress: Progress | None = None, workers: int = 1) -> ClinicDayOutcome:
    """Every patient of a list: each valid row gets its sheet (exactly what `prepare_sheet`
    makes for it), each bad row its errors; one bad row never stops the others.

    `workers` > 1 draws the sheets in that many processes, each loading the content and fonts
    once; if a worker cannot start, or its content differs, the sheets are drawn here instead.
    `on_progress(done, total)` is called as sheets are finished.
    """
    created = created or datetime.now().astimezone()
    problems: tuple[str, ...] = ()
    if isinstance(rows, PatientList):
        problems, rows = rows.problems, rows.rows
    checked = [_check_row(row, choices, content) for row in rows]
    jobs = [(i, row, day) for i, (row, day, errors) in enumerate(checked) if not errors]
    drawn = _draw_all(jobs, content, created, on_progress, len(checked), workers)
    patients = []
    for i, (row, day, row_errors) in enumerate(checked):
        sheet = drawn.get(i)
        errors = sheet.errors if sheet is not None else row_errors
        patients.append(PatientOutcome(
            row=row.row, record_id=row.record_id,
            label=patient_label(row.row, row.record_id, row.details.name),
            file_name=file_stem(row.row, row.record_id, row.details.name) + ".pdf",
            sheet=sheet, errors=errors, language=day.language))
    return ClinicDayOutcome(tuple(patients), choices, created, problems)


def _check_row(row: PatientRow, choices: Choices,
               content: Content) -> tuple[PatientRow, Choices, tuple[SheetError, ...]]:
    """What the intake and the engine refuse for a row, before any sheet is drawn."""
    errors = [SheetError(ErrorKind.INTAKE, i.field, i.message, i.message, i.code)
              for i in row.issues]
    if row.factors is not None:
        assessment = assess(row.factors, content)
        errors += [SheetError(ErrorKind.FACTORS, e.field, e.message, e.message, e.code)
                   for e in assessment.errors]
    day = replace(choices, language=row.language or choices.language)
    return row, day, tuple(errors)


def _draw_all(jobs: list[tuple[int, PatientRow, Choices]], content: Content, created: datetime,
              on_progress: Progress | None, total: int, workers: int) -> dict[int, SheetOutcome]:
    done = total - len(jobs)
    drawn: dict[int, SheetOutcome] = {}
    if on_progress:
        on_progress(done, total)
    from dashboard.adapters.pdf import shared_measurements

    if workers > 1 and len(jobs) >= PARALLEL_FROM:
        drawn = _draw_in_workers(jobs, content, created, on_progress, done, total, workers)
        done += len(drawn)
    with shared_measurements():  # this day's sheets only; the bytes stay the single sheet's
        for i, row, day in jobs:
            if i in drawn:
                continue
            drawn[i] = prepare_sheet(row.factors, day, content, patient=row.details,
                                     created=created)
            done += 1
            if on_progress:
                on_progress(done, total)
    return drawn


PARALLEL_FROM = 6  # fewer sheets are drawn sooner here than by starting processes


def _draw_in_workers(jobs: list[tuple[int, PatientRow, Choices]], content: Content,
                     created: datetime, on_progress: Progress | None, done: int, total: int,
                     workers: int) -> dict[int, SheetOutcome]:
    """Sheets drawn by worker processes; {} (nothing drawn) if the workers cannot be used."""
    import concurrent.futures as futures
    import multiprocessing

    from dashboard.core.loader import CONTENT_DIR

    drawn: dict[int, SheetOutcome] = {}
    try:
        with futures.ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context(_start_method()),
                initializer=_start_worker, initargs=(str(CONTENT_DIR), content.version)) as pool:
            waiting = {pool.submit(_worker_sheet, row.factors, day, row.details, created): i
                       for i, row, day in jobs}
            for future in futures.as_completed(waiting):
                outcome = future.result()
                drawn[waiting[future]] = outcome
                done += 1
                if on_progress:
                    on_progress(done, total)
    except (futures.process.BrokenProcessPool, OSError) as exc:
        _LOG.warning("clinic day drawn in one process (%s)", type(exc).__name__)
        return {}
    return drawn


def _start_method() -> str:
    """fork (the workers start at once with Python, fpdf2 and the content already loaded)
    when this process runs no other thread, as the command line; spawn otherwise (a server:
    forking a process with threads can deadlock the child)."""
    import multiprocessing
    import threading

    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


_WORKER: dict[str, Any] = {}


def load_worker(root: str, version: str | None = None, *,
                share_measurements: bool) -> Content:
    """In a worker process (a clinic day's, or the server's sheet workers,
    `dashboard/adapters/render_pool.py`): load the content and the fonts once, with fpdf2.

    `version`: refuse to start if the content on disk is not the content the caller checked
    against. `share_measurements`: the worker's sheets share how texts wrap (a clinic day's
    workers: one care team's day, then gone); never for the server's workers, which draw for
    every clinician and keep nothing between sheets.
    """
    from dashboard.adapters.pdf import (  # noqa: F401 - render: fpdf2 loaded now
        load_fonts,
        render,
        shared_measurements,
    )
    from dashboard.core.loader import load_content

    content = load_content(root)
    if version is not None and content.version != version:
        raise RuntimeError("content differs")
    load_fonts()
    if share_measurements:
        _WORKER["measurements"] = shared_measurements()
        _WORKER["measurements"].__enter__()
    return content


def _start_worker(root: str, version: str) -> None:
    """A clinic day's worker: the content checked against the day's, shared measurements."""
    _WORKER["content"] = load_worker(root, version, share_measurements=True)


def _worker_sheet(factors: Mapping[str, Any], choices: Choices, patient: PatientDetails,
                  created: datetime) -> SheetOutcome:
    return prepare_sheet(factors, choices, _WORKER["content"], patient=patient, created=created)
