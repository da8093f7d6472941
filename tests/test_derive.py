"""Derived values: unit conversion, Child-Pugh from labs, ALBI, Milan (criteria.md section 2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.core.derive import (
    albi_grade,
    albi_score,
    child_pugh_class,
    child_pugh_points,
    convert,
)
from tests.conftest import make_factors


@pytest.mark.parametrize("value,factor,decimals,expected", [
    (2.0, 17.1, 0, 34), (3.0, 17.1, 0, 51), (1.5, 17.1, 0, 26), (0.5, 17.1, 0, 9),
    (3.5, 10, None, 35.0), (2.8, 10, None, 28.0), (-1.0, 17.1, 0, -17)])
def test_convert_multiplies_and_rounds_half_up(value, factor, decimals, expected):
    assert convert(value, factor, decimals) == pytest.approx(expected)


@pytest.mark.hazard("H04")
@given(st.floats(min_value=0, max_value=47, allow_nan=False))
def test_bilirubin_conversion_is_within_half_a_unit_of_the_exact_value(mg_dl):
    assert abs(convert(mg_dl, 17.1, 0) - mg_dl * 17.1) <= 0.5 + 1e-9


@pytest.mark.parametrize("item,value,points", [
    ("bilirubin_umol_l", 33, 1), ("bilirubin_umol_l", 34, 2), ("bilirubin_umol_l", 51, 2),
    ("bilirubin_umol_l", 52, 3),
    ("albumin_g_l", 35.1, 1), ("albumin_g_l", 35, 2), ("albumin_g_l", 28, 2),
    ("albumin_g_l", 27.9, 3),
    ("inr", 1.69, 1), ("inr", 1.7, 2), ("inr", 2.3, 2), ("inr", 2.31, 3),
    ("ascites", "none", 1), ("ascites", "mild", 2), ("ascites", "moderate_severe", 3),
    ("encephalopathy", "none", 1), ("encephalopathy", "grade_1_2", 2),
    ("encephalopathy", "grade_3_4", 3)])
@pytest.mark.hazard("H05")
def test_child_pugh_points_per_item(item, value, points):
    labs = {"bilirubin_umol_l": 10, "albumin_g_l": 40, "inr": 1.0, "ascites": "none",
            "encephalopathy": "none", item: value}
    assert child_pugh_points(**labs)[item] == points


@pytest.mark.parametrize("score,cls", [(5, "A"), (6, "A"), (7, "B"), (9, "B"), (10, "C"),
                                       (15, "C")])
def test_child_pugh_class_from_score(score, cls):
    assert child_pugh_class(score) == cls


def test_albi_formula_and_grade_cut_offs():
    assert albi_score(10, 40) == pytest.approx(0.66 * 1 - 0.085 * 40)
    assert albi_score(0, 40) is None
    assert [albi_grade(s) for s in (-2.61, -2.60, -2.59, -1.39, -1.38)] == [1, 1, 2, 2, 3]


def test_child_pugh_score_is_computed_from_labs_when_not_given(run):
    assessment = run(make_factors(child_pugh_score=None, bilirubin_umol_l=40, albumin_g_dl=3.0,
                                  inr=1.8, ascites="mild", encephalopathy="none",
                                  cirrhosis=True))

    assert assessment.derived.child_pugh_from_labs
    assert dict(assessment.derived.child_pugh_points) == {
        "bilirubin_umol_l": 2, "albumin_g_l": 2, "inr": 2, "ascites": 2, "encephalopathy": 1}
    assert assessment.derived.child_pugh_score == 9
    assert assessment.derived.child_pugh_class == "B"
    assert assessment.result("resection").verdict.value == "not_applicable"


def test_child_pugh_unknown_without_score_or_complete_labs_gives_caution_with_reason(run, content):
    assessment = run(make_factors(child_pugh_score=None, albumin_g_l=40))

    assert assessment.derived.child_pugh_score is None
    tace = assessment.result("tace")
    assert tace.verdict.value == "caution"
    assert any(f.unknown == ("child_pugh_score",) for f in tace.findings)


def test_albi_grade_is_computed_from_bilirubin_and_albumin(run):
    assessment = run(make_factors(bilirubin_umol_l=30, albumin_g_l=25))

    assert assessment.derived.albi_from_labs
    assert assessment.derived.albi_grade == albi_grade(albi_score(30, 25))


@pytest.mark.parametrize("overrides,milan", [
    ({}, True), ({"largest_tumour_cm": 5.0}, True), ({"largest_tumour_cm": 5.1}, False),
    ({"liver_tumour_count": 3, "largest_tumour_cm": 3.0}, True),
    ({"liver_tumour_count": 3, "largest_tumour_cm": 3.1}, False),
    ({"liver_tumour_count": 4, "largest_tumour_cm": 1.0}, False),
    ({"portal_vein_invasion": "segmental"}, False),
    ({"recurrence_site": "liver_and_extrahepatic"}, False),
    ({"liver_tumour_count": "diffuse"}, False),
    ({"largest_tumour_cm": None}, None)])
def test_milan_criteria(run, overrides, milan):
    assert run(make_factors(**overrides)).derived.milan is milan


@pytest.mark.parametrize("overrides,score,source", [
    # 8.3 R1: the worst of the score entered, the labs (all five known) and the bilirubin floor
    (dict(child_pugh_score=5, bilirubin_umol_l=60, albumin_g_l=25, inr=1.8, ascites="mild",
          encephalopathy="none"), 11, "labs"),
    (dict(child_pugh_score=5, bilirubin_umol_l=60), 7, "bilirubin"),
    (dict(child_pugh_score=5, bilirubin_umol_l=40), 6, "bilirubin"),
    (dict(child_pugh_score=5, bilirubin_umol_l=33), 5, "entered"),
    (dict(child_pugh_score=8, bilirubin_umol_l=60), 8, "entered"),
    (dict(child_pugh_score=9, bilirubin_umol_l=20, albumin_g_l=40, inr=1.0, ascites="none",
          encephalopathy="none"), 9, "entered"),
])
@pytest.mark.hazard("H31")
def test_the_rules_read_the_worst_child_pugh_score_and_say_where_it_came_from(
        run, overrides, score, source):
    assessment = run(make_factors(cirrhosis=True, **overrides))

    assert assessment.derived.child_pugh_score == score
    assert assessment.derived.child_pugh_source == source
    assert assessment.facts["cp_score"] == score


@pytest.mark.hazard("H31")
def test_entered_child_pugh_5_with_labs_of_9_and_bilirubin_60_closes_ablation_and_trials(run):
    """The falsely reassuring path of issue #8: the entered score must not win."""
    assessment = run(make_factors(child_pugh_score=5, bilirubin_umol_l=60, albumin_g_l=30,
                                  inr=1.5, ascites="mild", encephalopathy="none",
                                  cirrhosis=True))

    assert assessment.derived.child_pugh_score == 9
    assert assessment.result("rfa").verdict.value == "caution"
    assert assessment.result("resection").verdict.value == "not_applicable"
    assert assessment.result("clinical_trial").verdict.value != "applicable"
    assert {w.code for w in assessment.warnings} >= {"W3", "W5"}
    assert "9" in next(w.message for w in assessment.warnings if w.code == "W5")


@pytest.mark.hazard("H31")
def test_a_bilirubin_floor_narrows_an_unknown_child_pugh_score(run):
    assessment = run(make_factors(child_pugh_score=None, bilirubin_umol_l=60, cirrhosis=True))

    assert assessment.derived.child_pugh_score is None
    assert assessment.derived.child_pugh_floor == 7
    assert assessment.result("resection").verdict.value == "not_applicable"  # B or C for sure


@pytest.mark.hazard("H31")
def test_an_unknown_bilirubin_leaves_a_low_entered_score_unsettled(run):
    assessment = run(make_factors(child_pugh_score=5, bilirubin_umol_l=None))

    assert assessment.derived.child_pugh_score is None
    assert any("bilirubin_umol_l" in f.unknown for f in assessment.result("systemic").findings)
