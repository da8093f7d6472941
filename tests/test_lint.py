"""The code passes ruff and mypy (configured in pyproject.toml): part of every pytest run.

They run here rather than only in `make lint`, so that the suite each of us runs before landing
catches a lint or type error as surely as a failing test. Both are fast (ruff well under a
second; mypy reuses its cache).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize("tool", [["ruff", "check", "--no-cache", "."], ["mypy"]],
                         ids=["ruff", "mypy"])
def test_the_code_passes(tool):
    done = subprocess.run([sys.executable, "-m", *tool], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)

    assert done.returncode == 0, (f"{' '.join(tool)} found problems (fix them, or run "
                                  f"`{sys.executable} -m ruff check --fix .`):\n"
                                  f"{done.stdout[-4000:]}{done.stderr[-2000:]}")
