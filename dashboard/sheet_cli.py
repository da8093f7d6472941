"""`python -m dashboard sheet`: patient factors (+ optional "patient" object) -> PDF file."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from dashboard.core.engine import assess
from dashboard.core.model import Content
from dashboard.core.sheet import SheetChoices, SheetInputError, build_sheet, default_selection
from dashboard.pdf import UnprintableText, render

EXIT_INPUT = 2
PATIENT_KEYS = {"name", "appointment_date", "clinician", "team_phone", "notes"}


def write_sheet(data: Any, content: Content, args) -> int:
    if not isinstance(data, dict):
        return _fail("the sheet command takes one JSON object (one patient)")
    data = dict(data)
    patient = data.pop("patient", None) or {}
    if not isinstance(patient, dict) or set(patient) - PATIENT_KEYS or not all(
            isinstance(v, str) for v in patient.values()):
        return _fail(f'"patient" must be an object of text fields: {", ".join(sorted(PATIENT_KEYS))}')
    assessment = assess(data, content)
    if not assessment.ok:
        for error in assessment.errors:
            print(f"error: {error.code} {error.field}: {error.message}", file=sys.stderr)
        return EXIT_INPUT
    selected = default_selection(assessment)
    if args.select:
        selected = tuple(s.strip() for s in args.select.split(",") if s.strip())
        unknown = [s for s in selected if s not in {o.id for o in content.options}]
        if unknown:
            return _fail(f"unknown option id(s) in --select: {', '.join(unknown)}")
    choices = SheetChoices(selected=selected, patient_name=patient.get("name", ""),
                           appointment_date=patient.get("appointment_date", ""),
                           clinician=patient.get("clinician", ""),
                           team_phone=patient.get("team_phone", ""),
                           notes=patient.get("notes", ""),
                           include_not_fitting=not args.leave_out_not_fitting,
                           large_print=args.large_print, paper=args.paper)
    created = _created()
    try:
        sheet = build_sheet(assessment, content, choices, today=created.date())
        pdf = render(sheet, created=created)
    except (SheetInputError, UnprintableText) as exc:
        return _fail(str(exc))
    try:
        _write_all_or_nothing(Path(args.output), pdf)
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.__class__.__name__}")
    print(f"wrote {args.output} ({len(pdf)} bytes, check code {assessment.fingerprint})")
    return 0


def _write_all_or_nothing(path: Path, data: bytes) -> None:
    """Write via a temporary file beside `path`, so a failed write never leaves a partial sheet."""
    if path.is_dir():
        raise IsADirectoryError(str(path))
    part = path.with_name(path.name + ".part")
    try:
        part.write_bytes(data)
        os.replace(part, path)
    except OSError:
        part.unlink(missing_ok=True)
        raise


def _created() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible output)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(timezone.utc)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_INPUT
