"""Command line: `assess` prints the assessment as JSON; `sheet` writes the discussion sheet PDF;
`review-report` writes the rule table for clinical reviewers (HTML).

Exit status: 0 when every input was assessed, 2 for input errors or malformed JSON, 0 when the
reader of standard output closed it early (`assess … | head`).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from dashboard.adapters.assessments import FORMATS
from dashboard.core.factors import InputRefused, parse_json
from dashboard.core.limits import INPUT_BYTES_MAX
from dashboard.core.loader import ContentError

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
    p_assess = commands.add_parser("assess", help="assess patient factors (JSON) and print "
                                                  "JSON, JSON Lines or CSV")
    p_assess.add_argument("file", help="a JSON file, or - for standard input")
    p_assess.add_argument("--format", choices=FORMATS, default="json",
                          help="json (one object, or an array for an array), jsonl (one record "
                               "per line) or csv (one row per profile)")
    p_assess.add_argument("--pretty", action="store_true",
                          help="indented JSON (the default when printing to a terminal)")
    # The sheet's and the clinic day's flags need the sheet pipeline (dashboard.service, about
    # half the start-up of `assess`): they are added only when that command is the one run.
    command = _command_word(sys.argv[1:] if argv is None else argv)
    p_sheet = commands.add_parser("sheet", help="write a patient discussion sheet (PDF)")
    if command == "sheet":
        from dashboard import sheet_cli  # the sheet's flags: every choice the screen offers
        sheet_cli.add_arguments(p_sheet)
    p_batch = commands.add_parser(
        "batch", help="a clinic day: a patient list (CSV or JSON array) -> a ZIP of sheets")
    if command == "batch":
        from dashboard import batch_cli  # a clinic day: patient list -> ZIP (issue #13)
        batch_cli.add_arguments(p_batch)
    p_review = commands.add_parser("review-report", help="write the whole rule table as a "
                                                         "document for clinical reviewers (HTML)")
    p_review.add_argument("-o", "--output", required=True,
                          help="the HTML file to write, or - for standard output")
    p_review.add_argument("--lang", default="en", metavar="LANG", help="a language of the content")
    args = parser.parse_args(argv)
    if args.command == "batch":  # reads its list (CSV or JSON) itself, with its own limits
        from dashboard import batch_cli
        return batch_cli.run_batch(args)
    if args.command == "review-report":  # no patient input
        return _review_report(args.output, args.lang)
    data = read_json(args.file)  # the input limits are checked before anything else is done
    if data is BAD:
        return EXIT_INPUT
    from dashboard.assess_cli import shared_content  # loaded once, inherited by workers
    try:
        content = shared_content()
    except ContentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.command == "assess":
        from dashboard.assess_cli import write_assessments
        pretty = args.pretty or (args.format == "json" and _terminal())
        return write_assessments(data, content, args.format, pretty)
    from dashboard.sheet_cli import write_sheet  # fpdf2 is only imported when a sheet is made
    return write_sheet(data, content, args)


def _command_word(argv: list[str]) -> str | None:
    """The command argparse will run: the first word that is not an option (the top level has
    no option taking a value), or None (no command: argparse prints its help or error)."""
    return next((word for word in argv if not word.startswith("-")), None)


def _review_report(output: str, lang: str) -> int:
    from dashboard.assess_cli import shared_content
    from dashboard.review_cli import write_review_report
    try:
        content = shared_content()
    except ContentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return write_review_report(content, output, lang)


BAD = object()


def read_json(name: str) -> Any:
    """The decoded input (a file, or - for standard input) or BAD after one line on stderr."""
    try:
        raw = _read_limited(name)
        return parse_json(raw.decode("utf-8-sig"))
    except InputRefused as exc:
        message = str(exc)
    except UnicodeDecodeError:
        message = "the input is not UTF-8 text"
    except OSError as exc:
        from dashboard.adapters.output import describe  # not imported for every run (tempfile)
        message = f"cannot read {name}: {describe(exc)}"
    print(f"error: {message}", file=sys.stderr)
    return BAD


def _read_limited(name: str) -> bytes:
    """At most INPUT_BYTES_MAX bytes: a larger file is refused before it is read."""
    if name == "-":
        raw = sys.stdin.buffer.read(INPUT_BYTES_MAX + 1)
    else:
        with open(name, "rb") as f:
            if os.fstat(f.fileno()).st_size > INPUT_BYTES_MAX:
                raise InputRefused(_too_big())
            raw = f.read(INPUT_BYTES_MAX + 1)
    if len(raw) > INPUT_BYTES_MAX:
        raise InputRefused(_too_big())
    return raw


def _too_big() -> str:
    return f"the input is larger than {INPUT_BYTES_MAX // 2**20} MB"


def _terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
