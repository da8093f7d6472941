"""`python -m dashboard sheet` flags: every optional part of the sheet the screen can switch on,
through the one pipeline (service.prepare_sheet with the same Choices), in process."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from dashboard.cli import main
from dashboard.core.intake import PatientDetails
from dashboard.service import Choices, prepare_sheet
from tests.conftest import make_factors

EPOCH = 1_796_000_000  # SOURCE_DATE_EPOCH: the CLI's sheet date, so bytes can be compared
SELECT = "resection,tace,systemic"
FACTORS = {"liver_tumour_count": 4, "largest_tumour_cm": 4.0}  # RFA, MWA, PEI, SBRT do not fit
SECTIONS = {  # flag -> (Choices field, heading key in sheet.toml)
    "--not-fitting": ("include_not_fitting", "not_fit_heading"),
    "--more-about-options": ("more_about_options", "more_heading"),
    "--full-sources": ("full_sources", "sources_heading"),
}


@pytest.fixture
def patient_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    data = make_factors(**FACTORS)
    data["patient"] = {"name": "Ann Example", "team_phone": "613-555-0199"}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _cli_pdf(path, tmp_path, *flags) -> bytes:
    out = tmp_path / "s.pdf"
    out.unlink(missing_ok=True)
    assert main(["sheet", str(path), "-o", str(out), "--select", SELECT, *flags]) == 0
    return out.read_bytes()


def _service_pdf(**choices) -> bytes:
    outcome = prepare_sheet(make_factors(**FACTORS),
                            Choices(selected=tuple(SELECT.split(",")), **choices),
                            _content(), patient=PatientDetails(name="Ann Example",
                                                               team_phone="613-555-0199"),
                            created=datetime.fromtimestamp(EPOCH, tz=UTC))
    assert outcome.ok
    return outcome.pdf


def _content():
    from dashboard.core.loader import load_content
    return load_content()


def _text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.slow
@pytest.mark.parametrize("flag", SECTIONS)
def test_each_optional_section_flag_adds_its_section_as_the_screen_would(content, patient_file,
                                                                         tmp_path, flag):
    field, heading = SECTIONS[flag]
    with_flag = _cli_pdf(patient_file, tmp_path, flag)

    assert content.string(f"sheet.{heading}") in _text(with_flag)
    assert with_flag == _service_pdf(**{field: True})  # the same pipeline, byte for byte


@pytest.mark.slow
def test_without_flags_the_core_sheet_has_no_optional_section(content, patient_file, tmp_path):
    text = _text(_cli_pdf(patient_file, tmp_path))

    for _field, heading in SECTIONS.values():
        assert content.string(f"sheet.{heading}") not in text
    assert len(PdfReader(io.BytesIO(_cli_pdf(patient_file, tmp_path))).pages) == 2


@pytest.mark.slow
def test_print_paper_and_language_flags_reach_the_sheet(content, patient_file, tmp_path):
    data = _cli_pdf(patient_file, tmp_path, "--large-print", "--paper", "a4", "--lang", "fr")

    assert data == _service_pdf(large_print=True, paper="a4", language="fr")
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert round(float(page.mediabox.width)) == 595  # A4
    assert content.string("sheet.title", "fr") in _text(data)


@pytest.mark.slow
def test_leave_out_not_fitting_wins_over_not_fitting(content, patient_file, tmp_path):
    data = _cli_pdf(patient_file, tmp_path, "--not-fitting", "--leave-out-not-fitting")

    assert content.string("sheet.not_fit_heading") not in _text(data)
    assert data == _service_pdf()
