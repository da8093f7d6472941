"""`python -m dashboard sheet`: patient factors (+ optional "patient" object) -> PDF file(s)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import Any

from dashboard.adapters.output import OutputError, check_target, empty_folder, is_stdout, write_file
from dashboard.core.content import Content
from dashboard.core.intake import json_row
from dashboard.service import PAPER_SIZES, Choices, ErrorKind, SheetError, prepare_sheet

EXIT_INPUT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `sheet` command's arguments: the same choices as the screen's sheet panel
    (service.Choices), so both make the same sheet for the same choices."""
    parser.add_argument("file", help="a JSON file, or - for standard input")
    parser.add_argument("-o", "--output", required=True,
                        help="the PDF file to write, or - for standard output; for a JSON array "
                             "(a clinic day), a new or empty folder")
    parser.add_argument("--select", default="",
                        help="option ids to include, comma-separated (default: up to three, those "
                             "that may be discussed first, then those that need caution, in "
                             "content order: two pages)")
    parser.add_argument("--lang", default="en", metavar="LANG",
                        help="the sheet's language: a language of the content (en, fr); a "
                             "patient's own \"language\" wins")
    parser.add_argument("--large-print", action="store_true", help="body text 16 pt or more")
    parser.add_argument("--paper", choices=PAPER_SIZES, default=Choices.paper)
    optional = parser.add_argument_group(
        "optional sections", "off unless asked for: the core sheet is two pages for up to "
                             "three options")
    optional.add_argument("--not-fitting", action="store_true",
                          help='add "Options that do not fit right now", one line each')
    optional.add_argument("--more-about-options", action="store_true",
                          help='add "More about each option", up to a page each')
    optional.add_argument("--full-sources", action="store_true",
                          help="add the full list of sources (by default the sheet names the "
                               "patient pages it draws on)")
    optional.add_argument("--leave-out-not-fitting", action="store_true",
                          help="never add the options that do not fit (wins over --not-fitting)")


def choices_from(args: argparse.Namespace, language: str = "") -> Choices:
    """The sheet choices the arguments ask for (one patient's own language wins)."""
    selected = tuple(s.strip() for s in args.select.split(",") if s.strip()) or None
    return Choices(selected=selected, large_print=args.large_print, paper=args.paper,
                   leave_out_not_fitting=args.leave_out_not_fitting,
                   include_not_fitting=args.not_fitting,
                   more_about_options=args.more_about_options, full_sources=args.full_sources,
                   language=language or args.lang)


def write_sheet(data: Any, content: Content, args) -> int:
    """One patient (a JSON object) -> the file -o; a clinic day (a JSON array) -> the folder -o,
    one sheet per patient named by position only (sheet-001.pdf, …), never by name."""
    created = created_now()
    if isinstance(data, list):
        return _clinic_day(data, content, args, created)
    try:
        check_target(args.output)  # before any work: never a device, a folder or a terminal
    except OutputError as exc:
        return _fail(str(exc))
    pdf, message = _one_sheet(data, content, args, created)
    if pdf is None:
        return _fail(message)
    try:
        write_file(args.output, pdf)
    except OutputError as exc:
        return _fail(str(exc))
    # standard output carries the PDF itself, so the confirmation goes to standard error
    print(f"wrote {args.output} ({len(pdf)} bytes, {message})",
          file=sys.stderr if is_stdout(args.output) else sys.stdout)
    return 0


def _clinic_day(items: list, content: Content, args, created: datetime) -> int:
    if is_stdout(args.output):
        return _fail("a list of patients needs a folder for -o, not standard output")
    try:
        folder = empty_folder(args.output)
    except OutputError as exc:
        return _fail(str(exc))
    failed = 0
    for number, item in enumerate(items, start=1):
        pdf, message = _one_sheet(item, content, args, created)
        if pdf is None:
            failed += 1
            print(f"{number}: not written: {message}", file=sys.stderr)
            continue
        path = folder / f"sheet-{number:03d}.pdf"
        try:
            write_file(path, pdf, replace=False)
        except OutputError as exc:
            failed += 1
            print(f"{number}: not written: {exc}", file=sys.stderr)
            continue
        print(f"{number}: wrote {path} ({message})")
    return EXIT_INPUT if failed else 0


def _one_sheet(data: Any, content: Content, args, created: datetime) -> tuple[bytes | None, str]:
    """(PDF bytes, "check code …") or (None, the reason no sheet could be made)."""
    row = json_row(1, data, content)  # the one intake: factors as typed, a "patient" object
    if row.issues:
        return None, "; ".join(i.message for i in row.issues)
    outcome = prepare_sheet(row.factors or {}, choices_from(args, row.language or ""),
                            content, patient=row.details, created=created)
    if outcome.ok:
        return outcome.pdf, f"check code {outcome.check_code}"
    return None, error_words(outcome.errors)


def error_words(errors: tuple[SheetError, ...]) -> str:
    """Why no sheet was made, for standard error (which may be logged): never the typed text."""
    if errors[0].kind is ErrorKind.FACTORS:
        return "; ".join(f"{e.code} {e.field}: {e.message}" for e in errors)
    return "; ".join(e.quiet_message for e in errors)


def created_now() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible output)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(UTC)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_INPUT
