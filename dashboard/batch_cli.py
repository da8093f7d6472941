"""`python -m dashboard batch LIST.csv -o OUT.zip`: a clinic day from a patient list.

The list (CSV, or a JSON array) is read by core/intake.py; every valid row gets its sheet from
the service (byte for byte what `sheet` makes for the same patient), every bad row is reported
on standard error with its row number, field and message (never a typed value), and the ZIP is
written to a temporary file beside OUT.zip and moved into place only when it is complete: the
target is either the complete new day or untouched, never two days mixed.
Exit status: 0 when every row has its sheet, 2 when any row (or the list) failed.
"""

from __future__ import annotations

import os
import sys

from dashboard.adapters.output import OutputError, check_target, write_file
from dashboard.core import intake
from dashboard.core.content import Content
from dashboard.service import PAPER_SIZES, Choices, ClinicDayOutcome, prepare_clinic_day

EXIT_INPUT = 2


def add_arguments(parser) -> None:
    parser.add_argument("file", help="the patient list: a CSV file (or a JSON array), - for "
                                     "standard input")
    parser.add_argument("-o", "--output", required=True, help="the ZIP file to write")
    parser.add_argument("--select", default="", help="option ids to include on every sheet, "
                                                      "comma-separated (default: up to three "
                                                      "per patient, as the screen suggests)")
    parser.add_argument("--large-print", action="store_true", help="body text 16 pt or more")
    parser.add_argument("--paper", choices=PAPER_SIZES, default=Choices.paper)
    parser.add_argument("--leave-out-not-fitting", action="store_true",
                        help="leave out the section on options that do not fit right now")
    parser.add_argument("--lang", default="en", metavar="LANG",
                        help="the sheets' language (en, fr) where a row has no language of its "
                             "own, and the tumour-board list's")
    parser.add_argument("--no-tumour-board", action="store_true",
                        help="leave the one-page tumour-board list out of the ZIP")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes drawing sheets (default: up to 2)")


def run_batch(args) -> int:
    from dashboard.assess_cli import shared_content
    from dashboard.core.loader import ContentError
    from dashboard.sheet_cli import created_now

    try:
        content = shared_content()
    except ContentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    patients = _read_list(args.file, content)
    if not patients.ok:
        for problem in patients.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    selected = tuple(s.strip() for s in args.select.split(",") if s.strip()) or None
    unknown = [s for s in selected or () if s not in {o.id for o in content.options}]
    if unknown:
        print(f"error: unknown option id(s) in --select: {', '.join(unknown)}", file=sys.stderr)
        return EXIT_INPUT
    try:
        check_target(args.output)  # before any work: never a device, a folder or a terminal
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    _notices(patients)
    choices = Choices(selected=selected, large_print=args.large_print, paper=args.paper,
                      leave_out_not_fitting=args.leave_out_not_fitting, language=args.lang)
    if args.lang not in content.languages:
        print(f"error: no sheet language {args.lang!r}: the content has "
              f"{', '.join(content.languages)}", file=sys.stderr)
        return EXIT_INPUT
    day = prepare_clinic_day(patients, choices, content, created=created_now(),
                             workers=max(1, args.workers))
    _report(day)
    try:  # a temporary file beside the target, moved into place only once complete
        write_file(args.output, _archive(day, content, not args.no_tumour_board, args.lang))
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    print(f"wrote {args.output}: {len(day.made)} sheet(s), {len(day.failed)} row(s) with "
          "problems")
    return EXIT_INPUT if day.failed else 0


def _read_list(name: str, content: Content) -> intake.PatientList:
    try:
        if name == "-":
            data = sys.stdin.buffer.read(intake.MAX_BYTES + 1)
        else:
            with open(name, "rb") as handle:
                data = handle.read(intake.MAX_BYTES + 1)  # never more than the limit
    except OSError as exc:
        return intake.PatientList(problems=(f"cannot read {name}: {exc.__class__.__name__}",))
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
        return intake.read_json(data, content)
    return intake.read_csv(data, content)


def _notices(patients: intake.PatientList) -> None:
    if patients.unknown_columns:
        print("note: columns that are not part of the list (a value in them stops that row): "
              + ", ".join(patients.unknown_columns), file=sys.stderr)
    if patients.missing_columns:
        print("note: columns missing from the list (not yet known for every patient): "
              + ", ".join(patients.missing_columns), file=sys.stderr)


def _report(day: ClinicDayOutcome) -> None:
    """Each bad row on standard error: row, field, message (quiet: never the typed text)."""
    for patient in day.failed:
        for error in patient.errors:
            print(f"row {patient.row}: {error.field or '-'}: {error.quiet_message}",
                  file=sys.stderr)
    for patient in day.made:
        print(f"row {patient.row}: {patient.file_name} (check code "
              f"{patient.sheet.check_code if patient.sheet else ''})")


def _archive(day: ClinicDayOutcome, content: Content, board: bool, lang: str) -> bytes:
    """The ZIP: every sheet, and the tumour-board list in the list's language (--lang)."""
    from dashboard.adapters.archive import day_archive
    from dashboard.adapters.tumour_board import board_pdf

    return day_archive(day, content, board_pdf(day, content, lang) if board else None)
