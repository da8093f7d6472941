"""Screen helpers without Streamlit: value wording, review banner date, the comparison frame."""

from __future__ import annotations

from datetime import timedelta

from dashboard.adapters import frames as tables
from dashboard.core.engine import assess
from dashboard.screen import view
from tests.conftest import BASELINE, make_factors


def test_unknown_and_absent_values_are_words_not_blanks(content):
    assert view.format_value(content.factor("cirrhosis"), None) == "Not yet known"
    assert view.format_value(content.factor("inr"), None) == "Not entered"
    assert view.format_value(content.factor("bilirubin_umol_l"), 12) == "12 µmol/L"
    assert view.format_value(content.factor("ecog"), 1) == "1 – light work only"
    assert view.format_value(content.factor("cirrhosis"), False) == "No"


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
            reads_nothing = not list(view.condition_facts(content.rule(item.rule_id).when))
            assert item.values or reads_nothing, (option.id, item.rule_id)



def test_every_derived_fact_has_a_screen_label_in_content(content):
    from dashboard.core.derive import DERIVED_FACTS

    for fact in DERIVED_FACTS:
        assert content.string(f"ui.derived_{fact}").strip(), fact
