"""French sheets (issue #14): the language is a choice per sheet, never a silent fallback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dashboard.service import Choices, ErrorKind, prepare_sheet
from tests.conftest import ROOT, make_factors
from tests.safety_support import CREATED


@pytest.mark.hazard("H102")
def test_a_language_the_content_does_not_have_gives_no_sheet_and_says_which_exist(content):
    outcome = prepare_sheet(make_factors(), Choices(selected=("resection",), language="de"),
                            content, created=CREATED)

    assert outcome.pdf is None
    assert [(e.kind, e.field) for e in outcome.errors] == [(ErrorKind.SELECTION, "language")]
    assert "'de'" in outcome.errors[0].message and "en" in outcome.errors[0].message


@pytest.mark.hazard("H102")
def test_the_sheet_command_takes_the_language_and_refuses_an_unknown_one(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(make_factors()))

    out = subprocess.run([sys.executable, "-m", "dashboard", "sheet", str(path), "-o",
                          str(tmp_path / "s.pdf"), "--lang", "xx"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=False)

    assert out.returncode == 2
    assert "no sheet language 'xx'" in out.stderr
    assert not (tmp_path / "s.pdf").exists()


def test_the_batch_command_refuses_an_unknown_default_language(tmp_path):
    from dashboard.core.intake import template_columns
    from dashboard.core.loader import load_content

    columns = template_columns(load_content())
    (tmp_path / "day.csv").write_text(",".join(columns) + "\n", encoding="utf-8")

    out = subprocess.run([sys.executable, "-m", "dashboard", "batch", str(tmp_path / "day.csv"),
                          "-o", str(tmp_path / "day.zip"), "--lang", "xx"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=False)

    assert out.returncode == 2
    assert "no sheet language 'xx'" in out.stderr
    assert not (tmp_path / "day.zip").exists()
