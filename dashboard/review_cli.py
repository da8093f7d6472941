"""`python -m dashboard review-report -o report.html`: the rule table for clinical reviewers."""

from __future__ import annotations

import sys

from dashboard.adapters.output import OutputError, check_target, is_stdout, write_file
from dashboard.adapters.review_report import review_report, rule_ids
from dashboard.core.content import Content

EXIT_INPUT = 2


def write_review_report(content: Content, output: str, lang: str = "en") -> int:
    """Write the report (all or nothing; `-` is standard output); 2 for a bad language or path."""
    if lang not in content.languages:
        print(f"error: the content has no language {lang!r} (it has "
              f"{', '.join(content.languages)})", file=sys.stderr)
        return EXIT_INPUT
    try:
        check_target(output, binary=False)
        write_file(output, review_report(content, lang).encode("utf-8"))
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    if not is_stdout(output):
        print(f"wrote {output}: {len(rule_ids(content))} rules of {len(content.options)} "
              f"options, content {content.version}", file=sys.stderr)
    return 0
