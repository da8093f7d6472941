"""`assess --format json|jsonl|csv` (issue #15): the same assessments as the engine in every
format, in input order, serial or on several cores; JSON keeps its contract."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from dashboard.adapters import assessments as assessments_module
from dashboard.adapters.assessments import Encoder
from dashboard.assess_cli import PARALLEL_FROM, write_assessments
from dashboard.core.engine import assess_many
from dashboard.core.explain import assessment_record
from tests.conftest import ROOT, make_factors
from tests.generated_profiles import profiles


@pytest.fixture(scope="module")
def generated(content):
    items = profiles(content, 3000)
    return items, assess_many(items, content)


def _run(content, data, fmt, pretty=False) -> tuple[int, str]:
    out = io.BytesIO()
    code = write_assessments(data, content, fmt, pretty, out=out)
    return code, out.getvalue().decode("utf-8")


def test_generated_profiles_cover_results_refusals_warnings_and_unknowns(generated):
    _, assessments = generated
    assert sum(a.ok for a in assessments) > 1000 and sum(not a.ok for a in assessments) > 150
    assert any(a.warnings for a in assessments)
    assert any(f.unknown for a in assessments for r in a.results for f in r.findings)


@pytest.mark.hazard("H79")
def test_json_equals_the_record_contract_on_every_generated_profile(content, generated):
    items, assessments = generated
    code, text = _run(content, items, "json")
    assert json.loads(text) == [assessment_record(a, content) for a in assessments]
    assert code == 2  # some generated profiles have input errors


@pytest.mark.hazard("H79")
def test_jsonl_is_one_record_per_line_equal_to_the_json_array(content, generated):
    items, assessments = generated
    _, text = _run(content, items, "jsonl")
    lines = text.splitlines()
    assert len(lines) == len(items) and text.endswith("\n")
    assert [json.loads(line) for line in lines] == [assessment_record(a, content)
                                                   for a in assessments]


@pytest.mark.hazard("H79", "H133")
def test_csv_has_one_row_per_profile_with_the_engines_verdicts_rules_and_errors(content,
                                                                               generated):
    items, assessments = generated
    _, text = _run(content, items, "csv")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    ids = [o.id for o in content.options]
    assert len(frame) == len(items)
    assert list(frame.columns[:4]) == ["profile", "check_code", ids[0], f"{ids[0]}_rules"]
    for row, a in zip(frame.to_dict("records"), assessments):
        if a.ok:
            assert [row[i] for i in ids] == [r.verdict.value for r in a.results]
            main = [a.result(i).main_finding.rule_id for i in ids]
            assert all(m in row[f"{i}_rules"].split() for m, i in zip(main, ids))
            assert row["check_code"] == a.fingerprint and row["errors"] == ""
        else:
            assert [row[i] for i in ids] == [""] * len(ids)
            assert all(f"{e.code} " in row["errors"] for e in a.errors)
        assert row["warnings"].split() == [w.code for w in a.warnings]


def test_one_object_gives_one_record_and_an_empty_list_gives_an_empty_array(content):
    code, text = _run(content, make_factors(), "json")
    assert code == 0 and json.loads(text) == assessment_record(
        assess_many([make_factors()], content)[0], content)
    assert json.loads(_run(content, [], "json")[1]) == []
    assert _run(content, [], "jsonl")[1] == ""


def test_output_is_compact_unless_pretty(content):
    compact = _run(content, [make_factors()], "json")[1]
    pretty = _run(content, [make_factors()], "json", pretty=True)[1]
    assert compact.count("\n") == 1 and ", " not in compact.split('"text"')[0]
    assert pretty.count("\n") > 50 and json.loads(pretty) == json.loads(compact)


@pytest.mark.hazard("H79")
def test_a_long_list_on_several_cores_keeps_order_and_equals_the_engine(content, tmp_path):
    items = profiles(content, PARALLEL_FROM + 700, seed=7)
    path = tmp_path / "many.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    expected = [assessment_record(a, content) for a in assess_many(items, content)]
    for fmt in ("json", "jsonl"):
        done = subprocess.run([sys.executable, "-m", "dashboard", "assess", str(path),
                               "--format", fmt], capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 2 and done.stderr == ""
        got = json.loads(done.stdout) if fmt == "json" else [
            json.loads(line) for line in done.stdout.splitlines()]
        assert got == expected


def test_the_encoder_caches_reason_texts_not_patients(content, generated, monkeypatch):
    """Pieces are cached per rule and option (bounded); nothing per profile is kept."""
    _, assessments = generated
    monkeypatch.setattr(assessments_module, "_CACHE_MAX", 4000)
    encoder = Encoder("json", content)
    encoder.chunk(1, assessments, True)
    record = encoder._record
    cached = [*(t.encode() for t in record._findings.values()),
              *(p for v in record._results.values() for p in v),
              *(p for _, v in record._shared.values() for p in v)]
    assert 0 < len(record._findings) < 2000
    assert 0 < len(record._results) <= 4000 + len(content.options)  # cleared beyond the limit
    assert not any(a.fingerprint.encode() in text for a in assessments[:50] if a.ok
                   for text in cached)


@pytest.mark.hazard("H136")
def test_the_record_writers_copy_without_results_is_that_of_dataclasses_replace(generated):
    from dataclasses import replace

    from dashboard.adapters.assessments import without_results

    _, assessments = generated
    for a in assessments:
        bare = without_results(a)
        assert bare == replace(a, results=()) and bare is not a
        assert list(vars(bare).items()) == list(vars(replace(a, results=())).items())
        assert bare.results == () and (bare.ok, bare.fingerprint) == (a.ok, a.fingerprint)


def test_an_input_key_shaped_like_a_placeholder_changes_nothing(content):
    """Input keys are echoed in errors; the writer's splice marks are random per run."""
    odd = {**make_factors(), "\x00splice:verdicts": 1, '"}],"x":{': 2}
    _, text = _run(content, [odd, make_factors()], "json")
    assert json.loads(text) == [assessment_record(a, content)
                                for a in assess_many([odd, make_factors()], content)]


def test_assess_imports_neither_the_sheet_pipeline_nor_worker_pools_for_a_short_list(tmp_path):
    """Start-up counts for every command run: `assess` of a short list never imports the sheet
    pipeline (dashboard.service, fpdf2, pandas, streamlit) nor multiprocessing; `sheet` and
    `batch` still get their own flags."""
    path = tmp_path / "one.json"
    path.write_text(json.dumps(make_factors()), encoding="utf-8")
    script = ("import sys; from dashboard.cli import main\n"
              f"code = main(['assess', {str(path)!r}, '--format', 'jsonl'])\n"
              "print(code, sorted(m for m in ('dashboard.service', 'fpdf', 'pandas', "
              "'streamlit', 'multiprocessing', 'concurrent.futures.process') "
              "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.splitlines()[-1] == "0 []", done.stderr
    for command, flag in (("sheet", "--large-print"), ("batch", "--no-tumour-board")):
        shown = subprocess.run([sys.executable, "-m", "dashboard", command, "--help"],
                               capture_output=True, text=True, timeout=120, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert shown.returncode == 0 and flag in shown.stdout
