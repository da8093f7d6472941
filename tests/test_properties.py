"""Properties of the assessment over random valid patients (Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.core.engine import assess
from dashboard.core.loader import load_content
from tests.conftest import CORE_FIELDS

CONTENT = load_content()
OPTION_IDS = [o.id for o in CONTENT.options]
ACTIVE = [o.id for o in CONTENT.options if o.active]


@st.composite
def patients(draw):
    """Random patient factors that pass validation (no E-code), optional fields sometimes given."""
    site = draw(st.sampled_from(["liver_only", "extrahepatic_only", "liver_and_extrahepatic"]))
    if site == "extrahepatic_only":
        count, size, pvt = 0, 0, "none"
    else:
        count = draw(st.one_of(st.integers(1, 10), st.just("diffuse")))
        size = draw(st.floats(0.1, 30).map(lambda x: round(x, 1)))
        pvt = draw(st.sampled_from(["none", "segmental", "lobar", "main"]))
    data = {
        "recurrence_site": site, "liver_tumour_count": count, "largest_tumour_cm": size,
        "portal_vein_invasion": pvt, "child_pugh_score": draw(st.integers(5, 15)),
        "ecog": draw(st.integers(0, 4)), "cirrhosis": draw(st.booleans()),
        "portal_hypertension": draw(st.booleans()),
        "bilirubin_umol_l": draw(st.integers(2, 120)),
        "prior_liver_transplant": draw(st.booleans()),
        "fit_for_major_surgery": draw(st.booleans()),
        "transplant_candidate": draw(st.booleans()),
        "remnant_adequate": draw(st.sampled_from(["yes", "no", "unknown"])),
        "completely_resectable": draw(st.sampled_from(["yes", "no", "unknown"])),
        "patient_goal": draw(st.sampled_from(["wants_active", "unsure", "declines_active"])),
        "months_since_last_curative_treatment": draw(st.integers(0, 600)),
    }
    optional = {
        "afp_ng_ml": st.floats(0, 5000), "albi_grade": st.integers(1, 3),
        "platelets_e9_l": st.integers(10, 400), "inr": st.floats(0.8, 3.0),
        "ablation_site_risky": st.booleans(), "untreated_high_risk_varices": st.booleans(),
        "egfr_ml_min": st.integers(5, 120), "tace_refractory": st.booleans(),
        "prior_liver_radiation": st.booleans(), "active_autoimmune_disease": st.booleans(),
        "prior_systemic_lines": st.integers(0, 4), "on_anticoagulation": st.booleans(),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            data[key] = draw(strategy)
    if site != "liver_only":
        data["painful_bone_metastases"] = draw(st.booleans())
        data["limited_extrahepatic_metastases"] = draw(st.booleans())
    return data


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.hazard("H02", "H14")
@FAST
@given(patients())
def test_every_option_gets_exactly_one_verdict_in_content_order(data):
    assessment = assess(data, CONTENT)

    assert assessment.ok, assessment.errors
    assert [r.option_id for r in assessment.results] == OPTION_IDS
    assert all(r.findings for r in assessment.results)


@FAST
@given(patients())
def test_supportive_care_is_always_applicable(data):
    assert assess(data, CONTENT).result("supportive_care").verdict.value == "applicable"


@FAST
@given(patients())
def test_assessment_is_deterministic(data):
    assert assess(dict(data), CONTENT) == assess(dict(data), CONTENT)


@FAST
@given(patients())
def test_declining_active_treatment_leaves_no_active_option_applicable(data):
    assessment = assess({**data, "patient_goal": "declines_active"}, CONTENT)

    assert [o for o in ACTIVE if assessment.result(o).verdict.value == "applicable"] == []


@pytest.mark.hazard("H01", "H03")
@FAST
@given(patients(), st.sampled_from(CORE_FIELDS))
def test_an_unknown_core_factor_never_turns_an_option_applicable(data, field):
    known = assess(data, CONTENT)
    unknown = assess({**data, field: None}, CONTENT)

    assert unknown.ok
    for before, after in zip(known.results, unknown.results):
        if before.verdict.value != "applicable":
            assert after.verdict.value != "applicable", (field, before.option_id)
        if after.verdict != before.verdict and after.verdict.value == "caution":
            assert any(f.unknown for f in after.findings), (field, after.option_id)


@pytest.mark.hazard("H01")
@FAST
@given(patients())
def test_extrahepatic_spread_never_leaves_resection_transplant_or_tace_applicable(data):
    for site in ("liver_and_extrahepatic", "extrahepatic_only"):
        changed = {**data, "recurrence_site": site}
        if site == "extrahepatic_only":
            changed.update(liver_tumour_count=0, largest_tumour_cm=0, portal_vein_invasion="none")
        elif changed["liver_tumour_count"] == 0:
            changed.update(liver_tumour_count=1, largest_tumour_cm=2.0)
        assessment = assess(changed, CONTENT)
        for option in ("resection", "transplant", "tace"):
            assert assessment.result(option).verdict.value != "applicable"


@pytest.mark.hazard("H05", "H13")
@FAST
@given(patients())
def test_every_finding_names_a_rule_with_reasons_and_resolving_sources(data):
    for result in assess(data, CONTENT).results:
        for finding in result.findings:
            rule = CONTENT.rule(finding.rule_id)
            assert rule.clinician["en"] and rule.patient["en"]
            assert all(CONTENT.reference(s) for s in rule.sources)


LABS = st.fixed_dictionaries({
    "albumin_g_l": st.floats(15, 50).map(lambda x: round(x, 1)),
    "inr": st.floats(0.8, 3.5).map(lambda x: round(x, 2)),
    "ascites": st.sampled_from(["none", "mild", "moderate_severe"]),
    "encephalopathy": st.sampled_from(["none", "grade_1_2", "grade_3_4"])})
# Options whose rules read no other option's verdict (cross-option rules such as SYS-6 may
# rightly lift an option when another one closes).
SELF_CONTAINED = [o.id for o in CONTENT.options
                  if not any(CONTENT.verdict_reads(r.id) for r in o.rules)]


@pytest.mark.hazard("H31")
@FAST
@given(patients(), LABS)
def test_labs_that_contradict_the_entered_score_never_make_an_option_look_better(data, labs):
    """8.3 R1: whatever the labs say, the worse liver function is the one the rules read."""
    without = assess(data, CONTENT)
    with_labs = assess({**data, **labs}, CONTENT)

    assert with_labs.ok and {"resection", "rfa", "mwa", "clinical_trial"} <= set(SELF_CONTAINED)
    assert with_labs.derived.child_pugh_score >= without.derived.child_pugh_score
    for option in SELF_CONTAINED:
        assert (with_labs.result(option).verdict.severity
                >= without.result(option).verdict.severity), option
