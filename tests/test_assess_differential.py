"""The fast `assess` path (issue #15) against the reference, record by record.

The fast path is the command's: `assess_many` in chunks (on two worker processes for a long
list), with every rule condition compiled to Python source (core/compiled.py), and the writer
that splices cached, once-encoded pieces (adapters/assessments.py). The reference is the
engine's `assess` of each profile alone with the conditions evaluated by core/conditions.py
(`reference=True`), made into its record by `core.explain.assessment_record` (the JSON
contract). They must agree on every profile: over
100,000 generated profiles (slow: about a minute of CPU on a quiet machine) and on
Hypothesis' valid patients. No timing is asserted here; bench/bench_assess.py measures.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from dashboard.assess_cli import PARALLEL_FROM, shared_content, write_assessments
from dashboard.core.engine import assess, assess_verdicts, verdicts_of
from dashboard.core.explain import assessment_record
from tests.generated_profiles import profiles
from tests.test_properties import patients

TOTAL = 100_000
PART = 20_000  # profiles per command-sized part: bounded memory, several parts, several seeds


class _Checker(io.RawIOBase):
    """A writable stream that checks each JSON Lines record as it arrives, so 100,000 records
    (about a gigabyte of text) are never held at once."""

    def __init__(self, expected: Iterator[dict[str, Any]]):
        self.expected, self.buffer, self.count, self.wrong = expected, b"", 0, []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += bytes(data)
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            self.count += 1
            if json.loads(line) != next(self.expected) and len(self.wrong) < 5:
                self.wrong.append(self.count)
        return len(data)


def _reference(items: list[Any], content) -> Iterator[dict[str, Any]]:
    for item in items:
        yield assessment_record(assess(item, content, reference=True), content)


@pytest.mark.slow
@pytest.mark.hazard("H79", "H130")
def test_the_fast_path_equals_the_engine_on_100000_generated_profiles():
    content = shared_content()  # the command's own content: long parts go to worker processes
    checked = refused = 0
    for part in range(TOTAL // PART):
        items = profiles(content, PART, seed=1000 + part)
        assert len(items) >= PARALLEL_FROM
        refused += sum(1 for item in items[:2000] if not assess(item, content).ok)
        checker = _Checker(_reference(items, content))
        write_assessments(items, content, "jsonl", False, out=checker)
        assert checker.buffer == b"" and checker.wrong == [], f"part {part}: {checker.wrong}"
        assert checker.count == PART and next(checker.expected, None) is None
        checked += checker.count
    assert checked == TOTAL and refused > 0  # refusals were among them, not only results


@pytest.mark.slow
@pytest.mark.hazard("H133")
def test_the_verdicts_only_path_equals_the_reference_engine_on_100000_generated_profiles():
    """`assess --format csv` assesses with `assess_verdicts` (no texts, variants, notes or
    shared results are made): its verdicts, deciding rule ids, warnings and errors are those
    of the reference engine's whole assessment, on every profile."""
    content = shared_content()
    checked = refused = 0
    for part in range(TOTAL // PART):
        items = profiles(content, PART, seed=2000 + part)
        got = assess_verdicts(items, content)
        wrong = [n for n, (item, v) in enumerate(zip(items, got))
                 if v != verdicts_of(assess(item, content, reference=True))]
        assert wrong == [], f"part {part}: profiles {wrong[:5]}"
        checked += len(got)
        refused += sum(1 for v in got if not v.ok)
    assert checked == TOTAL and refused > 0


@pytest.mark.hazard("H79")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patients())
def test_the_fast_writer_equals_the_record_on_any_valid_patient(data):
    content = shared_content()
    for fmt in ("json", "jsonl"):
        out = io.BytesIO()
        write_assessments([data, data], content, fmt, False, out=out)
        text = out.getvalue().decode("utf-8")
        records = json.loads(text) if fmt == "json" else [json.loads(x) for x in text.split("\n")
                                                          if x]
        assert records == [assessment_record(assess(data, content), content)] * 2


@pytest.mark.hazard("H133")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patients())
def test_the_verdicts_only_path_equals_the_whole_assessment_on_any_valid_patient(data):
    content = shared_content()
    assert assess_verdicts([data], content) == [verdicts_of(assess(data, content))]


@pytest.mark.hazard("H133")
def test_the_verdicts_only_path_gives_the_verdicts_of_the_whole_assessment():
    """On generated profiles (results, refusals, warnings, unknowns) and odd inputs: what the
    CSV prints comes from the same pipeline as the whole assessment, and differs where the
    verdicts differ (the comparison can fail)."""
    content = shared_content()
    items = [*profiles(content, 3000, seed=55), None, [], {"colour": "blue"}, {}]
    whole = [assess(item, content) for item in items]
    assert assess_verdicts(items, content) == [verdicts_of(a) for a in whole]
    assert sum(a.ok for a in whole) > 1000 and any(a.warnings for a in whole)
    first = verdicts_of(whole[0])
    changed = first._replace(results=first.results[::-1])
    assert first.ok and changed != first


@pytest.mark.hazard("H130")
def test_the_compiled_engine_gives_the_reference_engines_assessment_on_generated_profiles():
    """Whole assessments, every field (findings, variants, notes, facts read, derived values,
    warnings, errors): compiled conditions against the reference's."""
    content = shared_content()
    items = profiles(content, 3000, seed=77)
    compiled = [assess(item, content) for item in items]
    reference = [assess(item, content, reference=True) for item in items]
    assert compiled == reference
    assert sum(a.ok for a in compiled) > 1000 and any(not a.ok for a in compiled)


def _compact_record(item: Any, content) -> str:
    return json.dumps(assessment_record(assess(item, content, reference=True), content),
                      ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@pytest.mark.hazard("H132")
def test_the_fast_path_writes_the_very_bytes_of_the_compact_record_serial_and_in_workers():
    """Byte for byte, not only equal once decoded: key order, number spelling and escapes are
    the compact encoding of the reference record, whether a chunk was written in this process
    (a short list) or by a worker process that inherited the input and kept its encoder from
    chunk to chunk (a long list)."""
    content = shared_content()
    items = profiles(content, PARALLEL_FROM + 500, seed=4242)
    expected = [_compact_record(item, content) for item in items]
    for part in (items[:300], items):  # serial; then on worker processes
        for fmt in ("jsonl", "json"):
            out = io.BytesIO()
            write_assessments(part, content, fmt, False, out=out)
            want = expected[:len(part)]
            assert out.getvalue().decode("utf-8") == (
                "".join(line + "\n" for line in want) if fmt == "jsonl"
                else "[" + ",".join(want) + "]\n")


@pytest.mark.hazard("H132")
def test_shared_results_are_the_results_made_anew(monkeypatch):
    """The engine makes each distinct option result once and shares it (core/engine.py
    _final_result): assessments with sharing equal those made with no result ever shared,
    and a profile assessed again gets results equal to its first."""
    from dashboard.core import engine

    content = shared_content()
    items = profiles(content, 2000, seed=99)
    monkeypatch.setattr(engine, "_PLANS", {})  # a new plan: nothing shared yet (bounded caches)
    shared = [assess(item, content) for item in items]

    def sharing(assessments):
        ids = [id(r) for a in assessments if a.ok for r in a.results]
        return len(ids) - len(set(ids))

    assert sharing(shared) > 1000  # sharing happens
    monkeypatch.setattr(engine, "_SHARED_MOST", 0)
    monkeypatch.setattr(engine, "_PLANS", {})
    alone = [assess(item, content) for item in reversed(items)][::-1]
    assert alone == shared and sharing(alone) == 0


@pytest.mark.hazard("H138")
def test_assessments_built_without_the_dataclass_init_equal_those_built_with_it():
    """The engine builds Assessment, Derived and PatientFactors with `assessment.built` (no
    frozen-dataclass __init__): each equals, field by field and in field order, the object
    the class's own constructor makes of the same values; anything else goes to the
    constructor, which refuses a missing field."""
    from dataclasses import fields

    from dashboard.core.assessment import Assessment, Derived, Issue, PatientFactors, built

    content = shared_content()
    checked = 0
    for item in profiles(content, 2000, seed=137):
        a = assess(item, content)
        parts = [(a, Assessment), (a.derived, Derived), (a.factors, PatientFactors)]
        for made, cls in parts:
            if made is None:
                continue
            again = cls(**{f.name: getattr(made, f.name) for f in fields(cls)})
            assert type(made) is cls and made == again
            assert list(vars(made).items()) == list(vars(again).items())
            checked += 1
    assert checked > 4000
    with pytest.raises(TypeError):
        built(Derived, child_pugh_score=6)  # fields missing: the constructor's own refusal
    issue = built(Issue, code="W1", field="", message="m")  # not one of the three
    assert issue == Issue("W1", "", "m")


def test_worker_chunks_cover_the_list_in_order_and_taper_at_the_end():
    from dashboard.assess_cli import CHUNK, _tapering

    for total in (1, PARALLEL_FROM, PARALLEL_FROM + 1, 9999, 10_000, 50_000):
        for workers in (2, 3, 8):
            bounds = _tapering(total, workers)
            assert bounds[0][0] == 0 and bounds[-1][1] == total
            assert all(end > start for start, end in bounds)
            assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
            assert max(end - start for start, end in bounds) <= CHUNK
    assert _tapering(10_000, 2)[-1][1] - _tapering(10_000, 2)[-1][0] < CHUNK // 2
