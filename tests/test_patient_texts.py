"""Every sentence is true for its patient (criteria.md 8.3 T2, T6, T7, T8), over generated patients.

content/claims.toml lists what a sentence can assert about the patient ("while you wait for a
transplant", "no cancer outside the liver", trial survival figures, ...) and when that is true,
with the phrases that make each claim in every sheet language. These tests collect every text the
dashboard would show a patient — the core's patient texts, the reasons on screen, and the whole
discussion sheet with every option chosen, in English and in French — and fail when a text
asserts a claim that is false (or not yet known) for that patient. A new sentence in content
that says one of these things to the wrong patient, in either language, therefore fails here.
"""

from __future__ import annotations

import re
import shutil
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings

from dashboard.core.assessment import Verdict
from dashboard.core.content import claim_form
from dashboard.core.engine import assess
from dashboard.core.explain import (
    agent_notes,
    also_noted,
    deciding_reasons,
    line_text,
    option_items,
    option_text,
    patient_reasons,
)
from dashboard.core.loader import OPTION_LISTS, OPTION_TEXTS, load_content
from dashboard.core.sheet import SheetChoices, build_sheet
from tests.conftest import ROOT, make_factors
from tests.test_properties import patients

CONTENT = load_content()
TODAY = date(2026, 12, 3)
SETTINGS = settings(max_examples=250, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def patient_texts(assessment, content=CONTENT, lang="en") -> list[tuple[str, str]]:
    """(where, text) for every patient-facing text of every option, for this patient."""
    out = []
    for option in content.options:
        oid = option.id
        for key in OPTION_TEXTS:
            out.append((f"{oid}.{key}", option_text(content, assessment, oid, key, lang)))
        for key in OPTION_LISTS:
            out += [(f"{oid}.{key}", item)
                    for item in option_items(content, assessment, oid, key, lang)]
        out += [(f"{oid} reason", text) for text in patient_reasons(content, assessment, oid,
                                                                   lang)]
        out += [(f"{oid} note", text) for text in agent_notes(content, assessment, oid, lang,
                                                             audience="patient")]
        if assessment.result(oid).line:
            out.append((f"{oid} line", line_text(content, assessment, oid, lang)))
    return out


def screen_texts(assessment, content=CONTENT) -> list[tuple[str, str]]:
    """(where, text) for the clinician reasons the screen shows, deciding and also noted."""
    out = []
    for option in content.options:
        for text in (*deciding_reasons(content, assessment, option.id),
                     *also_noted(content, assessment, option.id),
                     *agent_notes(content, assessment, option.id)):
            out.append((f"{option.id} (screen)", text))
    return out


def sheet_texts(assessment, content=CONTENT, lang="en") -> list[tuple[str, str]]:
    """Every string of the discussion sheet with every option chosen."""
    choices = SheetChoices(selected=tuple(o.id for o in content.options),
                           include_not_fitting=True, more_about_options=True, full_sources=True)
    sheet = build_sheet(assessment, content, choices, today=TODAY, lang=lang)
    out = [("sheet footer", line) for line in (*sheet.footer_lines, sheet.page_label)]
    for block in sheet.blocks:
        for text in _block_strings(block):
            out.append((f"sheet {type(block).__name__}", text))
    return out


def _block_strings(block) -> list[str]:
    strings = []
    for value in vars(block).values() if hasattr(block, "__dict__") else (
            getattr(block, name) for name in block.__dataclass_fields__):
        strings += _strings_in(value)
    return strings


def _strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (tuple, list)):
        return [s for item in value for s in _strings_in(item)]
    if hasattr(value, "__dataclass_fields__"):
        return _block_strings(value)
    return []


def contradictions(assessment, texts, content=CONTENT, lang="en") -> list[str]:
    """Each text that asserts a claim that is not true for this patient (phrases of `lang`)."""
    found = []
    for claim in content.claims:
        if claim.test(assessment.facts) is True:
            continue
        for where, text in texts:
            lowered = claim_form(text)
            for phrase in claim.phrases_in(lang):
                if phrase in lowered:
                    found.append(f"{claim.id}: {where}: {text!r}")
    return found


@pytest.mark.hazard("H36")
@pytest.mark.hazard("H41")
@SETTINGS
@given(patients())
def test_no_patient_text_of_the_core_contradicts_the_patient(data):
    assessment = assess(data, CONTENT)

    assert contradictions(assessment, patient_texts(assessment)) == []


@pytest.mark.hazard("H36")
@SETTINGS
@given(patients())
def test_no_reason_on_the_screen_contradicts_the_patient(data):
    assessment = assess(data, CONTENT)

    assert contradictions(assessment, screen_texts(assessment)) == []


@pytest.mark.hazard("H36")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patients())
def test_no_sentence_of_the_discussion_sheet_contradicts_the_patient(data):
    assessment = assess(data, CONTENT)

    assert contradictions(assessment, sheet_texts(assessment)) == []


# The same proofs in French (issue #8 T7 for the French sheet): the phrases of claims.toml's
# `phrases.fr` are checked against the French texts of the core and the whole French sheet.
@pytest.mark.hazard("H106")
@SETTINGS
@given(patients())
def test_no_french_patient_text_of_the_core_contradicts_the_patient(data):
    assessment = assess(data, CONTENT)

    assert contradictions(assessment, patient_texts(assessment, lang="fr"), lang="fr") == []


@pytest.mark.hazard("H106")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patients())
def test_no_sentence_of_the_french_discussion_sheet_contradicts_the_patient(data):
    assessment = assess(data, CONTENT)

    assert contradictions(assessment, sheet_texts(assessment, lang="fr"), lang="fr") == []


@pytest.mark.hazard("H106")
def test_every_claim_has_french_phrases_and_each_is_found_in_the_french_content():
    """A French phrase that no French text uses would check nothing: each phrase list holds at
    least one phrase that a French text of content really says, where its English one does."""
    every_french = " ".join(claim_form(t) for t in _every_text("fr"))
    every_english = " ".join(claim_form(t) for t in _every_text("en"))
    for claim in CONTENT.claims:
        assert claim.phrases_in("fr"), claim.id
        used_en = any(p in every_english for p in claim.phrases_in("en"))
        used_fr = any(p in every_french for p in claim.phrases_in("fr"))
        assert used_fr == used_en, claim.id


def _every_text(lang: str) -> list[str]:
    """Every patient text of content in `lang`: option texts, lists, lines, rules, notes,
    variants, sheet strings (not the clinician's words: those are in English only)."""
    def of(text) -> list[str]:
        value = text.get(lang) if hasattr(text, "get") else None
        return _strings_in(list(value) if isinstance(value, tuple) else value)

    out = [t for v in CONTENT.strings[lang].values() for t in _strings_in(v)]
    for option in CONTENT.options:
        for text in (*option.text.values(), *option.lists.values(), *option.lines.values(),
                     *(v.text for v in option.variants)):
            out += of(text)
        for rule in (option.default, *option.rules, *option.notes):
            for text in (rule.patient, *(v.text for v in rule.variants)):
                out += of(text)
    return out


# Each named contradiction: a claim of content/claims.toml and a patient for whom it is false.
NAMED_CONTRADICTIONS = [
    ("transplant_ahead", dict(prior_liver_transplant=True, transplant_candidate=False)),
    ("no_cancer_outside_liver", dict(recurrence_site="liver_and_extrahepatic",
                                     limited_extrahepatic_metastases=False)),
    ("not_a_candidate_for_other_reasons", dict(prior_liver_transplant=True,
                                               transplant_candidate=False)),
    ("first_line_trial_figures", dict(prior_liver_transplant=True, transplant_candidate=False,
                                      recurrence_site="liver_and_extrahepatic")),
    ("afp_known", dict(remnant_adequate="no")),
    ("sbrt_liver_damage_uncommon", dict(child_pugh_score=8, cirrhosis=True)),
    ("main_portal_vein_invaded", dict(portal_vein_invasion="lobar")),
    ("portal_vein_branch_invaded", dict(portal_vein_invasion="main")),
    # ablation questions and reasons said "my tumour" / "the tumour is" to 2 or 3 tumours
    ("one_liver_tumour", dict(liver_tumour_count=3, largest_tumour_cm=2.5,
                              ablation_site_risky=True)),
    ("one_liver_tumour", dict(liver_tumour_count=2, largest_tumour_cm=6)),
    ("one_liver_tumour", dict(liver_tumour_count=None, largest_tumour_cm=11)),
]


@pytest.mark.hazard("H106", "H112")
@pytest.mark.parametrize("claim_id,overrides", NAMED_CONTRADICTIONS)
def test_each_named_contradiction_is_checked_and_absent_in_french(claim_id, overrides):
    assessment = assess(make_factors(**overrides), CONTENT)
    claim = next(c for c in CONTENT.claims if c.id == claim_id)
    texts = patient_texts(assessment, lang="fr") + sheet_texts(assessment, lang="fr")

    assert claim.test(assessment.facts) is not True
    assert [t for t in contradictions(assessment, texts, lang="fr")
            if t.startswith(claim_id)] == []


@pytest.mark.hazard("H106")
def test_a_new_contradicting_french_sentence_in_content_fails_the_check(tmp_path):
    """The French check is not a list of today's sentences: a French sentence added later that
    promises a transplant to a transplant recipient is caught, though its English is fine."""
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    path = root / "options" / "tare.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index('goal_text.fr = "')
    text = text[:start] + text[start:].replace(
        'goal_text.fr = "', 'goal_text.fr = "En attendant une greffe, ', 1)
    path.write_text(text, encoding="utf-8")
    changed = load_content(root)
    assessment = assess(make_factors(prior_liver_transplant=True, transplant_candidate=False),
                        changed)

    english = contradictions(assessment, patient_texts(assessment, changed), changed)
    found = contradictions(assessment, patient_texts(assessment, changed, "fr"), changed, "fr")

    assert not any(f.startswith("transplant_ahead: tare.goal_text") for f in english)
    assert any(f.startswith("transplant_ahead: tare.goal_text") for f in found)


def test_the_loader_refuses_a_claim_without_french_phrases(tmp_path):
    from dashboard.core.loader import ContentError

    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    path = root / "claims.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("phrases.fr = [")
    path.write_text(text[:start] + text[text.index("\n", start) + 1:], encoding="utf-8")

    with pytest.raises(ContentError) as error:
        load_content(root)
    assert any("claims -> 0 -> phrases.fr" in p for p in error.value.problems)


# The checks the issue names (and those found since), each a claim of content/claims.toml tried
# on a patient for whom it is false. They fail if the claim is removed or its sentence returns.
@pytest.mark.parametrize("claim_id,overrides", NAMED_CONTRADICTIONS)
@pytest.mark.hazard("H36")
@pytest.mark.hazard("H37", "H112")
def test_each_named_contradiction_is_checked_and_absent(claim_id, overrides):
    assessment = assess(make_factors(**overrides), CONTENT)
    claim = next(c for c in CONTENT.claims if c.id == claim_id)
    texts = patient_texts(assessment) + screen_texts(assessment) + sheet_texts(assessment)

    assert claim.test(assessment.facts) is not True  # the claim is false for this patient
    assert [t for t in contradictions(assessment, texts) if t.startswith(claim_id)] == []


@pytest.mark.hazard("H36")
def test_a_new_contradicting_sentence_in_content_fails_the_check(tmp_path):
    """The check is not a list of today's sentences: a sentence added later is caught."""
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    path = root / "options" / "tare.toml"
    text = path.read_text(encoding="utf-8").replace(
        'goal_text.en = "To control the cancer.',
        'goal_text.en = "To control the cancer while you wait for a transplant.', 1)
    path.write_text(text, encoding="utf-8")
    changed = load_content(root)
    assessment = assess(make_factors(prior_liver_transplant=True, transplant_candidate=False),
                        changed)

    found = contradictions(assessment, patient_texts(assessment, changed), changed)

    assert any(f.startswith("transplant_ahead: tare.goal_text") for f in found)


@pytest.mark.hazard("H32")
def test_transplant_recipient_hears_no_transplant_as_a_future_step_and_no_trial_figures():
    assessment = assess(make_factors(prior_liver_transplant=True, transplant_candidate=False,
                                     recurrence_site="liver_and_extrahepatic",
                                     liver_tumour_count=2, largest_tumour_cm=3), CONTENT)
    texts = " ".join(t for _, t in sheet_texts(assessment)).lower()

    assert assessment.result("transplant").verdict is Verdict.NOT_APPLICABLE
    assert "while you wait for a transplant" not in texts
    assert "alive after" not in texts
    assert "health or other reasons" not in texts
    assert "reject the new liver" in texts  # SYS-7 says why drug choice needs care
    first_line = line_text(CONTENT, assessment)
    assert first_line.index("sorafenib") < first_line.index("atezolizumab")
    assert first_line.count("generally avoided") >= 1


@pytest.mark.hazard("H37")
def test_default_reason_names_the_optional_values_that_were_not_entered():
    without_afp = assess(make_factors(remnant_adequate="no"), CONTENT)
    with_afp = assess(make_factors(remnant_adequate="no", afp_ng_ml=20), CONTENT)

    reason = deciding_reasons(CONTENT, without_afp, "transplant")[0]
    assert "Not entered: AFP" in reason and "≤ 1000" not in reason
    assert "Not entered: AFP" not in deciding_reasons(CONTENT, with_afp, "transplant")[0]


@pytest.mark.hazard("H37")
@SETTINGS
@given(patients())
def test_every_not_entered_optional_value_is_named_in_its_default_reason(data):
    assessment = assess(data, CONTENT)
    for result in assessment.results:
        for finding in result.findings:
            if finding.default:
                read = CONTENT.optional_reads(result.option_id, finding.track)
                facts = assessment.facts
                empty = {f for f in read if facts.get("albi" if f == "albi_grade" else f) is None}
                assert set(finding.not_entered) == empty


@pytest.mark.hazard("H40")
@SETTINGS
@given(patients())
def test_a_not_applicable_option_gives_the_patient_only_its_deciding_reasons(data):
    assessment = assess(data, CONTENT)
    for result in assessment.results:
        if result.verdict is Verdict.NOT_APPLICABLE:
            reasons = patient_reasons(CONTENT, assessment, result.option_id)
            cautions = {CONTENT.rule(f.rule_id).patient["en"] for f in result.also_noted
                        if not f.unknown}
            assert result.deciding and all(f.verdict is Verdict.NOT_APPLICABLE
                                           for f in result.deciding)
            assert not cautions & set(reasons) - {
                CONTENT.rule(f.rule_id).patient["en"] for f in result.deciding}
        assert result.main_finding.verdict is result.verdict


@pytest.mark.hazard("H40")
def test_sbrt_for_a_liver_only_patient_does_not_show_the_track_that_did_not_decide():
    assessment = assess(make_factors(), CONTENT)
    sbrt = assessment.result("sbrt")

    assert "SB-P4" in {f.rule_id for f in sbrt.findings}
    assert "SB-P4" not in {f.rule_id for f in sbrt.shown}
    assert [f.rule_id for f in sbrt.deciding] == ["SB-L13"]


@pytest.mark.hazard("H36")
def test_sbrt_no_target_reason_is_true_for_a_patient_with_lung_metastases():
    assessment = assess(make_factors(recurrence_site="liver_and_extrahepatic", ecog=3),
                        CONTENT)
    reasons = " ".join(patient_reasons(CONTENT, assessment, "sbrt")).lower()

    assert "no cancer outside the liver" not in reasons
    assert "neither of these applies" in reasons


@pytest.mark.hazard("H33")
def test_systemic_therapy_names_the_options_that_held_it_back():
    assessment = assess(make_factors(), CONTENT)

    assert "resection, RFA and MWA" in deciding_reasons(CONTENT, assessment, "systemic")[0]
    assert "liver surgery" in patient_reasons(CONTENT, assessment, "systemic")[0]


@pytest.mark.parametrize("overrides,figures", [
    ({}, True),
    (dict(child_pugh_score=7, cirrhosis=True), False),
    (dict(ecog=2), False),
    (dict(prior_systemic_lines=1), False),
    (dict(prior_liver_transplant=True, transplant_candidate=False), False),
])
@pytest.mark.hazard("H32")
@pytest.mark.hazard("H41")
def test_first_line_survival_figures_only_for_the_trial_population(overrides, figures):
    assessment = assess(make_factors(**overrides), CONTENT)

    assert ("16 to 24 months" in option_text(CONTENT, assessment, "systemic", "goal_text")) \
        is figures


@pytest.mark.hazard("H41")
@pytest.mark.parametrize("score,figure", [(5, True), (6, True), (7, False), (9, False)])
def test_sbrt_liver_damage_figure_is_not_given_with_child_pugh_b(score, figure):
    assessment = assess(make_factors(child_pugh_score=score, cirrhosis=True), CONTENT)

    assert ("Fewer than 5 in 100" in option_text(CONTENT, assessment, "sbrt", "side_effects")) \
        is figure


@pytest.mark.hazard("H42")
@pytest.mark.parametrize("overrides,main_focus", [
    ({}, False), (dict(ecog=3), True), (dict(child_pugh_score=10, cirrhosis=True), True)])
def test_supportive_care_says_main_focus_only_in_end_stage_disease(overrides, main_focus):
    assessment = assess(make_factors(**overrides), CONTENT)
    clinician = deciding_reasons(CONTENT, assessment, "supportive_care")[0]

    assert ("about 3 months" in clinician) is main_focus
    assert ("main care" in patient_reasons(CONTENT, assessment, "supportive_care")[0]) \
        is main_focus


def test_child_pugh_b_within_milan_is_told_a_transplant_treats_the_liver_disease_too():
    assessment = assess(make_factors(child_pugh_score=8, cirrhosis=True), CONTENT)

    assert assessment.result("transplant").verdict is Verdict.APPLICABLE
    assert "treats both the cancer and the liver disease" in patient_reasons(
        CONTENT, assessment, "transplant")[0]


@pytest.mark.hazard("H35")
def test_draft_content_says_so_on_every_page_and_never_that_the_team_checked_it(tmp_path):
    """8.3 T9: while reviewed_by is a placeholder the sheet says "draft"; dates are in words."""
    assessment = assess(make_factors(), CONTENT)
    texts = sheet_texts(assessment)
    joined = " ".join(t for _, t in texts)

    assert CONTENT.draft
    assert any("draft, not yet clinically reviewed" in t
               for where, t in texts if where == "sheet footer")  # the footer is on every page
    assert "your care team has checked this information" not in joined.lower()
    assert "last reviewed" not in joined.lower()
    assert not re.search(r"\d{4}-\d{2}-\d{2}", joined)
    assert "December 3, 2026" in joined  # the date prepared, in words


@pytest.mark.hazard("H35")
def test_signed_content_says_the_team_checked_it(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    for path in root.rglob("*.toml"):
        text = path.read_text(encoding="utf-8")
        signed_text = re.sub(r'reviewed_by = ".*"', 'reviewed_by = "Dr A. Reviewer"', text)
        path.write_text(signed_text, encoding="utf-8")
    signed = load_content(root)
    joined = " ".join(t for _, t in sheet_texts(assess(make_factors(), signed), signed))

    assert not signed.draft
    assert "Your care team has checked this information." in joined
    assert "last reviewed on December 1, 2026" in joined


@SETTINGS
@given(patients())
def test_a_reason_that_names_options_always_names_at_least_one(data):
    assessment = assess(data, CONTENT)
    for option in CONTENT.options:
        for text in (*deciding_reasons(CONTENT, assessment, option.id),
                     *patient_reasons(CONTENT, assessment, option.id)):
            assert "()" not in text and "{options}" not in text and ": ." not in text, text


@pytest.mark.parametrize("overrides,shown", [
    ({}, True), (dict(child_pugh_score=10, cirrhosis=True), False), (dict(ecog=3), False),
    (dict(prior_systemic_lines=1), False),
    (dict(prior_liver_transplant=True, transplant_candidate=False), False)])
def test_the_nivolumab_ipilimumab_note_only_where_a_first_line_choice_is_made(overrides, shown):
    assessment = assess(make_factors(**overrides), CONTENT)

    assert ("SYS-N8" in assessment.result("systemic").notes) is shown


@pytest.mark.hazard("H106")
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_asking_whether_there_was_a_transplant_does_not_say_there_was_one(lang):
    """With the previous transplant not yet known, the sheet asks about it ("whether you have
    ever had a liver transplant"); that question must not read as the claim that there was one
    (the generated patients always know it, so this case is tried here)."""
    assessment = assess(make_factors(prior_liver_transplant=None), CONTENT)
    texts = patient_texts(assessment, lang=lang) + sheet_texts(assessment, lang=lang)
    label = claim_form(CONTENT.factor("prior_liver_transplant").patient_label[lang])

    assert any(label in claim_form(t) for _, t in texts)  # the question is on the sheet
    assert contradictions(assessment, texts, lang=lang) == []


def _with_unknowns(data):
    """The generated patient with some core values not yet known (null), as a clinic has them."""
    from hypothesis import strategies as st

    core = [f.id for f in CONTENT.factors if f.core and f.id in data]
    return st.sets(st.sampled_from(core), max_size=4).map(
        lambda unknown: {k: (None if k in unknown else v) for k, v in data.items()})


@pytest.mark.hazard("H106")
@pytest.mark.parametrize("lang", ["en", "fr"])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=patients().flatmap(_with_unknowns))
def test_no_patient_text_contradicts_a_patient_with_values_not_yet_known(lang, data):
    assessment = assess(data, CONTENT)

    assert contradictions(assessment, patient_texts(assessment, lang=lang), lang=lang) == []


# "Nothing calls for extra care" said in the same cell as a note the team will keep in mind
# (the drug cell for a main portal-vein invasion said both). The phrase of each language that
# says nothing calls for care.
NOTHING_CALLS_FOR_CARE = {"en": "call for extra care", "fr": "prudence particulière"}


@pytest.mark.hazard("H36")
@pytest.mark.parametrize("lang", ["en", "fr"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=patients())
def test_a_sheet_cell_with_a_note_to_keep_in_mind_never_says_nothing_calls_for_care(lang, data):
    from dashboard.core.sheet import reasons, sheet_agent_notes

    assessment = assess(data, CONTENT)
    for option in CONTENT.options:
        result = assessment.result(option.id)
        notes = sheet_agent_notes(result, CONTENT, lang)
        deciding, _noted = reasons(result, CONTENT, lang)
        if notes:
            assert not [r for r in deciding if NOTHING_CALLS_FOR_CARE[lang] in r.lower()], (
                option.id, deciding, notes)


@pytest.mark.hazard("H36")
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_main_portal_vein_invasion_is_a_note_in_the_drug_cell_without_nothing_calls_for_care(
        lang):
    from dashboard.core.sheet import reasons, sheet_agent_notes

    result = assess(make_factors(portal_vein_invasion="main"), CONTENT).result("systemic")
    assert result.verdict is Verdict.APPLICABLE
    assert sheet_agent_notes(result, CONTENT, lang)
    assert not [r for r in reasons(result, CONTENT, lang)[0]
                if NOTHING_CALLS_FOR_CARE[lang] in r.lower()]
