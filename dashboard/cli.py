"""Command line: `assess` prints the assessment as JSON; `sheet` writes the discussion sheet PDF.

Exit status: 0 when every input was assessed, 2 for input errors or malformed JSON, 0 when the
reader of standard output closed it early (`assess … | head`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from dashboard.core.engine import assess_many
from dashboard.core.explain import assessment_record
from dashboard.core.loader import ContentError, load_content

EXIT_INPUT = 2


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        return _closed_pipe()


def _closed_pipe() -> int:
    """The reader went away (`| head`): stop quietly. Standard output is pointed at the null
    device so that Python's final flush at exit cannot complain about the closed pipe."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass
    return 0


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard",
                                     description="Recurrent liver cancer options dashboard")
    commands = parser.add_subparsers(dest="command", required=True)
    p_assess = commands.add_parser("assess", help="assess patient factors (JSON) and print JSON")
    p_assess.add_argument("file", help="a JSON file, or - for standard input")
    p_sheet = commands.add_parser("sheet", help="write a patient discussion sheet (PDF)")
    p_sheet.add_argument("file", help="a JSON file, or - for standard input")
    p_sheet.add_argument("-o", "--output", required=True,
                         help="the PDF file to write, or - for standard output; for a JSON array "
                              "(a clinic day), a new or empty folder")
    p_sheet.add_argument("--select", default="", help="option ids to include, comma-separated")
    p_sheet.add_argument("--large-print", action="store_true", help="body text 16 pt or more")
    p_sheet.add_argument("--paper", choices=("a4", "letter"), default="a4")
    p_sheet.add_argument("--leave-out-not-fitting", action="store_true",
                         help="leave out the section on options that do not fit right now")
    p_sheet.add_argument("--lang", default="en", metavar="LANG",
                         help="the sheet's language: a language of the content (en, fr)")
    args = parser.parse_args(argv)
    try:
        content = load_content()
    except ContentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    data = _read_json(args.file)
    if data is _BAD:
        return EXIT_INPUT
    if args.command == "assess":
        return _assess(data, content)
    from dashboard.sheet_cli import write_sheet  # fpdf2 is only imported when a sheet is made
    return write_sheet(data, content, args)


_BAD = object()


def _read_json(name: str) -> Any:
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {name}: {exc.__class__.__name__}", file=sys.stderr)
        return _BAD
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        print(f"error: input is not valid JSON: {exc}", file=sys.stderr)
        return _BAD


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed (numbers must be finite)")


def _assess(data: Any, content) -> int:
    items = data if isinstance(data, list) else [data]
    records = [assessment_record(a, content) for a in assess_many(items, content)]
    json.dump(records if isinstance(data, list) else records[0], sys.stdout, ensure_ascii=False,
              indent=2)
    sys.stdout.write("\n")
    return EXIT_INPUT if any(r["errors"] for r in records) else 0
