"""Assessments as JSON, JSON Lines or CSV for the command line (issue #15).

The JSON record is the contract of `core.explain.assessment_record` (content_version, verdicts,
reasons, warnings, errors, labels, and for assessed profiles fingerprint, derived, notes). This
module writes the same record faster, without building it as a dict and encoding it whole:

- every piece that repeats between profiles (a finding's record with its reason text and
  sources, an option's verdict, a label, the agent notes) is made by the explain functions
  once, encoded once, and then reused as JSON text;
- only what differs per profile (fingerprint, derived values, warnings, errors) is encoded per
  profile, compactly by Python's C encoder;
- CSV does no work for what it does not print (no reason texts at all).

`tests/test_assess_formats.py` proves the output equal to `assessment_record` on generated
profiles. Pretty (indented) JSON uses `assessment_record` itself.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from dashboard.core.assessment import Assessment, OptionResult
from dashboard.core.content import Content, text_in
from dashboard.core.explain import _derived_record as derived_record  # the one definition
from dashboard.core.explain import assessment_record, finding_record, issue_record, recurrence_label

FORMATS = ("json", "jsonl", "csv")
_CACHE_MAX = 100_000  # distinct pieces kept; cleared beyond this, so memory stays bounded
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False,
                            allow_nan=False).encode


class RecordWriter:
    """Compact JSON text of `assessment_record(a, content, lang)`, pieces cached per content."""

    def __init__(self, content: Content, lang: str = "en"):
        self.content, self.lang = content, lang
        self._version = _compact(content.version)
        self._findings: dict[tuple[str, str, str, tuple[str, ...], bool], str] = {}
        self._verdicts: dict[tuple[str, str], str] = {}
        self._keys: dict[str, str] = {}
        self._labels: dict[str, str] = {}
        self._notes: dict[tuple[str, str, tuple[str, ...]], str] = {}

    def __call__(self, a: Assessment) -> str:
        if len(self._findings) > _CACHE_MAX:
            self._findings.clear()
        results = a.results
        verdicts = ",".join([self._verdict(r) for r in results])
        reasons = ",".join([self._reason(r) for r in results])
        head = (f'{{"content_version":{self._version},"verdicts":{{{verdicts}}},'
                f'"reasons":{{{reasons}}},"warnings":{_compact(_warnings(a))},'
                f'"errors":{_compact([issue_record(e) for e in a.errors])}')
        if not a.ok:
            return head + ',"labels":[]}'
        notes = ",".join([self._note(r) for r in results if r.line or r.notes])
        return (f'{head},"labels":[{self._label(a)}],"fingerprint":{_compact(a.fingerprint)},'
                f'"derived":{_compact(_derived(a))},'
                f'"notes":{{{notes}}}}}')

    # Cache keys are tuples of plain strings: hashing the frozen dataclasses or the Verdict
    # enum itself runs Python code per call, which cost more than encoding did.

    def _verdict(self, result: OptionResult) -> str:
        key = (result.option_id, result.verdict._value_)
        text = self._verdicts.get(key)
        if text is None:
            text = self._verdicts[key] = f"{_compact(key[0])}:{_compact(key[1])}"
        return text

    def _reason(self, result: OptionResult) -> str:
        findings = self._findings
        parts = []
        for f in result.findings:
            key = (f.rule_id, f.verdict._value_, f.track, f.unknown, f.default)
            text = findings.get(key)
            if text is None:
                text = findings[key] = _compact(finding_record(f, self.content, self.lang))
            parts.append(text)
        return f"{self._option_key(result.option_id)}:[{','.join(parts)}]"

    def _option_key(self, option_id: str) -> str:
        text = self._keys.get(option_id)
        if text is None:
            text = self._keys[option_id] = _compact(option_id)
        return text

    def _label(self, a: Assessment) -> str:
        key = a.derived.recurrence_label if a.derived else "unknown"
        text = self._labels.get(key)
        if text is None:
            text = self._labels[key] = _compact(recurrence_label(a, self.content, self.lang))
        return text

    def _note(self, result: OptionResult) -> str:
        key = (result.option_id, result.line, result.notes)
        text = self._notes.get(key)
        if text is None:
            text = self._notes[key] = f"{_compact(result.option_id)}:" + _compact(
                {"line": result.line, "agent_notes": [
                    {"rule": n, "text": text_in(self.content.rule(n).clinician, self.lang)}
                    for n in result.notes]})
        return text


def _warnings(a: Assessment) -> list[dict[str, str]]:
    return [{"code": w.code, "message": w.message} for w in a.warnings]


def _derived(a: Assessment) -> dict[str, Any]:
    return derived_record(a)


# --------------------------------------------------------------------------- CSV


def csv_header(content: Content) -> list[str]:
    """One row per profile: position, check code, a verdict and deciding-rule column per
    option (content order), warning codes, errors, content version."""
    columns = ["profile", "check_code"]
    for option in content.options:
        columns += [option.id, f"{option.id}_rules"]
    return columns + ["warnings", "errors", "content_version"]


def csv_row(number: int, a: Assessment, options: int) -> list[Any]:
    """The deciding rules of an option are the findings that carry its verdict."""
    row: list[Any] = [number, a.fingerprint]
    if a.results:
        for r in a.results:
            row += [r.verdict.value, " ".join(f.rule_id for f in r.findings
                                              if f.verdict is r.verdict)]
    else:
        row += [""] * (2 * options)
    row.append(" ".join(w.code for w in a.warnings))
    row.append("; ".join(f"{e.code} {e.field}: {e.message}" if e.field else
                         f"{e.code}: {e.message}" for e in a.errors))
    row.append(a.content_version)
    return row


# --------------------------------------------------------------------------- chunks of output


class Encoder:
    """Text for a run of assessments in one format, chunk by chunk, so output streams.

    JSON: `start()`, then each chunk's records joined by commas (`chunk` puts a comma before
    every chunk but the first), then `end()`; a single object is `single()`. JSON Lines and CSV
    chunks are whole lines; CSV starts with its header.
    """

    def __init__(self, fmt: str, content: Content, lang: str = "en", pretty: bool = False):
        if fmt not in FORMATS:
            raise ValueError(fmt)
        self.fmt, self.content, self.lang, self.pretty = fmt, content, lang, pretty
        self._record = RecordWriter(content, lang)
        self._options = len(content.options)

    def record(self, a: Assessment) -> str:
        if self.pretty:
            return json.dumps(assessment_record(a, self.content, self.lang), ensure_ascii=False,
                              indent=2)
        return self._record(a)

    def start(self, many: bool) -> str:
        if self.fmt == "csv":
            return _csv_text([csv_header(self.content)])
        return "[" + ("\n" if self.pretty else "") if self.fmt == "json" and many else ""

    def chunk(self, first_number: int, assessments: list[Assessment], many: bool) -> str:
        if self.fmt == "csv":
            return _csv_text([csv_row(n, a, self._options)
                              for n, a in enumerate(assessments, start=first_number)])
        if self.fmt == "jsonl" or not many:
            return "".join(self.record(a) + "\n" for a in assessments)
        joiner = ",\n" if self.pretty else ","
        text = joiner.join(self.record(a) for a in assessments)
        return text if first_number == 1 else joiner + text

    def end(self, many: bool) -> str:
        return ("\n]\n" if self.pretty else "]\n") if self.fmt == "json" and many else ""


def _csv_text(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
