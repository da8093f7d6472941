"""The hazard log is traceable: every hazard, requirement and bad-input case names real tests.

docs/safety/hazard-log.md holds three markdown tables (hazards, requirements, the forty cases).
This module parses them and checks each test id against the suite collected by pytest itself, so
a renamed or deleted test breaks the build instead of leaving a hazard unverified. Tests carry
their rows as markers (`@pytest.mark.hazard("H04")`, `@pytest.mark.bad_input_case(23)`), read
from pytest's own collection: a test listed in a row must carry its marker, and a marker must
name a row that lists the test. It also prints the traceability table (run with `-s`).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

from tests.conftest import ROOT

LOG = ROOT / "docs" / "safety" / "hazard-log.md"
REQUIREMENT = re.compile(r"\b(?:CDS|DOC|PRIV|SEC|REL|A11Y)-\d+\b")
TEST_ID = re.compile(r"^tests/[\w/]+\.py::\w+$")


def _tables() -> dict[str, list[dict[str, str]]]:
    """Section title -> rows (as dicts keyed by header) of the first table in that section."""
    tables: dict[str, list[dict[str, str]]] = {}
    section, header = "", None
    for line in LOG.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section, header = line[3:].strip(), None
            continue
        if not line.startswith("|"):
            header = None if not line.strip() else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set("".join(cells)) <= set("-: "):
            tables.setdefault(section, []).append(dict(zip(header, cells)))
    return tables


def _tests(cell: str) -> list[str]:
    return [t.strip() for t in re.split(r"<br>|;", cell) if t.strip()]


@lru_cache(maxsize=1)
def _traced() -> dict[str, dict[str, frozenset]]:
    """Every test of the suite as pytest collects it: node id (with and without its
    parametrisation) -> {"hazard": hazard ids, "bad_input_case": case numbers} of its markers."""
    with tempfile.TemporaryDirectory() as folder:
        out_file = Path(folder) / "trace.json"
        out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
                              "no:cacheprovider", f"--trace-json={out_file}", "tests"], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
        assert out_file.exists(), f"collection failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
        collected = json.loads(out_file.read_text(encoding="utf-8"))
    assert collected, f"pytest collected nothing:\n{out.stdout[-2000:]}"
    traced: dict[str, dict[str, frozenset]] = {}
    for node, marks in collected.items():
        for key in (node, node.split("[", 1)[0]):
            entry = traced.setdefault(key, {name: frozenset() for name in marks})
            for name, values in marks.items():
                entry[name] = entry[name] | frozenset(values)
    return traced


def _collected() -> frozenset[str]:
    return frozenset(_traced())


def _marked(test_id: str, marker: str) -> frozenset:
    return _traced().get(test_id, {}).get(marker, frozenset())


HAZARDS = _tables().get("1. Hazards", [])
REQUIREMENTS = _tables().get("2. Requirements", [])
CASES = _tables().get("3. The forty bad-input and fault cases", [])


def test_the_log_has_its_three_tables_and_every_draft_hazard():
    assert len(HAZARDS) >= 22 and REQUIREMENTS and len(CASES) == 40
    ids = [h["ID"] for h in HAZARDS]
    # each engineer adds rows in an own id range (H70–H79, …), so ids ascend but may have gaps
    assert ids[:22] == [f"H{i:02d}" for i in range(1, 23)], "the draft hazards run H01…H22"
    numbers = [int(i[1:]) for i in ids]
    assert numbers == sorted(set(numbers)) and all(re.fullmatch(r"H\d{2,3}", i) for i in ids)
    assert [c["Case"] for c in CASES] == [str(i) for i in range(1, 41)]


@pytest.mark.parametrize("hazard", HAZARDS, ids=[h["ID"] for h in HAZARDS])
def test_every_hazard_names_controls_and_existing_tests(hazard):
    tests = _tests(hazard["Tests"])
    assert tests, f"{hazard['ID']} has no test"
    assert [t for t in tests if not TEST_ID.match(t)] == [], "malformed test id"
    assert [t for t in tests if t not in _collected()] == [], "named test does not exist"
    controls = REQUIREMENT.findall(hazard["Controls"])
    assert controls, f"{hazard['ID']} names no requirement among its controls"
    defined = {r["ID"] for r in REQUIREMENTS}
    assert sorted(set(controls) - defined) == [], "requirement missing from section 2"
    for field in ("Hazard", "Causes", "Possible clinical effect", "Sev", "Residual"):
        assert hazard[field], f"{hazard['ID']}: {field} is empty"


@pytest.mark.parametrize("requirement", REQUIREMENTS, ids=[r["ID"] for r in REQUIREMENTS])
def test_every_requirement_names_existing_tests(requirement):
    tests = _tests(requirement["Tests"])
    assert tests and [t for t in tests if t not in _collected()] == []


@pytest.mark.parametrize("case", CASES, ids=[f"case {c['Case']}" for c in CASES])
def test_every_bad_input_case_has_its_own_existing_test(case):
    tests = _tests(case["Tests"])
    assert [t for t in tests if t not in _collected()] == [], "named test does not exist"
    number = int(case["Case"])
    unmarked = [t for t in tests if number not in _marked(t, "bad_input_case")]
    assert unmarked == [], (f"listed under case {number} but not marked: add "
                            f"@pytest.mark.bad_input_case({number}) to these tests")


@pytest.mark.parametrize("hazard", HAZARDS, ids=[h["ID"] for h in HAZARDS])
def test_every_test_listed_for_a_hazard_is_marked_with_it(hazard):
    unmarked = [t for t in _tests(hazard["Tests"]) if hazard["ID"] not in _marked(t, "hazard")]
    assert unmarked == [], (f"listed under {hazard['ID']} but not marked: add "
                            f"@pytest.mark.hazard(\"{hazard['ID']}\") to these tests")


def test_every_marked_test_is_listed_in_the_row_it_names():
    """A marker is a claim about the safety case: the log must list the test in that row."""
    listed = {("hazard", h["ID"]): set(_tests(h["Tests"])) for h in HAZARDS}
    listed |= {("bad_input_case", int(c["Case"])): set(_tests(c["Tests"])) for c in CASES}
    wrong = sorted(f"{test} is marked {marker}({value!r}) but not listed there"
                   for test, marks in _traced().items() if "[" not in test
                   for marker, values in marks.items() for value in values
                   if test not in listed.get((marker, value), set()))
    assert wrong == []


def test_the_log_parser_and_checker_can_fail():
    """A made-up test id is not collected; markers are read per test, not guessed from names."""
    assert "tests/test_nothing.py::test_missing" not in _collected()
    assert _marked("tests/test_nothing.py::test_missing", "hazard") == frozenset()
    this = "tests/test_hazard_log.py::test_the_log_parser_and_checker_can_fail"
    assert this in _collected() and _marked(this, "bad_input_case") == frozenset()
    case_03 = ("tests/test_bad_inputs.py::"
               "test_case_03_a_ten_thousand_character_name_is_refused_naming_the_limit")
    assert _marked(case_03, "bad_input_case") == {3} and "H10" in _marked(case_03, "hazard")


def test_print_the_traceability_table(capsys):
    """The table built from the markers alone (run with -s): every hazard has marked tests."""
    marked = {h["ID"]: sorted(t for t in _collected()
                              if "[" not in t and h["ID"] in _marked(t, "hazard"))
              for h in HAZARDS}
    lines = [f"{h['ID']}  {h['Sev']:<13} {', '.join(REQUIREMENT.findall(h['Controls'])):<40} "
             f"{len(marked[h['ID']])} marked test(s)" for h in HAZARDS]
    with capsys.disabled():
        print("\nHazard traceability (from @pytest.mark.hazard):\n" + "\n".join(lines))
    assert [hazard for hazard, tests in marked.items() if not tests] == []
