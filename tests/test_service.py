"""The service layer: one sheet pipeline for the screen and the command line (issue #9)."""

from __future__ import annotations

import dataclasses

import pytest

from dashboard.core.assessment import Verdict
from dashboard.core.engine import assess
from dashboard.service import Choices, ErrorKind, PatientDetails, prepare_sheet
from tests.conftest import make_factors
from tests.safety_support import CREATED, pdf_for, pdf_text

ONE = Choices(selected=("resection",))  # one option keeps each sheet quick


def test_a_sheet_is_the_same_bytes_as_the_pipeline_written_out_by_hand(content):
    outcome = prepare_sheet(make_factors(ecog=1), ONE, content,
                            patient=PatientDetails(name="Ann Lee", notes="Bring a list"),
                            created=CREATED)
    assert outcome.ok and not outcome.errors
    assert outcome.pdf == pdf_for(content, make_factors(ecog=1), patient_name="Ann Lee",
                                  notes="Bring a list")
    assert outcome.check_code == assess(make_factors(ecog=1), content).fingerprint
    assert outcome.file_name.endswith(".pdf") and "Ann" not in outcome.file_name


def test_an_assessment_already_on_screen_gives_the_same_sheet_as_its_factors(content):
    by_factors = prepare_sheet(make_factors(), ONE, content, created=CREATED)
    by_assessment = prepare_sheet(assess(make_factors(), content), ONE, content, created=CREATED)
    assert by_factors.pdf == by_assessment.pdf


def test_no_selection_means_the_core_default_selection_and_no_option_that_does_not_fit(
        content):
    from dashboard.core.sheet import default_selection

    factors = make_factors(portal_vein_invasion="main")
    outcome = prepare_sheet(factors, Choices(), content, created=CREATED)
    text = " ".join(pdf_text(outcome.pdf).split())  # grid headings wrap over lines
    results = assess(factors, content).results
    chosen = default_selection(assess(factors, content))
    left_out = [r for r in results if r.option_id not in chosen]
    assert chosen and any(r.verdict is Verdict.NOT_APPLICABLE for r in left_out)
    assert all(content.option(o).name("en") in text for o in chosen)
    assert not any(content.option(r.option_id).name("en") in text for r in left_out)


def test_the_choices_reach_the_sheet(content):
    normal = prepare_sheet(make_factors(), ONE, content, created=CREATED)
    large = prepare_sheet(make_factors(), dataclasses.replace(ONE, large_print=True), content,
                          created=CREATED)
    a4 = prepare_sheet(make_factors(), dataclasses.replace(ONE, paper="a4"), content,
                       created=CREATED)
    assert len({normal.pdf, large.pdf, a4.pdf}) == 3
    assert b"/MediaBox [0 0 612.00 792.00]" in normal.pdf  # Letter unless A4 is asked for
    assert b"/MediaBox [0 0 595.28 841.89]" in a4.pdf
    assert Choices().language == "en"


def test_refused_factors_are_typed_errors_with_code_and_field_and_no_pdf(content):
    outcome = prepare_sheet(make_factors(ecog=9), ONE, content, created=CREATED)
    assert outcome.pdf is None and not outcome.ok
    assert {e.kind for e in outcome.errors} == {ErrorKind.FACTORS}
    assert any(e.field == "ecog" and e.code for e in outcome.errors)


def test_an_unknown_option_in_the_selection_is_refused(content):
    outcome = prepare_sheet(make_factors(), Choices(selected=("resection", "nope")), content)
    assert outcome.pdf is None
    assert [(e.kind, e.field) for e in outcome.errors] == [(ErrorKind.SELECTION, "selected")]
    assert "nope" in outcome.errors[0].message and "resection" not in outcome.errors[0].message


def test_an_unprintable_name_names_the_field_and_the_quiet_message_never_the_text(content):
    outcome = prepare_sheet(make_factors(), ONE, content,
                            patient=PatientDetails(name="Ann 😀"), created=CREATED)
    error, = outcome.errors
    assert (error.kind, error.field) == (ErrorKind.UNPRINTABLE, "patient_name")
    assert "😀" in error.message and "😀" not in error.quiet_message and "Ann" not in \
        error.quiet_message


def test_a_name_over_its_limit_is_a_patient_text_error(content):
    outcome = prepare_sheet(make_factors(), ONE, content,
                            patient=PatientDetails(name="x" * 500), created=CREATED)
    assert [(e.kind, e.field) for e in outcome.errors] == [(ErrorKind.PATIENT_TEXT,
                                                            "patient_name")]


def test_an_unexpected_failure_is_a_code_logged_without_any_value(content, monkeypatch, caplog):
    import dashboard.adapters.pdf as pdf

    def broken(*args, **kwargs):
        raise RuntimeError("Ann Lee secret")

    monkeypatch.setattr(pdf, "render", broken)
    monkeypatch.setattr(pdf, "render_counted", broken)  # what the service calls
    outcome = prepare_sheet(make_factors(), ONE, content, patient=PatientDetails(name="Ann Lee"))
    error, = outcome.errors
    assert (error.kind, error.code) == (ErrorKind.UNEXPECTED, "PDF-RuntimeError")
    assert "Ann" not in error.message and "secret" not in caplog.text
    assert "PDF-RuntimeError" in caplog.text


def test_the_summary_row_is_the_assessment_in_brief(content):
    factors = make_factors(portal_vein_invasion="main")
    assessment = assess(factors, content)
    row = prepare_sheet(factors, ONE, content, created=CREATED).summary
    assert row.check_code == assessment.fingerprint
    assert row.verdicts == tuple((r.option_id, r.verdict) for r in assessment.results)
    assert row.warnings == assessment.warnings and row.warning_codes == tuple(
        w.code for w in assessment.warnings)


def test_outcomes_and_choices_are_frozen(content):
    outcome = prepare_sheet(make_factors(ecog=9), ONE, content)
    with pytest.raises(dataclasses.FrozenInstanceError):
        outcome.pdf = b"%PDF-"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ONE.language = "fr"  # type: ignore[misc]


def test_neither_the_screen_nor_the_command_line_builds_or_renders_a_sheet_itself():
    from tests.conftest import ROOT

    for path in [*ROOT.glob("dashboard/*.py"), *ROOT.glob("dashboard/screen/*.py")]:
        if path.name in ("service.py", "selftest.py") or "pdf" in path.parts[-1]:
            continue
        source = path.read_text(encoding="utf-8")
        assert "build_sheet(" not in source and "render(" not in source, path.name
