"""Assessments as JSON, JSON Lines or CSV for the command line (issue #15).

The JSON record is the contract of `core.explain.assessment_record` (content_version, verdicts,
reasons, warnings, errors, labels, and for assessed profiles fingerprint, derived, notes). This
module writes the same record faster, without building it as a dict and encoding it whole:

- every piece that repeats between profiles (a finding's record with its reason text and
  sources, an option's verdict, a label, the agent notes) is made by the explain functions
  once, encoded once, and then reused as JSON text;
- everything else (fingerprint, derived values, labels, warnings, errors, and any field the
  contract gains) comes from `assessment_record` of the assessment without its results, and
  is encoded compactly by Python's C encoder; the per-option maps are spliced in;
- CSV does no work for what it does not print (no reason texts at all).

`tests/test_assess_formats.py` proves the output equal to `assessment_record` on generated
profiles. Pretty (indented) JSON uses `assessment_record` itself.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from dataclasses import replace
from typing import Any

from dashboard.core.assessment import Assessment, OptionResult
from dashboard.core.content import Content, text_in
from dashboard.core.explain import assessment_record, finding_record

FORMATS = ("json", "jsonl", "csv")
_CACHE_MAX = 100_000  # distinct pieces kept; cleared beyond this, so memory stays bounded
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False,
                            allow_nan=False).encode


class RecordWriter:
    """Compact JSON text of `assessment_record(a, content, lang)`, pieces cached per content."""

    def __init__(self, content: Content, lang: str = "en"):
        self.content, self.lang = content, lang
        self._findings: dict[tuple[str, str, str, tuple[str, ...], bool], str] = {}
        self._verdicts: dict[tuple[str, str], str] = {}
        self._keys: dict[str, str] = {}
        # a placeholder no input can know in advance (keys of the input appear in errors)
        self._mark = "\x00" + secrets.token_hex(8) + ":"
        self._mark_json = _compact(self._mark)[1:-1]
        self._notes: dict[tuple[str, str, tuple[str, ...]], str] = {}

    def __call__(self, a: Assessment) -> str:
        """Everything but the per-option maps comes from `assessment_record` itself (of the
        assessment without its results), so a field added to the contract appears here too;
        the per-option maps are spliced in from cached pieces."""
        if len(self._findings) > _CACHE_MAX:
            self._findings.clear()
        record = assessment_record(replace(a, results=()), self.content, self.lang)
        results = a.results
        spliced = {"verdicts": ",".join([self._verdict(r) for r in results]),
                   "reasons": ",".join([self._reason(r) for r in results])}
        if "notes" in record:
            spliced["notes"] = ",".join([self._note(r) for r in results if r.line or r.notes])
        if "deciding" in record:  # content 0.2 (8.3 T8): which findings set each verdict
            spliced["deciding"] = ",".join([self._rule_ids(r.option_id, r.deciding)
                                            for r in results])
            spliced["also_noted"] = ",".join([self._rule_ids(r.option_id, r.also_noted)
                                              for r in results if r.also_noted])
        for key in spliced:
            if record[key] != {}:  # the contract changed: let the differential test say so
                raise ValueError(f"assessment_record's {key} no longer comes from results only")
            record[key] = self._mark + key
        text = _compact(record)
        for key, inner in spliced.items():
            text = text.replace(f'"{self._mark_json}{key}"', "{" + inner + "}", 1)
        return text

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
            key = (f.rule_id, f.verdict._value_, f.track, f.unknown, f.default, f.variant,
                   f.not_entered, f.options)
            text = findings.get(key)
            if text is None:
                text = findings[key] = _compact(finding_record(f, self.content, self.lang))
            parts.append(text)
        return f"{self._option_key(result.option_id)}:[{','.join(parts)}]"

    def _rule_ids(self, option_id: str, findings: tuple) -> str:
        return f"{self._option_key(option_id)}:{_compact([f.rule_id for f in findings])}"

    def _option_key(self, option_id: str) -> str:
        text = self._keys.get(option_id)
        if text is None:
            text = self._keys[option_id] = _compact(option_id)
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
