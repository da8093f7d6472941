"""Clinical scenarios, table-driven: verdicts and the rules that produced them (criteria.md §8).

Together the scenarios fire every rule id and every validation code in the content; the last
tests fail if content gains a rule that no scenario exercises.
"""

from __future__ import annotations

import pytest

from tests.conftest import make_factors

A, C, N = "applicable", "caution", "not_applicable"

# (name, factor overrides, expected verdicts, rule ids that must fire)
SCENARIOS = [
    ("single small resectable recurrence: curative options first, TACE/TARE/SBRT/drugs cautioned",
     {}, {"resection": A, "transplant": C, "rfa": A, "mwa": A, "pei": C, "tace": C, "tare": C,
          "sbrt": C, "systemic": C, "supportive_care": A, "clinical_trial": A},
     {"RES-0", "LT-11", "RFA-0", "MWA-0", "PEI-S3", "TACE-17", "TARE-15", "SB-L13", "SB-P4",
      "SYS-6", "BSC-1", "TRIAL-0", "SYS-N8"}),
    ("extrahepatic only with painful bone metastases",
     dict(recurrence_site="extrahepatic_only", liver_tumour_count=0, largest_tumour_cm=0,
          painful_bone_metastases=True, ecog=1),
     {"resection": N, "transplant": N, "rfa": N, "mwa": N, "pei": N, "tace": N, "tare": N,
      "sbrt": A, "systemic": A, "supportive_care": A, "clinical_trial": A},
     {"RES-1", "RES-2", "LT-1", "LT-2", "ABL-1", "TACE-1", "TACE-2", "TARE-1", "SB-L1", "SB-P1",
      "SYS-0"}),
    ("liver and extrahepatic with limited metastases, ECOG 2",
     dict(recurrence_site="liver_and_extrahepatic", liver_tumour_count=2, largest_tumour_cm=2,
          limited_extrahepatic_metastases=True, ecog=2),
     {"resection": N, "transplant": N, "rfa": C, "mwa": C, "tace": N, "tare": C, "sbrt": C,
      "systemic": C, "clinical_trial": C},
     {"RES-2", "RES-6", "RES-16", "LT-2", "LT-7", "ABL-2", "ABL-8", "TACE-2", "TACE-12",
      "TARE-2", "TARE-10", "SB-L5", "SB-L9", "SB-P3", "SYS-4", "TRIAL-1"}),
    ("lung metastases without bone pain: no radiation target outside the liver",
     dict(recurrence_site="liver_and_extrahepatic", liver_tumour_count=1, largest_tumour_cm=2),
     {"sbrt": C, "systemic": A, "tace": N},
     {"SB-L5", "SB-P4"}),
    ("segmental portal-vein invasion",
     dict(portal_vein_invasion="segmental"),
     {"resection": C, "transplant": N, "rfa": N, "tace": C, "tare": A, "sbrt": C, "systemic": A},
     {"RES-3", "LT-3", "ABL-3", "TACE-3", "SB-L4"}),
    ("lobar portal-vein invasion",
     dict(portal_vein_invasion="lobar"),
     {"resection": N, "tace": N, "tare": A, "systemic": A},
     {"RES-4", "TACE-4"}),
    ("main-trunk portal-vein invasion",
     dict(portal_vein_invasion="main"),
     {"resection": N, "tace": N, "tare": C, "systemic": A},
     {"RES-4", "TACE-4", "TARE-3", "SYS-N4"}),
    ("diffuse infiltrative disease",
     dict(liver_tumour_count="diffuse", largest_tumour_cm=8),
     {"resection": N, "transplant": N, "rfa": N, "mwa": N, "pei": N, "tace": N, "tare": C,
      "sbrt": N, "systemic": A},
     {"RES-5", "LT-8", "ABL-4", "TACE-5", "TARE-4", "SB-L2", "SB-L3"}),
    ("two tumours within Milan: ablation open, so TACE waits",
     dict(liver_tumour_count=2, largest_tumour_cm=2.5),
     {"resection": C, "transplant": A, "rfa": A, "tace": C, "systemic": C},
     {"RES-6", "LT-0", "TACE-17"}),
    ("three 5 cm tumours: beyond up-to-seven, drug treatment not held back",
     dict(liver_tumour_count=3, largest_tumour_cm=5),
     {"resection": C, "transplant": C, "rfa": N, "mwa": C, "tace": C, "tare": A, "systemic": A},
     {"TACE-18", "LT-9", "RFA-S3", "MWA-S3", "SYS-0"}),
    ("single 9 cm tumour: beyond the downstaging limits",
     dict(largest_tumour_cm=9),
     {"resection": A, "transplant": C, "rfa": N, "mwa": N, "tace": C, "sbrt": C},
     {"LT-9b", "RFA-S1", "MWA-S1", "SB-L3", "TACE-17"}),
    ("six small tumours: beyond the downstaging limits and beyond ablation",
     dict(liver_tumour_count=6, largest_tumour_cm=1.5),
     {"transplant": C, "rfa": N, "tace": C, "systemic": A},
     {"LT-9b", "ABL-4", "TACE-18"}),
    ("Child-Pugh B7 with cirrhosis",
     dict(child_pugh_score=7, cirrhosis=True),
     {"resection": N, "rfa": C, "tace": C, "tare": C, "sbrt": C, "systemic": C,
      "clinical_trial": C, "transplant": A},
     {"RES-7", "ABL-6", "TACE-8", "TARE-6", "SB-L7", "SYS-2", "TRIAL-1", "SYS-N6", "LT-0"}),
    ("Child-Pugh B8",
     dict(child_pugh_score=8, cirrhosis=True),
     {"tace": N, "tare": N, "sbrt": N, "rfa": C},
     {"TACE-7", "TARE-5", "SB-L6"}),
    ("Child-Pugh C within Milan: transplant open, trials and drugs closed",
     dict(child_pugh_score=10, cirrhosis=True),
     {"resection": N, "transplant": A, "rfa": N, "tace": N, "tare": N, "sbrt": N,
      "systemic": N, "supportive_care": A, "clinical_trial": N},
     {"RES-7", "ABL-5", "TACE-7", "SYS-1", "SYS-N7", "TRIAL-2", "LT-0", "BSC-1"}),
    ("contradictory labs: Child-Pugh 5 entered, labs give 9 and bilirubin 60",
     dict(child_pugh_score=5, bilirubin_umol_l=60, albumin_g_l=30, inr=1.5, ascites="mild",
          encephalopathy="none", cirrhosis=True),
     {"resection": N, "transplant": A, "rfa": C, "mwa": C, "tace": N, "tare": N, "sbrt": N,
      "systemic": C, "clinical_trial": C},
     {"RES-7", "RES-8", "ABL-6", "TACE-7", "TACE-9", "TARE-5", "TARE-7", "SB-L6", "SB-L11",
      "SYS-2", "TRIAL-1"}),
    ("bilirubin 60 with Child-Pugh 5 and no other labs: the floor of 7 is used",
     dict(child_pugh_score=5, bilirubin_umol_l=60, cirrhosis=True),
     {"resection": N, "rfa": C, "tace": N, "sbrt": N, "clinical_trial": C},
     {"RES-7", "ABL-6", "TACE-8", "TACE-9", "SB-L7", "TRIAL-1"}),
    ("bilirubin 34 µmol/L",
     dict(bilirubin_umol_l=34, child_pugh_score=6),
     {"resection": N, "tace": C, "tare": C},
     {"RES-8", "TACE-10", "TARE-8"}),
    ("bilirubin 52 µmol/L",
     dict(bilirubin_umol_l=52, child_pugh_score=7, cirrhosis=True),
     {"tace": N, "tare": N, "sbrt": N},
     {"TACE-9", "TARE-7", "SB-L11"}),
    ("bilirubin just above normal",
     dict(bilirubin_umol_l=21),
     {"resection": C},
     {"RES-9"}),
    ("clinically significant portal hypertension",
     dict(portal_hypertension=True, cirrhosis=True),
     {"resection": N},
     {"RES-10"}),
    ("compensated cirrhosis without portal hypertension",
     dict(cirrhosis=True),
     {"resection": C, "transplant": A},
     {"RES-11"}),
    ("too little liver would remain: transplant is not held back by a feasible resection",
     dict(remnant_adequate="no"),
     {"resection": N, "transplant": A},
     {"RES-12", "LT-0"}),
    ("remnant and resectability not yet assessed",
     dict(remnant_adequate="unknown", completely_resectable="unknown"),
     {"resection": C},
     {"RES-13", "RES-15"}),
    ("tumour cannot be completely removed",
     dict(completely_resectable="no"),
     {"resection": N},
     {"RES-14"}),
    ("ECOG 3: end-stage, trials closed too",
     dict(ecog=3),
     {"resection": N, "transplant": N, "rfa": N, "tace": N, "tare": N, "sbrt": N,
      "systemic": N, "supportive_care": A, "clinical_trial": N},
     {"LT-6", "ABL-7", "TACE-11", "TARE-9", "SB-L8", "SYS-3", "SYS-N7", "TRIAL-2"}),
    ("not fit for major surgery",
     dict(fit_for_major_surgery=False),
     {"resection": N, "rfa": A},
     {"RES-17"}),
    ("ALBI grade 3",
     dict(albi_grade=3),
     {"resection": C, "tace": C, "tare": C, "sbrt": C, "systemic": C},
     {"RES-18", "TACE-16", "TARE-14", "SB-L12", "SYS-5"}),
    ("ALBI grade 3 computed from labs when not entered",
     dict(bilirubin_umol_l=30, albumin_g_l=20, child_pugh_score=6),
     {"resection": C},
     {"RES-18", "TACE-16", "SYS-5"}),
    ("graft recurrence after a liver transplant, with lung metastases",
     dict(prior_liver_transplant=True, transplant_candidate=False,
          recurrence_site="liver_and_extrahepatic", liver_tumour_count=2, largest_tumour_cm=3),
     {"transplant": N, "systemic": C, "tace": N},
     {"LT-4", "LT-2", "SYS-7", "SYS-N1"}),
    ("not a transplant candidate for other reasons",
     dict(transplant_candidate=False, remnant_adequate="no"),
     {"transplant": N},
     {"LT-5"}),
    ("single 6 cm tumour: beyond Milan, within downstaging limits, beyond ablation",
     dict(largest_tumour_cm=6),
     {"transplant": C, "rfa": N, "mwa": N, "pei": N, "sbrt": C, "tace": C},
     {"LT-9", "RFA-S1", "MWA-S1", "PEI-S1", "SB-L3"}),
    ("very high AFP",
     dict(afp_ng_ml=1500, remnant_adequate="no"),
     {"transplant": C},
     {"LT-10"}),
    ("low platelets",
     dict(platelets_e9_l=40),
     {"rfa": C, "mwa": C, "resection": A, "tace": C},
     {"ABL-9"}),
    ("small tumour next to a bile duct",
     dict(largest_tumour_cm=1.8, ablation_site_risky=True),
     {"rfa": C, "mwa": C, "pei": A, "tace": C},
     {"ABL-10", "PEI-S2", "TACE-17"}),
    ("single 4 cm tumour",
     dict(largest_tumour_cm=4),
     {"rfa": C, "mwa": A, "pei": N, "tace": C},
     {"RFA-S2", "MWA-S2", "PEI-S1", "TACE-17"}),
    ("two 4 cm tumours",
     dict(liver_tumour_count=2, largest_tumour_cm=4),
     {"rfa": N, "mwa": C, "pei": N, "transplant": C, "tace": A},
     {"RFA-S3", "MWA-S3", "LT-9"}),
    ("very large tumour",
     dict(largest_tumour_cm=11),
     {"tace": C},
     {"TACE-6"}),
    ("poor kidney function",
     dict(egfr_ml_min=25, completely_resectable="no", largest_tumour_cm=6),
     {"tace": C, "tare": C},
     {"TACE-13", "TARE-13"}),
    ("untreated high-risk varices",
     dict(untreated_high_risk_varices=True),
     {"tace": C, "tare": C},
     {"TACE-14", "TARE-12", "SYS-N3"}),
    ("TACE-refractory disease makes systemic therapy indicated",
     dict(tace_refractory=True),
     {"tace": C, "systemic": A},
     {"TACE-15"}),
    ("previous liver radiation",
     dict(prior_liver_radiation=True),
     {"tare": C, "sbrt": C},
     {"TARE-11", "SB-L10"}),
    ("painful bone metastases in a bed-bound patient",
     dict(recurrence_site="extrahepatic_only", liver_tumour_count=0, largest_tumour_cm=0,
          painful_bone_metastases=True, ecog=3),
     {"sbrt": C, "systemic": N, "clinical_trial": N},
     {"SB-P2", "TRIAL-2"}),
    ("patient declines active treatment",
     dict(patient_goal="declines_active"),
     {"resection": C, "rfa": C, "tace": C, "supportive_care": A, "clinical_trial": C},
     {"PREF-1", "BSC-1"}),
    ("autoimmune disease and AFP 450 after first-line treatment",
     dict(active_autoimmune_disease=True, afp_ng_ml=450, prior_systemic_lines=1,
          on_anticoagulation=True),
     {"systemic": C},
     {"SYS-N2", "SYS-N3", "SYS-N5"}),
]

# (name, factor overrides, expected error codes, expected warning codes)
VALIDATION = [
    ("ECOG 5", dict(ecog=5), {"E1"}, set()),
    ("Child-Pugh 4", dict(child_pugh_score=4), {"E2"}, set()),
    ("liver site with no tumour", dict(liver_tumour_count=0, largest_tumour_cm=0), {"E3"}, set()),
    ("extrahepatic only with a liver tumour", dict(recurrence_site="extrahepatic_only"),
     {"E4"}, set()),
    ("negative size", dict(largest_tumour_cm=-1), {"E5"}, set()),
    ("negative bilirubin", dict(bilirubin_umol_l=-3), {"E5"}, set()),
    ("tumours with size 0", dict(liver_tumour_count=2, largest_tumour_cm=0), {"E6"}, set()),
    ("bone metastases with liver-only site", dict(painful_bone_metastases=True), {"E7"}, set()),
    ("Child-Pugh 7 without cirrhosis", dict(child_pugh_score=7), set(), {"W1"}),
    ("portal hypertension without cirrhosis", dict(portal_hypertension=True), set(), {"W2"}),
    ("bilirubin 40 with Child-Pugh 5", dict(bilirubin_umol_l=40), set(), {"W3"}),
    ("bilirubin 60 with Child-Pugh 5 and labs of 9", dict(
        bilirubin_umol_l=60, albumin_g_l=30, inr=1.5, ascites="mild", encephalopathy="none",
        cirrhosis=True), set(), {"W3", "W5"}),
    ("bilirubin 60 with Child-Pugh 6", dict(bilirubin_umol_l=60, child_pugh_score=6), set(),
     {"W3"}),
    ("prior transplant and candidate", dict(prior_liver_transplant=True), set(), {"W4"}),
    ("score differs from labs", dict(albumin_g_l=30, inr=1.1, ascites="none",
                                     encephalopathy="none"), set(), {"W5"}),
    ("bilirubin 40 given in mg/dL", dict(bilirubin_umol_l=None, bilirubin_mg_dl=40), set(),
     {"W6"}),
    ("bilirubin 1.2 given in umol/L", dict(bilirubin_umol_l=1.2), set(), {"W6"}),
]


def _fired(assessment) -> set[str]:
    rules = {f.rule_id for r in assessment.results for f in r.findings}
    return rules | {n for r in assessment.results for n in r.notes}


@pytest.mark.hazard("H31")
@pytest.mark.hazard("H32")
@pytest.mark.hazard("H33")
@pytest.mark.hazard("H34")
@pytest.mark.hazard("H38")
@pytest.mark.hazard("H39")
@pytest.mark.hazard("H01")
@pytest.mark.parametrize("name,overrides,verdicts,rules", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_scenario_gives_expected_verdicts_and_reasons(run, name, overrides, verdicts, rules):
    assessment = run(make_factors(**overrides))

    assert assessment.ok, assessment.errors
    got = {r.option_id: r.verdict.value for r in assessment.results}
    assert {k: got[k] for k in verdicts} == verdicts
    assert rules <= _fired(assessment)


@pytest.mark.parametrize("name,overrides,errors,warnings", VALIDATION,
                         ids=[v[0] for v in VALIDATION])
def test_validation_codes_fire_as_specified(run, name, overrides, errors, warnings):
    assessment = run(make_factors(**overrides))

    assert {e.code for e in assessment.errors} == errors
    assert {w.code for w in assessment.warnings} >= warnings
    if errors:
        assert assessment.results == ()


@pytest.mark.hazard("H01")
def test_every_rule_in_content_is_exercised_by_a_scenario(run, content):
    fired = set()
    for _, overrides, _, _ in SCENARIOS:
        fired |= _fired(run(make_factors(**overrides)))
    # Rules and agent notes; an option's [default] reason is not a rule (it shows when none fires).
    all_ids = {r.id for o in content.options for r in (*o.rules, *o.notes)}
    all_ids |= {r.id for r in content.global_rules}

    assert sorted(all_ids - fired) == []


def test_every_validation_code_is_exercised(run, content):
    seen = set()
    for _, overrides, _, _ in VALIDATION:
        assessment = run(make_factors(**overrides))
        seen |= {i.code for i in (*assessment.errors, *assessment.warnings)}

    assert sorted({c.id for c in content.validation} - seen) == []


def test_no_two_scenarios_share_a_name_or_a_patient():
    names = [name for name, *_ in SCENARIOS]
    patients = [tuple(sorted(overrides.items(), key=str)) for _, overrides, *_ in SCENARIOS]
    assert sorted({n for n in names if names.count(n) > 1}) == []
    assert sorted({str(p) for p in patients if patients.count(p) > 1}) == []
