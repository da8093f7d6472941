"""Shared fixtures: the real content (loaded once), a baseline patient builder, repo paths."""

from __future__ import annotations

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


def require_browser() -> str:
    """Chromium's path; skip without one, except in CI where a missing browser is a failure."""
    path = browser_path()
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("Chromium is not installed; CI must run the browser tests "
                    "(.ci/run installs it)")
    pytest.skip("browser test skipped: Chromium is not installed (apt-get install chromium)")
