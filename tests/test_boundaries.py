"""Every numeric threshold of the rule table (content 0.2), below, at and above the boundary.

Boundaries follow criteria.md 8.2 and 8.3: "≤5" includes 5; bilirubin bands (µmol/L) normal
≤20, >20 and <34, 34–51 inclusive, >51. Bilirubin is also tested in mg/dL (converted × 17.1 and
rounded to a whole µmol/L), so both units give the same band at the 2 and 3 mg/dL boundaries.
The 0.2 thresholds (content/derived.toml) are here too: up-to-seven (TACE-18), the UNOS
downstaging limits (LT-9 / LT-9b), end-stage disease (TRIAL-2), the bilirubin floor of the
Child-Pugh score (R1) and the curative-first rules (R4).
"""

from __future__ import annotations

import pytest

from tests.conftest import make_factors

# (rule id, field, base overrides, [(value, fires?) below / at / above ...])
THRESHOLDS = [
    ("RES-9", "bilirubin_umol_l", {}, [(19, False), (20, False), (21, True), (33, True), (34, False)]),
    ("RES-8", "bilirubin_umol_l", {}, [(33, False), (34, True), (35, True)]),
    ("TACE-10", "bilirubin_umol_l", {}, [(33, False), (34, True), (35, True), (50, True), (51, True), (52, False)]),
    ("TACE-9", "bilirubin_umol_l", {}, [(50, False), (51, False), (52, True)]),
    ("TARE-8", "bilirubin_umol_l", {}, [(33, False), (34, True), (51, True), (52, False)]),
    ("TARE-7", "bilirubin_umol_l", {}, [(50, False), (51, False), (52, True)]),
    ("SB-L11", "bilirubin_umol_l", {}, [(50, False), (51, False), (52, True)]),
    ("RES-9", "bilirubin_mg_dl", {"bilirubin_umol_l": None}, [(1.1, False), (1.2, True), (1.9, True), (2.0, False)]),
    ("RES-8", "bilirubin_mg_dl", {"bilirubin_umol_l": None}, [(1.9, False), (2.0, True), (2.1, True)]),
    ("TACE-10", "bilirubin_mg_dl", {"bilirubin_umol_l": None}, [(1.9, False), (2.0, True), (2.9, True), (3.0, True), (3.1, False)]),
    ("TACE-9", "bilirubin_mg_dl", {"bilirubin_umol_l": None}, [(2.9, False), (3.0, False), (3.1, True)]),
    ("RFA-S2", "largest_tumour_cm", {}, [(2.9, False), (3.0, False), (3.1, True), (5.0, True), (5.1, False)]),
    ("MWA-S2", "largest_tumour_cm", {}, [(3.0, False), (3.1, True), (5.0, True), (5.1, False)]),
    ("RFA-S1", "largest_tumour_cm", {}, [(4.9, False), (5.0, False), (5.1, True)]),
    ("MWA-S1", "largest_tumour_cm", {}, [(4.9, False), (5.0, False), (5.1, True)]),
    ("SB-L3", "largest_tumour_cm", {}, [(4.9, False), (5.0, False), (5.1, True)]),
    ("PEI-S1", "largest_tumour_cm", {}, [(2.9, False), (3.0, False), (3.1, True)]),
    ("PEI-S2", "largest_tumour_cm", {"ablation_site_risky": True}, [(1.9, True), (2.0, True), (2.1, False)]),
    ("TACE-6", "largest_tumour_cm", {}, [(9.9, False), (10.0, False), (10.1, True)]),
    ("LT-9", "largest_tumour_cm", {"remnant_adequate": "no"}, [(4.9, False), (5.0, False), (5.1, True)]),
    ("LT-9", "largest_tumour_cm", {"liver_tumour_count": 3, "remnant_adequate": "no"}, [(2.9, False), (3.0, False), (3.1, True)]),
    ("RFA-S3", "largest_tumour_cm", {"liver_tumour_count": 2}, [(2.9, False), (3.0, False), (3.1, True)]),
    ("MWA-S3", "largest_tumour_cm", {"liver_tumour_count": 3}, [(3.0, False), (3.1, True), (5.0, True), (5.1, False)]),
    ("RES-6", "liver_tumour_count", {"largest_tumour_cm": 2}, [(1, False), (2, True), (3, True)]),
    ("ABL-4", "liver_tumour_count", {"largest_tumour_cm": 2}, [(3, False), (4, True), (5, True)]),
    ("SB-L2", "liver_tumour_count", {"largest_tumour_cm": 2}, [(3, False), (4, True), (5, True)]),
    ("LT-9", "liver_tumour_count", {"largest_tumour_cm": 2, "remnant_adequate": "no"}, [(3, False), (4, True), (5, True)]),
    ("RES-7", "child_pugh_score", {"cirrhosis": True}, [(6, False), (7, True), (8, True)]),
    ("TACE-8", "child_pugh_score", {"cirrhosis": True}, [(6, False), (7, True), (8, False)]),
    ("TACE-7", "child_pugh_score", {"cirrhosis": True}, [(7, False), (8, True), (9, True)]),
    ("TARE-5", "child_pugh_score", {"cirrhosis": True}, [(7, False), (8, True), (9, True)]),
    ("ABL-6", "child_pugh_score", {"cirrhosis": True}, [(6, False), (7, True), (9, True), (10, False)]),
    ("ABL-5", "child_pugh_score", {"cirrhosis": True}, [(9, False), (10, True), (11, True)]),
    ("SYS-2", "child_pugh_score", {"cirrhosis": True}, [(6, False), (7, True), (9, True), (10, False)]),
    ("SYS-1", "child_pugh_score", {"cirrhosis": True}, [(9, False), (10, True), (11, True)]),
    ("RES-16", "ecog", {}, [(1, False), (2, True), (3, True)]),
    ("LT-7", "ecog", {}, [(1, False), (2, True), (3, False)]),
    ("LT-6", "ecog", {}, [(2, False), (3, True), (4, True)]),
    ("SYS-3", "ecog", {}, [(2, False), (3, True), (4, True)]),
    ("TRIAL-1", "ecog", {}, [(0, False), (1, False), (2, True)]),
    ("LT-10", "afp_ng_ml", {}, [(999, False), (1000, False), (1001, True)]),
    ("SYS-N5", "afp_ng_ml", {"prior_systemic_lines": 1}, [(399, False), (400, True), (401, True)]),
    ("ABL-9", "platelets_e9_l", {}, [(49, True), (50, False), (51, False)]),
    ("ABL-9", "inr", {}, [(1.4, False), (1.5, False), (1.6, True)]),
    ("TACE-13", "egfr_ml_min", {}, [(29, True), (30, False), (31, False)]),
    ("TARE-13", "egfr_ml_min", {}, [(29, True), (30, False), (31, False)]),
    # 8.3 R5: up-to-seven (number + largest size > 7, two tumours or more)
    ("TACE-18", "largest_tumour_cm", {"liver_tumour_count": 2}, [(4.9, False), (5.0, False), (5.1, True)]),
    ("TACE-18", "largest_tumour_cm", {"liver_tumour_count": 3}, [(3.9, False), (4.0, False), (4.1, True)]),
    ("TACE-18", "largest_tumour_cm", {"liver_tumour_count": 1}, [(6.0, False), (6.1, False), (9.0, False)]),
    ("TACE-18", "liver_tumour_count", {"largest_tumour_cm": 2}, [(4, False), (5, False), (6, True)]),
    # 8.3 T1: LT-9 within the UNOS downstaging limits, LT-9b beyond them
    ("LT-9", "largest_tumour_cm", {"remnant_adequate": "no"}, [(7.9, True), (8.0, True), (8.1, False)]),
    ("LT-9b", "largest_tumour_cm", {"remnant_adequate": "no"}, [(5.0, False), (8.0, False), (8.1, True)]),
    ("LT-9", "largest_tumour_cm", {"liver_tumour_count": 2}, [(4.9, True), (5.0, True), (5.1, False)]),
    ("LT-9b", "largest_tumour_cm", {"liver_tumour_count": 3}, [(4.9, False), (5.0, False), (5.1, True)]),
    ("LT-9", "largest_tumour_cm", {"liver_tumour_count": 4}, [(2.9, True), (3.0, True), (3.1, False)]),
    ("LT-9b", "largest_tumour_cm", {"liver_tumour_count": 5}, [(2.9, False), (3.0, False), (3.1, True)]),
    ("LT-9b", "liver_tumour_count", {"largest_tumour_cm": 2}, [(4, False), (5, False), (6, True)]),
    # 8.3 R6: end-stage disease closes treatment trials
    ("TRIAL-2", "ecog", {}, [(1, False), (2, False), (3, True), (4, True)]),
    ("TRIAL-2", "child_pugh_score", {"cirrhosis": True}, [(9, False), (10, True), (11, True)]),
    ("TRIAL-1", "child_pugh_score", {"cirrhosis": True}, [(6, False), (7, True), (9, True), (10, False)]),
    # 8.3 R1: the bilirubin floor of the Child-Pugh score, with the score entered as 5
    ("RES-7", "bilirubin_umol_l", {"cirrhosis": True}, [(50, False), (51, False), (52, True)]),
    ("TACE-8", "bilirubin_umol_l", {"cirrhosis": True}, [(51, False), (52, True), (60, True)]),
    ("TRIAL-1", "bilirubin_umol_l", {}, [(20, False), (51, False), (52, True)]),
    # 8.3 R4: curative intent first (resection open only up to the size the baseline allows)
    ("TACE-17", "largest_tumour_cm", {"fit_for_major_surgery": False}, [(4.9, True), (5.0, True), (5.1, False)]),
    ("TARE-15", "largest_tumour_cm", {"fit_for_major_surgery": False}, [(2.9, True), (3.0, True), (5.1, False)]),
    ("SB-L13", "largest_tumour_cm", {"fit_for_major_surgery": False}, [(3.0, True), (5.0, True), (5.1, False)]),
]

CASES = [(rule, field, base, value, fires)
         for rule, field, base, points in THRESHOLDS for value, fires in points]


def _fired(assessment) -> set[str]:
    return ({f.rule_id for r in assessment.results for f in r.findings if not f.unknown}
            | {n for r in assessment.results for n in r.notes})


@pytest.mark.hazard("H31")
@pytest.mark.hazard("H33")
@pytest.mark.hazard("H34")
@pytest.mark.hazard("H38")
@pytest.mark.hazard("H39")
@pytest.mark.parametrize("rule,field,base,value,fires", CASES,
                         ids=[f"{c[0]}-{c[1]}={c[3]}" for c in CASES])
@pytest.mark.hazard("H01", "H05")
@pytest.mark.bad_input_case(23)
def test_threshold(run, rule, field, base, value, fires):
    assessment = run(make_factors(**{**base, field: value}))

    assert assessment.ok, assessment.errors
    assert (rule in _fired(assessment)) is fires


@pytest.mark.parametrize("months,label", [(23, "early"), (24, "late"), (25, "late"), (0, "early")])
def test_recurrence_label_cut_off_is_24_months_and_changes_no_verdict(run, months, label):
    assessment = run(make_factors(months_since_last_curative_treatment=months))
    baseline = run(make_factors())

    assert assessment.derived.recurrence_label == label
    assert [r.verdict for r in assessment.results] == [r.verdict for r in baseline.results]


@pytest.mark.parametrize("mg_dl,umol_l", [(1.0, 17), (1.9, 32), (2.0, 34), (2.9, 50), (3.0, 51),
                                          (3.1, 53), (5.0, 86)])
@pytest.mark.hazard("H01")
def test_bilirubin_in_mg_dl_gives_the_same_verdicts_as_its_umol_l_value(run, mg_dl, umol_l):
    in_mg = run(make_factors(bilirubin_umol_l=None, bilirubin_mg_dl=mg_dl, child_pugh_score=7,
                             cirrhosis=True))
    in_umol = run(make_factors(bilirubin_umol_l=umol_l, child_pugh_score=7, cirrhosis=True))

    assert in_mg.derived.bilirubin_umol_l == umol_l
    assert [r.verdict for r in in_mg.results] == [r.verdict for r in in_umol.results]
