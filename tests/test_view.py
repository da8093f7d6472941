"""Screen helpers without Streamlit: value wording, review banner date, the comparison frame."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dashboard.adapters import frames as tables
from dashboard.core.content import condition_facts
from dashboard.core.engine import assess
from dashboard.screen import view
from tests.conftest import BASELINE, make_factors


def test_unknown_and_absent_values_are_words_not_blanks(content):
    assert view.format_value(content, content.factor("cirrhosis"), None) == "Not yet known"
    assert view.format_value(content, content.factor("inr"), None) == "Not entered"
    assert view.format_value(content, content.factor("bilirubin_umol_l"), 12) == "12 µmol/L"
    assert view.format_value(content, content.factor("ecog"), 1) == "1 – light work only"
    assert view.format_value(content, content.factor("cirrhosis"), False) == "No"


def test_the_review_banner_date_appears_only_once_a_review_date_has_passed(content):
    earliest = min(o.next_review for o in content.options)

    assert view.overdue_review(content, earliest) is None
    assert view.overdue_review(content, earliest + timedelta(days=1)) == earliest


def test_the_comparison_frame_has_no_missing_cells_in_any_mode(content):
    assessment = assess(make_factors(portal_vein_invasion="main"), content)

    every = tables.comparison_frame(content, assessment)
    some = tables.comparison_frame(content, assessment, ["tare", "systemic"])
    none = tables.comparison_frame(content, assessment, [])

    assert list(every.index) == [o.name() for o in content.options]
    assert list(some.index) == [content.option("tare").name(), content.option("systemic").name()]
    assert none.empty
    for frame in (every, some):
        assert not frame.isna().any().any()
        assert "nan" not in " ".join(frame.to_numpy().ravel()).lower().split()


def test_every_finding_names_its_sources_and_the_values_it_read(content):
    assessment = assess(BASELINE, content)

    for option in content.options:
        for item in view.finding_views(assessment, content, option.id):
            assert item.tag in ("Canadian Cancer Society page", "Clinical guideline detail")
            assert all(s.citation for s in item.sources)
            reads_nothing = not list(condition_facts(content.rule(item.rule_id).when))
            assert item.values or reads_nothing, (option.id, item.rule_id)



def test_every_derived_fact_has_a_screen_label_in_content(content):
    from dashboard.core.derive import DERIVED_FACTS

    for fact in DERIVED_FACTS:
        assert content.string(f"ui.derived_{fact}").strip(), fact


def _option_rules(content):
    """Every rule that can decide an option's verdict (its default, its rules, the wish rule)."""
    rules = {"PREF-1"}
    for option in content.options:
        rules.add(option.default.id)
        rules |= {rule.id for rule in option.rules}
    return sorted(rules)


@pytest.mark.hazard("H61")
def test_every_option_rule_has_a_card_reason_of_at_most_fifteen_words(content):
    missing = [r for r in _option_rules(content) if f"ui.card_{r}" not in content.strings["en"]]
    assert not missing, f"add card_<rule id> lines to content/ui.toml for: {missing}"
    long = {r: content.string(f"ui.card_{r}") for r in _option_rules(content)
            if len(content.string(f"ui.card_{r}").split()) > 15}
    assert not long, long


@pytest.mark.hazard("H61")
def test_the_card_reason_is_the_short_text_and_unknown_values_name_their_fields(content):
    result = assess(make_factors(ecog=None), content).result("resection")
    unknown = next(f for f in result.findings if f.unknown)
    decided = assess(BASELINE, content).result("resection").main_finding

    assert view.card_reason(content, decided) == content.string(f"ui.card_{decided.rule_id}")
    assert "ECOG" in view.card_reason(content, unknown)
    assert view.option_unknown(content, result) == ["ECOG performance status"]


@pytest.mark.hazard("H61")
def test_a_card_lists_only_the_unknown_fields_its_own_rules_read(content):
    factors = make_factors(recurrence_site="extrahepatic_only", liver_tumour_count=0,
                           largest_tumour_cm=0, remnant_adequate=None)
    assessment = assess(factors, content)

    assert view.option_unknown(content, assessment.result("systemic")) == []
    assert all("remnant" not in " ".join(view.option_unknown(content, r)).lower()
               for r in assessment.results)  # not asked for a lung-only recurrence


@pytest.mark.hazard("H62")
def test_every_error_is_found_at_once_not_in_rounds(content):
    """A word in a number field and a contradiction elsewhere: both reported together."""
    data = make_factors(largest_tumour_cm="big", liver_tumour_count=0)  # E3: liver only, 0
    first = assess(data, content)

    issues = view.screen_issues(content, data, first)

    fields = {i.field for i in issues.errors}
    assert "largest_tumour_cm" in fields
    assert any(i.code == "E3" for i in issues.errors)
    assert {i.field for i in first.errors} == {"largest_tumour_cm"}  # the engine alone: a round


@pytest.mark.hazard("H62")
def test_messages_are_in_clinician_words_never_codes(content):
    data = make_factors(largest_tumour_cm="big", ecog=2.5, inr="1,5", child_pugh_score=17)
    issues = view.screen_issues(content, data, assess(data, content))

    words = {i.field: view.issue_words(content, i, data) for i in issues.errors}
    assert words["largest_tumour_cm"] == "Type a number such as 2.5."
    assert "decimal point" in words["inr"]
    assert all("must be" not in w and "finite" not in w for w in words.values())


@pytest.mark.parametrize("typed,unit,said", [
    ({"bilirubin_umol_l": 1.2}, "µmol/L", "1.2 µmol/L looks like mg/dL: 1.2 mg/dL is 21 µmol/L"),
    ({"bilirubin_umol_l": None, "bilirubin_mg_dl": 40}, "mg/dL",
     "40 mg/dL looks like µmol/L: 40 µmol/L is 2.3 mg/dL"),
])
@pytest.mark.hazard("H62")
def test_the_unit_warning_says_what_was_typed_and_what_it_may_mean(content, typed, unit, said):
    data = make_factors(**typed)
    assessment = assess(data, content)

    warning = next(w for w in assessment.warnings if w.code == "W6")

    assert view.issue_words(content, warning, data).startswith(said)


@pytest.mark.hazard("H65")
def test_the_calculators_stay_live_while_another_field_is_wrong(content):
    data = make_factors(largest_tumour_cm="big", child_pugh_score=None, bilirubin_umol_l=21,
                        albumin_g_l=34, inr=1.2, ascites="none", encephalopathy="none")
    issues = view.screen_issues(content, data, assess(data, content))

    assert issues.errors and issues.derived is not None
    assert sum(issues.derived.child_pugh_points.values()) == 6  # 1 + 2 + 1 + 1 + 1


def test_the_chart_note_is_plain_text_with_code_version_and_no_name_unless_asked(content):
    assessment = assess(BASELINE, content)
    note = view.chart_note(content, assessment, ("resection", "rfa"), today=date(2026, 12, 1))
    named = view.chart_note(content, assessment, ("resection",), today=date(2026, 12, 1),
                            patient_name="Ann  Lee")

    assert "2026-12-01" in note and assessment.fingerprint in note and content.version in note
    assert content.option("resection").name("en") in note
    assert content.string(f"ui.card_{assessment.result('rfa').main_finding.rule_id}") in note
    assert content.option("tace").name("en") not in note  # only the options discussed
    assert "Patient:" not in note and "Patient: Ann Lee" in named
    assert "**" not in note and "\\" not in note
