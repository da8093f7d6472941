"""`python -m dashboard sheet`: patient factors (+ optional "patient" object) -> PDF file(s)."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dashboard.core.engine import assess
from dashboard.core.model import Content
from dashboard.core.sheet import SheetChoices, SheetInputError, build_sheet, default_selection
from dashboard.pdf import UnprintableText, render

EXIT_INPUT = 2
PATIENT_KEYS = {"name", "appointment_date", "clinician", "team_phone", "notes"}


def write_sheet(data: Any, content: Content, args) -> int:
    """One patient (a JSON object) -> the file -o; a clinic day (a JSON array) -> the folder -o,
    one sheet per patient named by position only (sheet-001.pdf, …), never by name."""
    created = _created()
    if isinstance(data, list):
        return _clinic_day(data, content, args, created)
    pdf, message = _one_sheet(data, content, args, created)
    if pdf is None:
        return _fail(message)
    try:
        _write_all_or_nothing(Path(args.output), pdf)
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.__class__.__name__}")
    print(f"wrote {args.output} ({len(pdf)} bytes, {message})")
    return 0


def _clinic_day(items: list, content: Content, args, created: datetime) -> int:
    folder = Path(args.output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(f"cannot create the folder {folder}: {exc.__class__.__name__}")
    failed = 0
    for number, item in enumerate(items, start=1):
        pdf, message = _one_sheet(item, content, args, created)
        if pdf is None:
            failed += 1
            print(f"{number}: not written: {message}", file=sys.stderr)
            continue
        path = folder / f"sheet-{number:03d}.pdf"
        try:
            _write_all_or_nothing(path, pdf)
        except OSError as exc:
            failed += 1
            print(f"{number}: not written: cannot write {path}: {exc.__class__.__name__}",
                  file=sys.stderr)
            continue
        print(f"{number}: wrote {path} ({message})")
    return EXIT_INPUT if failed else 0


def _write_all_or_nothing(path: Path, data: bytes) -> None:
    """Write via a temporary file beside `path`, so a failed write never leaves a partial sheet
    (safety case 35, hazard H25); an unwritable path is an OSError, reported without traceback."""
    if path.is_dir():
        raise IsADirectoryError(str(path))
    part = path.with_name(path.name + ".part")
    try:
        part.write_bytes(data)
        os.replace(part, path)
    except OSError:
        part.unlink(missing_ok=True)
        raise


def _one_sheet(data: Any, content: Content, args, created: datetime) -> tuple[bytes | None, str]:
    """(PDF bytes, "check code …") or (None, the reason no sheet could be made)."""
    if not isinstance(data, dict):
        return None, "each patient must be a JSON object"
    data = dict(data)
    patient = data.pop("patient", None) or {}
    if not isinstance(patient, dict) or set(patient) - PATIENT_KEYS or not all(
            isinstance(v, str) for v in patient.values()):
        return None, f'"patient" must be an object of text fields: {", ".join(sorted(PATIENT_KEYS))}'
    assessment = assess(data, content)
    if not assessment.ok:
        return None, "; ".join(f"{e.code} {e.field}: {e.message}" for e in assessment.errors)
    selected = default_selection(assessment)
    if args.select:
        selected = tuple(s.strip() for s in args.select.split(",") if s.strip())
        unknown = [s for s in selected if s not in {o.id for o in content.options}]
        if unknown:
            return None, f"unknown option id(s) in --select: {', '.join(unknown)}"
    choices = SheetChoices(selected=selected, patient_name=patient.get("name", ""),
                           appointment_date=patient.get("appointment_date", ""),
                           clinician=patient.get("clinician", ""),
                           team_phone=patient.get("team_phone", ""),
                           notes=patient.get("notes", ""),
                           include_not_fitting=not args.leave_out_not_fitting,
                           large_print=args.large_print, paper=args.paper)
    try:
        sheet = build_sheet(assessment, content, choices, today=created.date())
        return render(sheet, created=created), f"check code {assessment.fingerprint}"
    except UnprintableText as exc:  # standard error may be logged: name the field, not the text
        return None, exc.without_text
    except SheetInputError as exc:
        return None, str(exc)


def _created() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible output)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(timezone.utc)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_INPUT
