"""The DiscussionSheet (core/sheet.py): the two-page Option Grid sheet, its optional sections,
wording rules, reading level, and every sentence from content in the chosen language."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any

import pytest
import textstat

from dashboard.core.assessment import Verdict
from dashboard.core.content import Content
from dashboard.core.document import (
    Bullets,
    Glossary,
    Heading,
    LabelledValue,
    OptionTable,
    Paragraph,
    TickBoxes,
)
from dashboard.core.engine import assess
from dashboard.core.explain import option_items
from dashboard.core.sheet import (
    DEFAULT_AT_MOST,
    FIT_WORDS,
    GLOSSARY_MAX,
    SheetChoices,
    SheetInputError,
    build_sheet,
    default_selection,
    discussable,
    page_target,
    reasons,
)
from tests.conftest import make_factors

TODAY = date(2026, 11, 26)
SCENARIOS = {
    "small single tumour": {},
    "outside the liver with bone pain": {"recurrence_site": "extrahepatic_only",
                                             "liver_tumour_count": 0, "largest_tumour_cm": 0,
                                             "painful_bone_metastases": True},
    "poor liver function": {"child_pugh_score": 10, "cirrhosis": True},
    "unknowns and declines treatment": {"ecog": None, "bilirubin_umol_l": None,
                                            "patient_goal": "declines_active"},
    "main portal vein invasion": {"portal_vein_invasion": "main", "liver_tumour_count": 3,
                                      "largest_tumour_cm": 6},
}
ALL_SECTIONS = {"include_not_fitting": True, "more_about_options": True, "full_sources": True}
FORBIDDEN = re.compile(r"\b(recommend\w*|best|you should|must)\b", re.IGNORECASE)


def _sheet(content, overrides=None, **choices):
    """A sheet with every optional section unless told otherwise (so every sentence is seen)."""
    assessment = assess(make_factors(**(overrides or {})), content)
    selection = choices.pop("selected", discussable(assessment))
    choices = {**ALL_SECTIONS, **choices}
    today = choices.pop("today", TODAY)
    lang = choices.pop("lang", "en")
    return build_sheet(assessment, content, SheetChoices(selected=selection, **choices),
                       today=today, lang=lang)


def _strings(sheet, *, prose_only=False) -> list[str]:
    """Every string the sheet prints; with prose_only, the patient-facing sentences only."""
    out: list[str] = [] if prose_only else [sheet.title, *sheet.footer_lines, sheet.page_label]
    sources = False
    for block in sheet.blocks:
        if isinstance(block, Heading):
            sources = block.text == sheet_words(sheet)["sources"]
            if not prose_only:
                out.append(block.text)
        elif sources and prose_only:
            continue
        elif isinstance(block, Paragraph) and not (prose_only and block.user_field):
            out.append(block.text)
        elif isinstance(block, (Bullets, TickBoxes)):
            out += [i if i.rstrip().endswith((".", "?", ":", "!")) else i + "."
                    for i in block.items]
        elif isinstance(block, OptionTable):  # as it is read: the names, then row by row
            out += [] if prose_only else list(block.columns)
            out += [t for label, cells in block.rows
                    for t in ([] if prose_only else [label]) + list(cells)]
        elif isinstance(block, Glossary):
            out += [d for _, d in block.entries]
            out += [] if prose_only else [t for t, _ in block.entries]
        elif isinstance(block, LabelledValue) and not prose_only:
            out += [block.label, block.value]
    return out


_WORDS: dict[str, Any] = {}


def sheet_words(sheet) -> dict[str, str]:
    return _WORDS


@pytest.fixture(autouse=True)
def _words(content):
    _WORDS["sources"] = content.string("sheet.sources_heading")


def _blocks_after(sheet, heading_text: str) -> list:
    index = next(i for i, b in enumerate(sheet.blocks) if getattr(b, "text", "") == heading_text)
    rest = []
    for block in sheet.blocks[index + 1:]:
        if isinstance(block, Heading) and block.level == 1:
            break
        rest.append(block)
    return rest


def _grids(sheet) -> list[OptionTable]:
    return [b for b in sheet.blocks if isinstance(b, OptionTable)]


def _headings(sheet) -> list[str]:
    return [b.text for b in sheet.blocks if isinstance(b, Heading)]


# --------------------------------------------------------------------------- page 1


def test_the_grid_columns_are_the_chosen_options_and_nothing_else(content):
    sheet = _sheet(content, selected=("rfa", "tace"), include_not_fitting=False)

    assert [c for t in _grids(sheet) for c in t.columns] == [content.option("rfa").name(),
                                                            content.option("tace").name()]
    text = " ".join(_strings(sheet))
    for other in ("resection", "transplant", "sbrt", "systemic"):
        assert content.option(other).name() not in text


def test_a_grid_holds_at_most_four_options_and_the_next_grid_continues(content):
    sheet = _sheet(content, selected=("resection", "transplant", "rfa", "mwa", "tace"))
    grids = _grids(sheet)

    assert [len(t.columns) for t in grids] == [4, 1]
    assert all(len(cells) == len(t.columns) for t in grids for _, cells in t.rows)


def test_the_grid_rows_are_the_questions_patients_ask_in_order(content):
    grid = _grids(_sheet(content, selected=("rfa",)))[0]

    assert [label for label, _ in grid.rows] == [content.string(f"sheet.{k}") for k in (
        "row_what", "row_how", "row_stay", "row_side_effects", "row_aim", "row_fit")]
    option = content.option("rfa")
    assert grid.rows[0][1][0] == option.text["grid.what"]["en"]


@pytest.mark.hazard("H110")
def test_the_default_selection_is_three_at_most_those_that_may_fit_first_in_content_order(
        content):
    """The one default (command line, clinic day, the screen's suggestion): at most three, never
    an option that does not fit, every applicable one before any caution one, each group in
    content order, and all that may be discussed when they are fewer than three."""
    from tests.generated_profiles import profiles

    order = [o.id for o in content.options]
    seen = set()
    for factors in [make_factors(**o) for o in SCENARIOS.values()] + profiles(content, 300):
        assessment = assess(factors, content)
        if not assessment.ok:
            continue
        chosen = default_selection(assessment)
        verdicts = [assessment.result(o).verdict for o in chosen]
        assert len(chosen) == min(DEFAULT_AT_MOST, len(discussable(assessment))), chosen
        assert Verdict.NOT_APPLICABLE not in verdicts
        assert verdicts == sorted(verdicts, key=lambda v: v is not Verdict.APPLICABLE), chosen
        for verdict in (Verdict.APPLICABLE, Verdict.CAUTION):
            group = [o for o, v in zip(chosen, verdicts) if v is verdict]
            assert group == sorted(group, key=order.index)
            left_out = [o for o in discussable(assessment) if o not in chosen
                        and assessment.result(o).verdict is verdict]
            assert not (left_out and group and order.index(left_out[0])
                        < order.index(group[-1])), chosen  # never skips one in its group
        if Verdict.CAUTION in verdicts:  # a caution option only once every applicable is in
            assert all(o in chosen for o in discussable(assessment)
                       if assessment.result(o).verdict is Verdict.APPLICABLE)
        seen.add(tuple(verdicts))
    assert len(seen) > 3  # the profiles reach mixed selections, not one shape


@pytest.mark.parametrize("option_id", ["resection", "transplant", "rfa", "mwa", "pei", "tace",
                                       "tare", "sbrt", "systemic", "supportive_care",
                                       "clinical_trial"])
@pytest.mark.hazard("H55")
def test_grid_texts_are_short(content, option_id):
    option = content.option(option_id)
    for key in ("grid.what", "grid.how", "grid.stay", "grid.side_effects", "grid.aim"):
        assert len(option.text[key]["en"].split()) <= 35, key


@pytest.mark.hazard("H52")
@pytest.mark.parametrize("name", SCENARIOS)
def test_why_it_may_fit_gives_the_verdict_and_every_deciding_reason_first(content, name):
    assessment = assess(make_factors(**SCENARIOS[name]), content)
    chosen = discussable(assessment)[:4] or ("supportive_care",)
    sheet = build_sheet(assessment, content, SheetChoices(selected=chosen), today=TODAY)
    fit_cells = _grids(sheet)[0].rows[-1][1]

    for option_id, cell in zip(chosen, fit_cells):
        result = assessment.result(option_id)
        deciding, noted = reasons(result, content, "en")
        status = content.string(f"sheet.fit_{result.verdict.value}")
        assert cell.startswith(status + " " + deciding[0])
        assert all(reason in cell for reason in deciding)
        extra = len(" ".join(r for r in noted if r in cell).split())
        assert extra <= FIT_WORDS


@pytest.mark.hazard("H52")
def test_missing_values_are_named_once_in_plain_words(content):
    assessment = assess(make_factors(ecog=None, bilirubin_umol_l=None), content)
    deciding, noted = reasons(assessment.result("tace"), content, "en")
    text = " ".join(deciding + noted)

    assert text.count(content.string("sheet.unknown_patient").split("{")[0].strip()) == 1
    assert content.factor("ecog").patient_label["en"] in text


SITUATIONS = [
    ({}, ["site_liver_only_one", "liver_A", "activity_0"]),
    ({"liver_tumour_count": 3, "largest_tumour_cm": 4}, ["site_liver_only_many", "liver_A",
                                                       "activity_0"]),
    ({"recurrence_site": "extrahepatic_only", "liver_tumour_count": 0, "largest_tumour_cm": 0,
          "ecog": 1}, ["site_extrahepatic_only", "liver_A", "activity_1"]),
    ({"recurrence_site": "liver_and_extrahepatic", "portal_vein_invasion": "lobar",
          "child_pugh_score": 8, "ecog": 2}, ["site_liver_and_extrahepatic", "vein_branch_invaded",
                                       "liver_B", "activity_2"]),
    ({"portal_vein_invasion": "main"}, ["site_liver_only_one", "vein_invaded", "liver_A",
                                        "activity_0"]),
    ({"child_pugh_score": 11, "ecog": 3}, ["site_liver_only_one", "liver_C", "activity_3"]),
    ({"child_pugh_score": None, "bilirubin_umol_l": None, "ecog": None},
     ["site_liver_only_one", "liver_unknown", "activity_unknown"]),
]


@pytest.mark.hazard("H53")
@pytest.mark.parametrize("overrides, keys", SITUATIONS)
def test_your_situation_says_only_what_is_true_for_this_patient(content, overrides, keys):
    sheet = _sheet(content, overrides)
    paragraph = _blocks_after(sheet, content.string("sheet.situation_heading"))[0]
    factors = make_factors(**overrides)
    expected = [content.string(f"sheet.{k}").format(
        count=factors["liver_tumour_count"], size=f"{factors['largest_tumour_cm']:g}")
        for k in keys]

    assert paragraph.text == " ".join(expected)
    assert 2 <= len(keys) <= 4


def test_dates_are_in_words_from_content(content):
    sheet = _sheet(content, today=date(2026, 12, 1))
    prepared = next(b for b in sheet.blocks if isinstance(b, LabelledValue)
                    and b.label == content.string("sheet.label_prepared") + ":")

    assert prepared.value == "December 1, 2026"
    assert not re.search(r"\d{4}-\d{2}-\d{2}", " ".join(_strings(sheet)))


# --------------------------------------------------------------------------- page 2


def test_questions_are_tick_boxes_general_ones_and_at_most_two_per_option(content):
    one = _sheet(content, selected=("tace",))
    three = _sheet(content, selected=("resection", "rfa", "tace"))
    ticks = next(b for b in _blocks_after(one, content.string("sheet.questions_heading"))
                 if isinstance(b, TickBoxes))
    general = content.string("sheet.general_questions")

    assert list(ticks.items[:len(general)]) == general
    assert len(ticks.items) == len(general) + 2
    assert content.option("tace").lists["questions"]["en"][0] in ticks.items[len(general)]
    ticks3 = next(b for b in _blocks_after(three, content.string("sheet.questions_heading"))
                  if isinstance(b, TickBoxes))
    assert len(ticks3.items) == len(general) + 3


NOT_FITTING_IN = {"outside the liver with bone pain", "poor liver function",
                  "main portal vein invasion"}


@pytest.mark.hazard("H87")
@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_an_option_that_does_not_fit_asks_why_not_how_it_is_done(content, scenario, lang):
    """A post-transplant patient's sheet asked "Liver transplant: Could I go on the transplant
    waiting list?" and "Chemoembolization: How many treatments might I need?" beside columns
    saying both do not fit: an option's own questions take it for granted. A selected option
    that does not fit asks why, and whether that could change; the others keep their own."""
    assessment = assess(make_factors(**SCENARIOS[scenario]), content)
    general = content.string("sheet.general_questions", lang)
    not_fit = content.string("sheet.not_fit_question", lang)
    seen = set()
    for option in content.options:
        verdict = assessment.result(option.id).verdict
        seen.add(verdict)
        sheet = _sheet(content, SCENARIOS[scenario], selected=(option.id,), lang=lang)
        ticks = next(b for b in _blocks_after(sheet, content.string("sheet.questions_heading",
                                                                    lang))
                     if isinstance(b, TickBoxes))
        own = list(ticks.items[len(general):])
        mine = option_items(content, assessment, option.id, "questions", lang)
        if verdict is Verdict.NOT_APPLICABLE:
            assert len(own) == 1 and own[0].endswith(not_fit), (option.id, own)
            assert not any(q in item for q in mine for item in own), (option.id, own)
        else:
            assert len(own) == 2 and own[0].endswith(mine[0]), (option.id, own)
            assert not any(not_fit in item for item in own)
    # the test would pass vacuously without an option that does not fit
    assert (Verdict.NOT_APPLICABLE in seen) is (scenario in NOT_FITTING_IN), (scenario, seen)


# (tumours in the liver, surgery ruled out?) -> what the ablation questions must and must not say
ABLATION_QUESTIONS = [
    (1, False, "Is my tumour", "Are my tumours", True),
    (1, True, "Is my tumour", "Are my tumours", False),
    (3, False, "Are my tumours", "Is my tumour", True),
    (3, True, "Are my tumours", "Is my tumour", False),
    (None, False, "tumours in my liver", "my tumour ", True),
    (None, True, "tumours in my liver", "my tumour ", False),
]


@pytest.mark.hazard("H112")
@pytest.mark.parametrize("count, no_surgery, says, never, compares", ABLATION_QUESTIONS)
@pytest.mark.parametrize("option_id", ["rfa", "mwa"])
def test_ablation_questions_are_true_for_the_number_of_tumours_and_the_surgery_verdict(
        content, option_id, count, no_surgery, says, never, compares):
    """Several variants of one text: the first whose condition holds wins (content order, the
    most particular first), so the number of tumours and the surgery verdict are both
    respected; with the number not yet known the usual, count-free list is used. ("Is my
    tumour small enough" was said to a patient with three tumours.)"""
    overrides = {"liver_tumour_count": count, "largest_tumour_cm": 2.5}
    if no_surgery:
        overrides["fit_for_major_surgery"] = False
    assessment = assess(make_factors(**overrides), content)
    assert (assessment.result("resection").verdict is Verdict.NOT_APPLICABLE) is no_surgery
    questions = option_items(content, assessment, option_id, "questions", "en")
    french = option_items(content, assessment, option_id, "questions", "fr")

    assert any(says in q for q in questions) and not any(never in q for q in questions)
    assert any("surgery" in q for q in questions) is compares
    assert any("opération" in q for q in french) is compares
    assert any(("ma tumeur" in q.lower()) for q in french) is (count == 1)
    assert any("mes tumeurs" in q.lower() for q in french) is (count == 3)


def test_next_steps_name_the_team_phone(content):
    sheet = _sheet(content, team_phone="613-555-0199")
    after = _blocks_after(sheet, content.string("sheet.next_heading"))

    phone = next(b for b in after if isinstance(b, LabelledValue))
    assert (phone.value, phone.user_field) == ("613-555-0199", "team_phone")
    assert any(isinstance(b, Bullets) for b in after)


def test_notes_are_printed_only_when_there_are_notes(content):
    heading = content.string("sheet.notes_heading")

    assert heading not in _headings(_sheet(content))
    sheet = _sheet(content, notes="Bring your medicines.")
    assert heading in _headings(sheet)
    assert _blocks_after(sheet, heading)[0].text == "Bring your medicines."


@pytest.mark.parametrize("name", SCENARIOS)
def test_words_to_know_are_used_on_the_sheet_few_and_in_order_of_use(content, name):
    sheet = _sheet(content, SCENARIOS[name], include_not_fitting=False, more_about_options=False,
                   full_sources=False)
    glossaries = [b for b in sheet.blocks if isinstance(b, Glossary)]
    text = " ".join(s for b in sheet.blocks if not isinstance(b, Glossary)
                    for s in _strings(dataclasses.replace(sheet, blocks=(b,)))).lower()

    entries = glossaries[0].entries if glossaries else ()
    assert len(entries) <= GLOSSARY_MAX
    terms = [t.rstrip(" :\u00a0\u202f") for t, _ in entries]  # printed as labels: "liver:"
    positions = [re.search(rf"(?<!\w){re.escape(t.lower())}(?!\w)", text) for t in terms]
    assert all(positions)
    assert [p.start() for p in positions] == sorted(p.start() for p in positions)


def test_a_term_explained_in_brackets_is_not_repeated_in_words_to_know(content):
    sheet = _sheet(content, selected=("resection",))
    glossary = next(b for b in sheet.blocks if isinstance(b, Glossary))

    assert "keyhole surgery" in content.option("resection").text["grid.how"]["en"]
    assert "keyhole surgery" not in [t.rstrip(":") for t, _ in glossary.entries]
    assert all(t.endswith(":") for t, _ in glossary.entries)  # printed as labels


def _words_to_know(sheet) -> list[str]:
    glossaries = [b for b in sheet.blocks if isinstance(b, Glossary)]
    return [t.rstrip(" :\u00a0\u202f") for t, _ in (glossaries[0].entries if glossaries else ())]


@pytest.mark.hazard("H114")
@pytest.mark.parametrize("lang,option_id,word", [
    ("en", "resection", "liver"), ("en", "transplant", "liver"), ("en", "pei", "tumour"),
    ("fr", "resection", "foie"), ("fr", "transplant", "foie"), ("fr", "pei", "tumeur"),
])
def test_a_basic_word_in_a_chosen_options_name_is_still_in_words_to_know(content, lang,
                                                                         option_id, word):
    """"Liver surgery" uses the word liver, it does not explain it: a word marked basic is in
    words to know whenever the sheet uses it (it was left out whenever a chosen option's name
    held it, so most sheets never said what the liver is)."""
    entry = next(e for e in content.string("sheet.glossary", lang) if e["term"] == word)
    assert entry.get("basic") is True
    assert word in content.option(option_id).name(lang).lower()
    sheet = build_sheet(assess(make_factors(), content), content,
                        SheetChoices(selected=(option_id,)), today=TODAY, lang=lang)

    assert word in _words_to_know(sheet)


@pytest.mark.hazard("H114")
@pytest.mark.parametrize("lang,term", [("en", "chemoembolization"),
                                       ("fr", "chimioembolisation")])
def test_a_term_that_is_a_chosen_options_name_stays_out_of_words_to_know(content, lang, term):
    """Its own column explains it (a whole-name rule brought French "chimioembolisation" back
    beside the "Chimioembolisation transartérielle" column)."""
    entry = next(e for e in content.string("sheet.glossary", lang) if e["term"] == term)
    assert not entry.get("basic")
    sheet = build_sheet(assess(make_factors(), content), content,
                        SheetChoices(selected=("tace",)), today=TODAY, lang=lang)
    text = " ".join(_strings(sheet)).lower()

    assert term in text and term not in _words_to_know(sheet)
    assert _words_to_know(sheet)  # the sheet still has words to know


@pytest.mark.hazard("H114")
@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("every", [False, True], ids=["default three", "every open option"])
def test_the_english_and_the_french_sheet_explain_the_same_words(content, name, every):
    """The two glossaries are the same list in two languages: a sheet explains the same words
    in either (the English "side effect" never matched the "side effects" of the sheet, so only
    French sheets said what side effects are)."""
    assessment = assess(make_factors(**SCENARIOS[name]), content)
    selected = discussable(assessment) if every else default_selection(assessment)
    printed = {}
    for lang in ("en", "fr"):
        terms = [e["term"] for e in content.string("sheet.glossary", lang)]
        sheet = build_sheet(assessment, content, SheetChoices(selected=selected), today=TODAY,
                            lang=lang)
        printed[lang] = [terms.index(t) for t in _words_to_know(sheet)]

    assert printed["en"] and printed["en"] == printed["fr"]


def test_by_default_only_the_patient_page_is_named_and_the_full_list_is_offered(content):
    sheet = _sheet(content, include_not_fitting=False, more_about_options=False,
                   full_sources=False)
    text = " ".join(_strings(sheet))

    assert "Treatments for recurrent liver cancer" in text
    assert "available from your care team" in text
    assert content.string("sheet.sources_heading") not in _headings(sheet)
    assert not re.search(r"\[S\d+\]|\bdoi\b|https?://", text)


# --------------------------------------------------------------------------- optional sections


@pytest.mark.hazard("H50")
def test_optional_sections_are_off_unless_ticked(content):
    assessment = assess(make_factors(portal_vein_invasion="lobar"), content)
    plain = build_sheet(assessment, content, SheetChoices(selected=("tace",)), today=TODAY)
    headings = _headings(plain)

    for key in ("more_heading", "not_fit_heading", "sources_heading"):
        assert content.string(f"sheet.{key}") not in headings


def test_options_that_do_not_fit_are_one_line_each_with_their_plain_reason(content):
    sheet = _sheet(content, {"portal_vein_invasion": "lobar"})
    items = next(b for b in _blocks_after(sheet, content.string("sheet.not_fit_heading"))
                 if isinstance(b, Bullets)).items
    assessment = assess(make_factors(portal_vein_invasion="lobar"), content)
    not_fitting = [r for r in assessment.results if r.verdict is Verdict.NOT_APPLICABLE]

    assert len(items) == len(not_fitting)
    resection = next(i for i in items if i.startswith(content.option("resection").name() + ":"))
    assert resection.endswith(reasons(assessment.result("resection"), content, "en")[0][0])


@pytest.mark.hazard("H52")
def test_more_about_each_option_has_every_reason_and_the_checks_for_caution(content):
    sheet = _sheet(content, selected=("transplant",))
    after = _blocks_after(sheet, content.string("sheet.more_heading"))
    text = " ".join(getattr(b, "text", "") or " ".join(getattr(b, "items", ())) for b in after)
    deciding, noted = reasons(assess(make_factors(), content).result("transplant"), content, "en")

    assert all(reason in text for reason in deciding + noted)
    assert content.string("sheet.checks_heading") in text
    assert content.option("transplant").lists["checks"]["en"][0] in text


def test_the_full_sources_print_web_addresses_only_for_pages_written_for_patients(content):
    sheet = _sheet(content)
    items = next(b for b in _blocks_after(sheet, content.string("sheet.sources_heading"))
                 if isinstance(b, Bullets)).items

    for item in items:
        ref = content.reference(item[1:item.index("]")])
        assert ("http" in item) == (ref.kind in ("CCS", "patient_info") and bool(ref.url))
    assert any(item.startswith("[S1] ") and "cancer.ca" in item for item in items)


# --------------------------------------------------------------------------- footer and size


@pytest.mark.hazard("H08", "H09", "H22", "H35")
def test_the_footer_is_one_disclaimer_line_then_page_check_code_version_and_status(content):
    sheet = _sheet(content)
    label = sheet.page_label.format(page=1, pages=2)

    assert sheet.footer_lines == (content.string("sheet.footer_disclaimer"),)
    assert label.startswith("Page 1 of 2")
    assert assess(make_factors(), content).fingerprint in label
    assert content.version in label
    assert content.string("sheet.status_draft") in label  # reviewers are still placeholders


@pytest.mark.hazard("H06")
def test_reviewed_content_prints_its_review_date_and_overdue_content_says_so(content):
    named = "Dr. A. Reviewer, hepatology"
    reviewed = dataclasses.replace(
        content, options=tuple(dataclasses.replace(o, reviewed_by=named) for o in content.options),
        reviews=tuple(dataclasses.replace(r, reviewed_by=named) for r in content.reviews))
    assert not reviewed.draft
    last, following = reviewed.review_dates

    label = _sheet(reviewed).page_label
    assert "draft" not in label and f"{last:%B} {last.day}, {last.year}" in label
    late = _sheet(reviewed, today=following.replace(year=following.year + 1)).page_label
    assert f"{following:%B} {following.day}, {following.year}" in late
    assert content.string("sheet.status_overdue").split("(")[0].strip() in late


@pytest.mark.parametrize("count, large, pages", [(1, False, 2), (3, False, 2), (4, False, 3),
                                                 (5, False, 3), (3, True, 4), (5, True, 6)])
@pytest.mark.hazard("H50")
def test_the_page_target_is_two_pages_plus_half_a_page_per_further_option(count, large,
                                                                           pages):
    assert page_target(count, SheetChoices(selected=(), large_print=large)) == pages
    more = page_target(count, SheetChoices(selected=(), large_print=large,
                                           more_about_options=True))
    assert more == pages + (2 if large else 1) * count  # at most a page per option
    assert page_target(count, SheetChoices(selected=(), full_sources=True)) == 0


@pytest.mark.hazard("H14")
@pytest.mark.parametrize("name", SCENARIOS)
def test_no_directive_or_ranking_wording_anywhere(content, name):
    strings = _strings(_sheet(content, SCENARIOS[name]))
    # Citations keep their publications' own titles ("… treatment recommendation: …").
    ours = " ".join(s for s in strings if not re.match(r"\[S\d+\] ", s))

    assert FORBIDDEN.findall(ours) == []


@pytest.mark.hazard("H55")
@pytest.mark.parametrize("name", SCENARIOS)
def test_patient_text_reads_at_or_below_grade_eight(content, name):
    prose = " ".join(_strings(_sheet(content, SCENARIOS[name]), prose_only=True))

    assert textstat.flesch_kincaid_grade(prose) <= 8.0


@pytest.mark.parametrize("name", SCENARIOS)
def test_patient_prose_carries_no_inline_source_markers(content, name):
    prose = " ".join(_strings(_sheet(content, SCENARIOS[name]), prose_only=True))

    assert re.findall(r"\[S\d+\]", prose) == []


def test_user_text_is_normalised_and_printed_as_typed(content):
    typed = "Nguye\u0302\u0303n **Bob** <b>x</b> $x$\u202e\u200b"
    sheet = _sheet(content, patient_name=typed, notes="Line 1\r\nLine -- 2\x07")

    name = next(b for b in sheet.blocks if isinstance(b, LabelledValue))
    notes = next(b for b in sheet.blocks if getattr(b, "user_field", "") == "notes")
    assert name.value == "Nguyễn **Bob** <b>x</b> $x$"
    assert notes.text == "Line 1\nLine -- 2"


def test_a_whitespace_only_name_is_empty(content):
    sheet = _sheet(content, patient_name="   \t ")

    assert next(b for b in sheet.blocks if isinstance(b, LabelledValue)).value == ""


def test_a_name_over_one_hundred_characters_is_refused_with_the_field(content):
    with pytest.raises(SheetInputError) as caught:
        _sheet(content, patient_name="A" * 101)

    assert caught.value.field == "patient_name"


def test_metadata_and_file_name_never_carry_the_name(content):
    sheet = _sheet(content, patient_name="Canary Zebulon")

    assert "Canary" not in sheet.metadata_title and "Canary" not in sheet.file_name


def test_a_sheet_is_not_built_for_an_assessment_with_errors(content):
    assessment = assess(make_factors(ecog=9), content)

    with pytest.raises(SheetInputError):
        build_sheet(assessment, content, SheetChoices(selected=()), today=TODAY)


# ----------------------------------------------------------------- every sentence from content

MARK = "⟦"


def _pseudo(value: Any) -> Any:
    """Add a pseudo-language 'xx' (each English text marked) to every localised text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _pseudo(getattr(value, f.name))
                                             for f in dataclasses.fields(value)})
    if isinstance(value, tuple):
        return tuple(_pseudo(v) for v in value)
    if isinstance(value, dict) and "en" in value and all(isinstance(v, (str, tuple, list))
                                                         for v in value.values()):
        return {**value, "xx": _mark(value["en"])}
    if isinstance(value, dict):
        return {k: _pseudo(v) for k, v in value.items()}
    return value


def _mark(value: Any) -> Any:
    if isinstance(value, str):
        return MARK + value
    if isinstance(value, (list, tuple)):
        return type(value)(_mark(v) for v in value)
    if isinstance(value, dict):
        return {k: _mark(v) for k, v in value.items()}
    return value


def test_a_second_language_needs_no_code_every_printed_sentence_comes_from_content(content):
    pseudo: Content = _pseudo(content)
    pseudo = dataclasses.replace(pseudo, strings={**pseudo.strings, "xx": {
        k: _mark(v) if k not in ("sheet.lang_tag",) else "xx" for k, v in
        content.strings["en"].items()}})
    assessment = assess(make_factors(ecog=None, portal_vein_invasion="segmental"), pseudo)
    sheet = build_sheet(assessment, pseudo, SheetChoices(discussable(assessment)),
                        today=TODAY, lang="xx")

    unmarked = [s for s in _strings(sheet) if s and MARK not in s
                and not re.fullmatch(r"\[S\d+\] .*", s)]
    assert unmarked == []




# --------------------------------------------------------------------------- agent notes (#8)


def _fit_cell_of(sheet, option_name: str) -> str:
    grid = _grids(sheet)[0]
    fit = grid.rows[-1][1]
    return fit[grid.columns.index(option_name)]


def _more_text(sheet) -> str:
    return " ".join(t for b in sheet.blocks if isinstance(b, Bullets) for t in b.items)


@pytest.mark.hazard("H56")
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_agent_notes_that_hold_are_in_the_drug_treatment_cell_in_patient_words(content, lang):
    from dashboard.core.content import text_in

    overrides = {"active_autoimmune_disease": True, "on_anticoagulation": True}
    assessment = assess(make_factors(**overrides), content)
    sheet = build_sheet(assessment, content, SheetChoices(selected=("resection", "systemic"),
                                                          more_about_options=True),
                        today=TODAY, lang=lang)
    cell = _fit_cell_of(sheet, content.option("systemic").name(lang))
    plain = assess(make_factors(), content)
    without = build_sheet(plain, content, SheetChoices(selected=("resection", "systemic")),
                          today=TODAY, lang=lang)

    for note in ("SYS-N2", "SYS-N3"):
        text = text_in(content.rule(note).patient, lang)
        assert note in assessment.result("systemic").notes
        assert text in cell and text in _more_text(sheet)
        assert text not in " ".join(_strings(without))  # only when the note holds
    # a note the grid leaves to "More about each option" (a drug pair's trial) is only there
    trial = text_in(content.rule("SYS-N8").patient, lang)
    assert "SYS-N8" in assessment.result("systemic").notes
    assert trial not in cell and trial in _more_text(sheet)


@pytest.mark.hazard("H56")
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_transplant_recipient_reads_the_rejection_warning_in_the_drug_treatment_cell(content,
                                                                                    lang):
    from dashboard.core.content import text_in

    overrides = {"prior_liver_transplant": True, "transplant_candidate": False}
    assessment = assess(make_factors(**overrides), content)
    sheet = build_sheet(assessment, content, SheetChoices(selected=("systemic",),
                                                          more_about_options=True),
                        today=TODAY, lang=lang)
    cell = _fit_cell_of(sheet, content.option("systemic").name(lang))

    assert "SYS-N1" in assessment.result("systemic").notes
    assert text_in(content.rule("SYS-7").patient, lang) in cell  # the same warning, deciding
    assert text_in(content.rule("SYS-N1").patient, lang) in _more_text(sheet)


@pytest.mark.hazard("H56")
def test_no_agent_note_for_drug_treatment_that_does_not_fit(content):
    from dashboard.core.sheet import sheet_agent_notes

    assessment = assess(make_factors(child_pugh_score=11, cirrhosis=True, ecog=3,
                                     active_autoimmune_disease=True), content)
    result = assessment.result("systemic")
    assert result.verdict is Verdict.NOT_APPLICABLE and result.notes
    assert sheet_agent_notes(result, content, "en", every=True) == []


@pytest.mark.hazard("H56")
def test_grid_notes_must_name_agent_notes_of_the_option(tmp_path):
    _refused_when_changed(tmp_path, "systemic.toml", 'notes = ["SYS-N2"',
                          'notes = ["SYS-7", "SYS-N2"', "SYS-7")


def _refused_when_changed(tmp_path, option_file: str, old: str, new: str, message: str) -> None:
    """A copy of content/ with one option file changed fails to load, naming `message`."""
    import shutil

    from dashboard.core.loader import CONTENT_DIR, ContentError, load_content

    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    path = root / "options" / option_file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ContentError, match=message):
        load_content(root)


@pytest.mark.hazard("H57")
def test_notes_longer_than_the_two_pages_hold_are_refused_with_the_contents_message(content):
    from dashboard.core.limits import SHEET_NOTES_MAX
    from dashboard.core.sheet import SheetInputError, user_text

    at = SheetChoices(selected=("rfa",), notes="a" * SHEET_NOTES_MAX)
    over = dataclasses.replace(at, notes="a" * (SHEET_NOTES_MAX + 1))
    assert user_text(at, content)[1] == {}
    message = user_text(over, content)[1]["notes"]
    assert message == content.string("sheet.notes_too_long").format(
        limit=SHEET_NOTES_MAX, count=SHEET_NOTES_MAX + 1)
    with pytest.raises(SheetInputError, match=str(SHEET_NOTES_MAX)) as error:
        build_sheet(assess(make_factors(), content), content, over, today=TODAY)
    assert error.value.field == "notes"


def test_each_option_has_one_short_name_used_by_the_grid_and_the_reasons(content, tmp_path):
    """Issue #10 tidy-up: `short_name` is the only short name (the [grid] table's copy is gone,
    and the loader refuses it back)."""
    for option in content.options:
        assert set(option.text["short_name"]) >= {"en", "fr"}, option.id
        assert "grid.short" not in option.text
    sheet = build_sheet(assess(make_factors(), content), content,
                        SheetChoices(selected=("resection", "rfa", "tace")), today=TODAY)
    assert _grids(sheet)[0].short_columns == ("Liver surgery", "Radio-wave heat treatment",
                                             "Chemoembolization")
    _refused_when_changed(tmp_path, "rfa.toml", "[grid]\n",
                          '[grid]\nshort.en = "Radio-wave heat treatment"\n', "grid -> short")


def test_the_sheet_and_the_screen_compare_the_options_on_one_list_of_aspects(content):
    """Issue #14: one definition of the comparison aspects, in content (sheet.toml
    [[aspects]]): the sheet's grid rows, its "More about each option" rows and the screen's
    comparison columns all follow it, in its order."""
    from dashboard.adapters.frames import comparison_aspects, comparison_frame

    ids = [a.id for a in content.aspects]
    assert ids == ["what", "how", "stay", "side_effects", "aim"]
    assessment = assess(make_factors(), content)
    for lang in ("en", "fr"):
        sheet = build_sheet(assessment, content, SheetChoices(selected=("resection", "rfa"),
                                                              more_about_options=True),
                            today=TODAY, lang=lang)
        labels = [label for label, _ in _grids(sheet)[0].rows]
        assert labels == [content.string(f"sheet.row_{i}", lang) for i in [*ids, "fit"]]
    screen = comparison_aspects(content)
    assert [keys for _, keys in screen] == [*(a.detail for a in content.aspects), ("fits_when",)]
    frame = comparison_frame(content, assessment, ("rfa",))
    assert list(frame.columns)[1:] == [title for title, _ in screen]


@pytest.mark.parametrize("old,new,message", [
    ('id = "aim"\ndetail = ["goal_text"]', 'id = "aim"\ndetail = ["goal"]',
     "aspects -> 4 -> detail"),
    ('id = "aim"\n', 'id = "how"\n', "listed twice"),
    ('[[aspects]]\nid = "aim"', '[[aspects]]\nid = "cost"', "cost"),
])
def test_the_loader_refuses_an_aspect_it_cannot_print(tmp_path, old, new, message):
    """An aspect names option texts that exist, once, and has its labels and a grid text in
    every option file (a new aspect `cost` without them is refused, naming it)."""
    import shutil

    from dashboard.core.loader import CONTENT_DIR, ContentError, load_content

    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    path = root / "sheet.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ContentError, match=message):
        load_content(root)
