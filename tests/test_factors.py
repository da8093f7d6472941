"""Building PatientFactors from a dict: types, ranges, enums, unknown keys, defaults, units."""

from __future__ import annotations

import math

import pytest

from tests.conftest import BASELINE, make_factors


def _codes(assessment):
    return {(e.code, e.field) for e in assessment.errors}


def test_baseline_is_valid_and_optional_fields_take_their_defaults(run):
    assessment = run(make_factors())

    assert assessment.ok
    values = assessment.factors.values
    assert values["ablation_site_risky"] is False
    assert values["prior_systemic_lines"] == 0
    assert values["afp_ng_ml"] is None


def test_unknown_key_is_rejected_with_its_name(run):
    assessment = run(make_factors(ecgo=1))

    assert ("UNKNOWN_KEY", "ecgo") in _codes(assessment)
    assert "ecgo" in assessment.errors[0].message
    assert assessment.results == ()


@pytest.mark.hazard("H03")
def test_missing_core_field_is_an_error_but_null_means_unknown(run):
    missing = dict(BASELINE)
    del missing["ecog"]

    assert ("MISSING", "ecog") in _codes(run(missing))
    assert run(make_factors(ecog=None)).ok


@pytest.mark.parametrize("field,value", [
    ("ecog", "1"), ("ecog", True), ("ecog", 1.5), ("cirrhosis", 1), ("cirrhosis", "yes"),
    ("recurrence_site", "lung"), ("liver_tumour_count", "many"), ("largest_tumour_cm", "3"),
    ("largest_tumour_cm", math.nan), ("largest_tumour_cm", math.inf), ("portal_vein_invasion", [])])
def test_wrong_types_are_errors_naming_the_field(run, field, value):
    assessment = run(make_factors(**{field: value}))

    assert ("TYPE", field) in _codes(assessment)


@pytest.mark.parametrize("field,value,code", [
    ("ecog", 5, "E1"), ("ecog", -1, "E1"), ("child_pugh_score", 16, "E2"),
    ("largest_tumour_cm", 31, "RANGE"), ("largest_tumour_cm", -0.5, "E5"),
    ("bilirubin_umol_l", 801, "RANGE"), ("liver_tumour_count", 11, "RANGE"),
    ("months_since_last_curative_treatment", 601, "RANGE"), ("afp_ng_ml", -1, "RANGE")])
def test_out_of_range_values_give_the_validation_code_or_a_range_error(run, field, value, code):
    assessment = run(make_factors(**{field: value}))

    assert code in {e.code for e in assessment.errors}
    assert len([e for e in assessment.errors if e.field == field]) == 1


def test_integral_floats_are_accepted_as_whole_numbers(run):
    assert run(make_factors(ecog=1.0)).factors.values["ecog"] == 1


@pytest.mark.hazard("H04")
def test_bilirubin_in_two_units_at_once_is_a_conflict(run):
    assessment = run(make_factors(bilirubin_mg_dl=1.0))

    assert ("CONFLICT", "bilirubin_umol_l") in _codes(assessment)


@pytest.mark.hazard("H04")
def test_albumin_in_g_dl_is_converted_to_g_l(run):
    assessment = run(make_factors(albumin_g_dl=3.4))

    assert assessment.factors.values["albumin_g_l"] == pytest.approx(34.0)
    assert assessment.factors.values["albumin_g_dl"] == 3.4


def test_not_an_object_is_an_error(run):
    assert {e.code for e in run([1, 2]).errors} == {"NOT_OBJECT"}


def test_errors_are_all_reported_at_once(run):
    assessment = run(make_factors(ecog="x", cirrhosis="no", spam=1))

    assert {c for c, _ in _codes(assessment)} == {"TYPE", "UNKNOWN_KEY"}
    assert len(assessment.errors) == 3


def test_the_check_code_is_the_same_for_12_and_12_point_0(run):
    """The screen sends decimals, JSON often whole numbers: the same patient, the same code."""
    whole = run(make_factors(bilirubin_umol_l=12, largest_tumour_cm=3))
    decimal = run(make_factors(bilirubin_umol_l=12.0, largest_tumour_cm=3.0))

    assert whole.fingerprint == decimal.fingerprint
    assert run(make_factors(bilirubin_umol_l=13)).fingerprint != whole.fingerprint


# Odd values for any field: every type JSON gives, on and past every kind of limit.
_ODD_VALUES = (None, True, False, 0, 1, -1, 2, 5, 7.5, 12.0, 1.5, -0.0, 1e15, -1e15, 1e15 + 1,
               10**16, 10**400, math.inf, -math.inf, math.nan, "", "1,5", " 1,500 ", "diffuse",
               "yes", "no", "unknown", "none", "liver_only", "A", [], {}, [1], {"a": 1})


@pytest.mark.hazard("H134")
def test_quick_parsing_equals_parsing_each_field_on_generated_and_odd_inputs(content):
    """`parse_factors` takes a usual value with one lookup; `each_field=True` sends every field
    through `_parse_field`: the same factors, errors and range errors (every message, in the
    same order) on generated profiles and with every odd value in every field, given directly,
    alongside its unit alias, or missing."""
    from dashboard.core.factors import parse_factors
    from tests.generated_profiles import profiles

    items: list = [*profiles(content, 3000, seed=31), None, [], "x", {"colour": "blue"}, {}]
    base = make_factors()
    for factor in content.factors:
        items += [{**base, factor.id: value} for value in _ODD_VALUES]
        items.append({k: v for k, v in base.items() if k != factor.id})
    def parsed(item, each_field=False):
        factors, errors, range_errors = parse_factors(item, content, each_field=each_field)
        return (factors and (list(factors.values.items()), factors.unknown), errors,
                range_errors)  # the values in their order too

    differ = [item for item in items if parsed(item) != parsed(item, each_field=True)]
    assert differ == []
    outcomes = [parse_factors(item, content) for item in items]
    assert sum(f is None for f, _, _ in outcomes) > 500 and sum(bool(r) for _, _, r in outcomes)
    assert {e.code for _, errors, _ in outcomes for e in errors} >= {
        "MISSING", "UNKNOWN_KEY", "TYPE", "CONFLICT", "NOT_OBJECT"}
