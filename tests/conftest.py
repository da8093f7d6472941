"""Shared fixtures: the real content (loaded once), a baseline patient builder, repo paths."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from dashboard.core.engine import assess
from dashboard.core.loader import load_content

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# A patient for whom every option is open: one small liver-only tumour, good liver, fully active.
BASELINE = {
    "recurrence_site": "liver_only",
    "liver_tumour_count": 1,
    "largest_tumour_cm": 2.5,
    "portal_vein_invasion": "none",
    "child_pugh_score": 5,
    "ecog": 0,
    "cirrhosis": False,
    "portal_hypertension": False,
    "bilirubin_umol_l": 12,
    "prior_liver_transplant": False,
    "fit_for_major_surgery": True,
    "transplant_candidate": True,
    "remnant_adequate": "yes",
    "completely_resectable": "yes",
    "patient_goal": "wants_active",
    "months_since_last_curative_treatment": 30,
}

CORE_FIELDS = tuple(BASELINE)


def make_factors(**overrides) -> dict:
    """The baseline patient with some fields changed (None means "not yet known")."""
    return {**BASELINE, **overrides}


@pytest.fixture(scope="session")
def content():
    return load_content()


@pytest.fixture(scope="session")
def run(content):
    """Assess factors against the real content."""
    return lambda data: assess(data, content)


def browser_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


# The start of every skip message for a missing system tool: the summary at the end of the run
# (pytest_terminal_summary below) gathers them into one "skipped, here is how to install" block.
MISSING_TOOL = "needs a system tool that is not installed:"


def require_browser() -> str:
    """Chromium's path; skip without one, except in CI where a missing browser is a failure."""
    return _require("Chromium", browser_path(), "chromium")


def require_tool(command: str, package: str) -> str:
    """The path of a command-line tool (pdftoppm, ...); skip without it, fail in CI."""
    return _require(command, shutil.which(command), package)


def _require(name: str, path: str | None, package: str) -> str:
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed; CI must run these tests (.ci/run installs "
                    f"{package})")
    pytest.skip(f"{MISSING_TOOL} {name} (install it with: sudo apt-get install {package})")


def pytest_terminal_summary(terminalreporter) -> None:
    """Say plainly which tests did not run for want of a system tool, and how to get it."""
    missing: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        if MISSING_TOOL in reason:
            what = reason.split(MISSING_TOOL, 1)[1].strip()
            missing[what] = missing.get(what, 0) + 1
    if missing:
        terminalreporter.section("tests skipped: system tools missing", yellow=True)
        for what, count in sorted(missing.items()):
            terminalreporter.write_line(f"{count} test(s) skipped, they need {what}")
        terminalreporter.write_line("Everything else ran. CI (CI=true) installs these "
                                    "tools and fails instead of skipping.")


# --------------------------------------------------------------------------- speed
# `make test-fast` runs `-m "not slow and not browser"`: the unit tests of the core, in seconds.
# A test is slow when it renders PDFs, runs the screen (AppTest), starts a process or a server,
# or sweeps with Hypothesis. Whole modules are listed here (one place, so that nobody's test
# file needs an edit); mark a single test with @pytest.mark.slow. Browser modules carry
# `pytestmark = pytest.mark.browser` themselves.
SLOW_MODULES = frozenset({
    "test_app",  # AppTest: every test runs the screen
    "test_bad_inputs_ui",  # AppTest
    "test_bad_inputs",  # renders sheets, runs the command line
    "test_pdf",  # renders PDFs
    "test_pdf_accessibility",  # renders PDFs
    "test_sheet_pdf",  # renders real sheets
    "test_privacy",  # a sweep over every path, with PDFs
    "test_properties",  # Hypothesis
    "test_patient_texts",  # Hypothesis sweeps over core texts and whole sheets
    "test_service",  # renders sheets
    "test_cli",  # subprocesses
    "test_cli_pipes",  # subprocesses
    "test_output",  # subprocesses
    "test_assess_formats",  # subprocesses, worker pools
    "test_limits",  # subprocesses at the input limits
    "test_config",  # starts Streamlit to read its options
    "test_hazard_log",  # collects the whole suite in a subprocess
    "test_clinic_day",  # a day of fifty sheets
    "test_clinic_day_page",  # AppTest
    "test_server_edge",  # starts a server for most of its tests
    "test_proxy",  # starts nginx and servers
})


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


# --------------------------------------------------------------------------- traceability
# Safety-case markers: @pytest.mark.hazard("H04") and @pytest.mark.bad_input_case(23) say which
# row of docs/safety/hazard-log.md a test verifies; tests/test_hazard_log.py checks both ways.
TRACE_MARKERS = ("hazard", "bad_input_case")


def pytest_addoption(parser) -> None:
    parser.addoption("--trace-json", default="", help="write each collected test's "
                     "safety-case markers to this JSON file (used by tests/test_hazard_log.py)")


def pytest_collection_finish(session) -> None:
    path = session.config.getoption("--trace-json")
    if not path:
        return
    marks = {item.nodeid: {name: [arg for mark in item.iter_markers(name) for arg in mark.args]
                           for name in TRACE_MARKERS} for item in session.items}
    Path(path).write_text(json.dumps(marks), encoding="utf-8")


# Browser modules share these (a module may define its own `server`, e.g. a sandboxed one):
# one Chromium and one dashboard server per module, started only when a test asks for them.
@pytest.fixture(scope="module")
def executable() -> str:
    return require_browser()


@pytest.fixture(scope="module")
def server(executable):
    from tests.browser_support import running_app

    with running_app() as served:
        yield served


@pytest.fixture(scope="module")
def browser(executable):
    from tests.browser_support import chromium

    with chromium(executable) as launched:
        yield launched
