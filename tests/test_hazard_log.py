"""The hazard log is traceable: every hazard, requirement and bad-input case names real tests.

docs/safety/hazard-log.md holds three markdown tables (hazards, requirements, the forty cases).
This module parses them and checks each test id against the suite collected by pytest itself, so
a renamed or deleted test breaks the build instead of leaving a hazard unverified. It also prints
the traceability table (run with `-s` to see it).
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import lru_cache

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
def _collected() -> frozenset[str]:
    """Every test node id of the suite, with and without its parametrisation."""
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
                          "no:cacheprovider", "tests"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    ids = {line.strip() for line in out.stdout.splitlines() if "::" in line}
    assert ids, f"pytest collected nothing:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    return frozenset(ids | {i.split("[", 1)[0] for i in ids})


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
    own = [t for t in tests if number in _case_numbers(t)]
    assert own, f"case {number} has no test named after it (test_case_{number:02d}_…)"


def _case_numbers(test_id: str) -> set[int]:
    """test_case_13_14_15_x -> {13, 14, 15}."""
    name = test_id.split("::")[-1]
    match = re.match(r"test_case_((?:\d\d_)+)", name)
    return {int(n) for n in match.group(1).strip("_").split("_")} if match else set()


def test_the_log_parser_and_checker_can_fail():
    """A made-up test id and a case without its own test are caught."""
    assert "tests/test_nothing.py::test_missing" not in _collected()
    assert _case_numbers("tests/test_bad_inputs.py::test_case_13_14_markup") == {13, 14}
    assert _case_numbers("tests/test_config.py::test_the_shipped_config_file") == set()


def test_print_the_traceability_table(capsys):
    lines = [f"{h['ID']}  {h['Sev']:<13} {', '.join(REQUIREMENT.findall(h['Controls'])):<40} "
             f"{len(_tests(h['Tests']))} test(s)" for h in HAZARDS]
    with capsys.disabled():
        print("\nHazard traceability:\n" + "\n".join(lines))
    assert len(lines) == len(HAZARDS)
