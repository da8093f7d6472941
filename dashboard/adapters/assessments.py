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
import os
from typing import Any, cast

from dashboard.core import jsontext
from dashboard.core.assessment import Assessment, OptionResult, built
from dashboard.core.content import Content, text_in
from dashboard.core.engine import Verdicts, assess_many, assess_verdicts, verdicts_of
from dashboard.core.explain import assessment_record, finding_record

FORMATS = ("json", "jsonl", "csv")
_CACHE_MAX = 100_000  # distinct pieces kept; cleared beyond this, so memory stays bounded
_SHARED_MAX = 20_000  # results held by identity (each holds its findings)
# an option's piece of verdicts, reasons, deciding, also_noted and notes, as UTF-8 (b"": absent)
_Pieces = tuple[bytes, bytes, bytes, bytes, bytes]
# json.dumps(..., ensure_ascii=False, separators=(",", ":"), ...), the C encoder made once
_compact = jsontext.encoder(ensure_ascii=False, separators=(",", ":"), check_circular=False,
                            allow_nan=False)


class RecordWriter:
    """Compact JSON of `assessment_record(a, content, lang)` as UTF-8 bytes, pieces cached per
    content (already encoded: a record is joined as bytes, never transcoded as a whole)."""

    def __init__(self, content: Content, lang: str = "en"):
        self.content, self.lang = content, lang
        self._findings: dict[tuple[Any, ...], str] = {}
        # an option's result, by what its pieces depend on -> its piece of each per-option map
        self._results: dict[tuple[Any, ...], _Pieces] = {}
        # the same, by the identity of the result object (the engine shares equal results);
        # each entry holds its result, so no other object can take its id meanwhile
        self._shared: dict[int, tuple[OptionResult, _Pieces]] = {}
        self._strings: dict[str, str] = {}  # an id or verdict -> its compact JSON
        # a placeholder no input can know in advance (keys of the input appear in errors)
        self._mark = "\x00" + os.urandom(8).hex() + ":"  # as secrets.token_hex, not importing
        # secrets (random, hmac, base64: start-up time of every command)
        self._mark_json = ('"' + _compact(self._mark)[1:-1]).encode()  # ASCII (\u0000...)

    def __call__(self, a: Assessment) -> bytes:
        """Everything but the per-option maps comes from `assessment_record` itself (of the
        assessment without its results), so a field added to the contract appears here too;
        the per-option maps are spliced in from cached pieces, in one pass over the text."""
        if len(self._findings) > _CACHE_MAX or len(self._results) > _CACHE_MAX or len(
                self._shared) > _SHARED_MAX:
            self._findings.clear()
            self._results.clear()
            self._shared.clear()
            self._strings.clear()
        record = assessment_record(without_results(a), self.content, self.lang)
        pieces = [self._pieces(r) for r in a.results]
        spliced = {b"verdicts": b",".join([p[0] for p in pieces]),
                   b"reasons": b",".join([p[1] for p in pieces])}
        if "notes" in record:
            spliced[b"notes"] = b",".join([p[4] for p in pieces if p[4]])
        if "deciding" in record:  # content 0.2 (8.3 T8): which findings set each verdict
            spliced[b"deciding"] = b",".join([p[2] for p in pieces])
            spliced[b"also_noted"] = b",".join([p[3] for p in pieces if p[3]])
        for key in spliced:
            name = key.decode()
            if record[name] != {}:  # the contract changed: let the differential test say so
                raise ValueError(f"assessment_record's {name} no longer comes from results only")
            record[name] = self._mark + name
        # UTF-8 is self-synchronising: the ASCII mark is never found inside another character
        first, *rest = _compact(record).encode().split(self._mark_json)
        parts = [first]
        for part in rest:  # 'key"...': the placeholder's key, then the text after it
            key, after = part.split(b'"', 1)
            parts += [b"{", spliced[key], b"}", after]
        return b"".join(parts)

    def _pieces(self, r: OptionResult) -> _Pieces:
        """An option's pieces, first by the identity of the result (the engine makes each
        distinct result once), else by what they are made from (`_made_pieces`)."""
        shared = self._shared.get(id(r))
        if shared is not None:
            return shared[1]
        pieces = self._made_pieces(r)
        self._shared[id(r)] = (r, pieces)
        return pieces

    def _made_pieces(self, r: OptionResult) -> _Pieces:
        """An option's piece of verdicts, reasons, deciding, also_noted and notes ("" when the
        option is absent from a map), cached by everything they are made from.

        Cache keys are tuples of plain strings: hashing the frozen dataclasses or the Verdict
        enum itself runs Python code per call, which cost more than encoding did."""
        findings = tuple([(f.rule_id, f.verdict._value_, f.track, f.unknown, f.default,
                           f.variant, f.not_entered, f.options) for f in r.findings])
        key = (r.option_id, r.verdict._value_, r.base_verdict._value_,
               tuple([(t, v._value_) for t, v in r.track_verdicts.items()]), r.line, r.notes,
               findings)
        known = self._results.get(key)
        if known is None:
            known = self._results[key] = self._make_pieces(r, findings)
        return known

    def _make_pieces(self, r: OptionResult, findings: tuple) -> _Pieces:
        quoted = self._quoted
        name = quoted(r.option_id)
        reasons = []
        for f, finding_key in zip(r.findings, findings):
            text = self._findings.get(finding_key)
            if text is None:
                text = self._findings[finding_key] = _compact(
                    finding_record(f, self.content, self.lang))
            reasons.append(text)
        also = r.also_noted
        note = ""
        if r.line or r.notes:
            note = f"{name}:" + _compact({"line": r.line, "agent_notes": [
                {"rule": n, "text": text_in(self.content.rule(n).clinician, self.lang)}
                for n in r.notes]})
        # a list of rule ids: the compact JSON of each, joined as the compact encoder joins them
        return (f"{name}:{quoted(r.verdict._value_)}".encode(),
                f"{name}:[{','.join(reasons)}]".encode(),
                f"{name}:[{','.join([quoted(f.rule_id) for f in r.deciding])}]".encode(),
                f"{name}:[{','.join([quoted(f.rule_id) for f in also])}]".encode() if also
                else b"", note.encode())

    def _quoted(self, text: str) -> str:
        """The compact JSON of an option id, verdict or rule id, encoded once (a few hundred)."""
        known = self._strings.get(text)
        if known is None:
            known = self._strings[text] = _compact(text)
        return known


def without_results(a: Assessment) -> Assessment:
    """`dataclasses.replace(a, results=())`, made by `assessment.built` (the engine's own way to
    make an Assessment without the frozen dataclass's per-field work)."""
    return built(Assessment, **{**a.__dict__, "results": ()})


# --------------------------------------------------------------------------- CSV


def csv_header(content: Content) -> list[str]:
    """One row per profile: position, check code, a verdict and deciding-rule column per
    option (content order), warning codes, errors, content version."""
    columns = ["profile", "check_code"]
    for option in content.options:
        columns += [option.id, f"{option.id}_rules"]
    return columns + ["warnings", "errors", "content_version"]


def csv_row(number: int, a: Verdicts, options: int) -> list[Any]:
    """The deciding rules of an option are the findings that carry its verdict (an
    assessment's `Verdicts`: `engine.assess_verdicts`, or `engine.verdicts_of` an assessment)."""
    row: list[Any] = [number, a.fingerprint]
    if a.results:
        for _, verdict, rule_ids in a.results:
            row += [verdict._value_, " ".join(rule_ids)]
    else:
        row += [""] * (2 * options)
    row.append(" ".join(w.code for w in a.warnings))
    row.append("; ".join(f"{e.code} {e.field}: {e.message}" if e.field else
                         f"{e.code}: {e.message}" for e in a.errors))
    row.append(a.content_version)
    return row


# --------------------------------------------------------------------------- chunks of output


class Encoder:
    """UTF-8 output for a run of assessments in one format, chunk by chunk, so output streams.

    JSON: `start()`, then each chunk's records joined by commas (`chunk` puts a comma before
    every chunk but the first), then `end()`; a single object is one chunk of one record. JSON
    Lines and CSV chunks are whole lines; CSV starts with its header. `start` and `end` are text,
    `chunk` and `record` bytes (a chunk is joined from encoded pieces, never transcoded whole).
    """

    def __init__(self, fmt: str, content: Content, lang: str = "en", pretty: bool = False):
        if fmt not in FORMATS:
            raise ValueError(fmt)
        self.fmt, self.content, self.lang, self.pretty = fmt, content, lang, pretty
        self._record = RecordWriter(content, lang)
        self._options = len(content.options)

    def record(self, a: Assessment) -> bytes:
        if self.pretty:
            return json.dumps(assessment_record(a, self.content, self.lang), ensure_ascii=False,
                              indent=2).encode()
        return self._record(a)

    def assessed(self, items: list[Any]) -> list[Assessment] | list[Verdicts]:
        """What this format prints of each item: CSV only the verdicts (no texts are made)."""
        if self.fmt == "csv":
            return assess_verdicts(items, self.content)
        return assess_many(items, self.content)

    def start(self, many: bool) -> str:
        if self.fmt == "csv":
            return _csv_text([csv_header(self.content)])
        return "[" + ("\n" if self.pretty else "") if self.fmt == "json" and many else ""

    def chunk(self, first_number: int, assessments: list[Assessment] | list[Verdicts],
              many: bool) -> bytes:
        """A chunk's output: CSV takes `Verdicts` (`assess_verdicts`, as `built`), JSON and
        JSON Lines whole assessments."""
        if self.fmt == "csv":
            return _csv_text([csv_row(n, a if isinstance(a, Verdicts) else verdicts_of(a),
                                      self._options)
                              for n, a in enumerate(assessments, start=first_number)]).encode()
        records = [self.record(a) for a in cast(list[Assessment], assessments)]
        if self.fmt == "jsonl" or not many:
            return b"\n".join([*records, b""])  # each record followed by a newline
        joiner = b",\n" if self.pretty else b","
        text = joiner.join(records)
        return text if first_number == 1 else joiner + text

    def end(self, many: bool) -> str:
        return ("\n]\n" if self.pretty else "]\n") if self.fmt == "json" and many else ""


def _csv_text(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
