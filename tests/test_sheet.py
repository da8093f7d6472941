"""The DiscussionSheet: selection, sections, wording rules, reading level, languages."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any

import pytest
import textstat

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
from dashboard.core.sheet import SheetChoices, SheetInputError, build_sheet, default_selection
from tests.conftest import make_factors

TODAY = date(2026, 11, 26)
SCENARIOS = {
    "small single tumour": {},
    "outside the liver with bone pain": dict(recurrence_site="extrahepatic_only",
                                             liver_tumour_count=0, largest_tumour_cm=0,
                                             painful_bone_metastases=True),
    "poor liver function": dict(child_pugh_score=10, cirrhosis=True),
    "unknowns and declines treatment": dict(ecog=None, bilirubin_umol_l=None,
                                            patient_goal="declines_active"),
    "main portal vein invasion": dict(portal_vein_invasion="main", liver_tumour_count=3,
                                      largest_tumour_cm=6),
}
FORBIDDEN = re.compile(r"\b(recommend\w*|best|you should|must)\b", re.IGNORECASE)


def _sheet(content, overrides=None, **choices):
    assessment = assess(make_factors(**(overrides or {})), content)
    selection = choices.pop("selected", default_selection(assessment))
    today = choices.pop("today", TODAY)
    return build_sheet(assessment, content, SheetChoices(selected=selection, **choices),
                       today=today)


def _strings(sheet, *, prose_only=False) -> list[str]:
    """Every string the sheet prints; with prose_only, the patient-facing sentences only."""
    out: list[str] = [] if prose_only else [sheet.title, *sheet.footer_lines]
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
        elif isinstance(block, OptionTable):
            out += [c for _, cells in block.rows for c in cells]
            if not prose_only:
                out += [*block.columns, *(label for label, _ in block.rows)]
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


def test_selected_options_are_in_the_sheet_and_unselected_ones_are_not(content):
    sheet = _sheet(content, selected=("rfa", "tace"), include_not_fitting=False)
    tables = [b for b in sheet.blocks if isinstance(b, OptionTable)]

    assert [c for t in tables for c in t.columns] == [content.option("rfa").name(),
                                                      content.option("tace").name()]
    text = " ".join(_strings(sheet))
    for other in ("resection", "transplant", "sbrt", "systemic"):
        assert content.option(other).name() not in text


def test_tables_hold_at_most_three_options_and_continue(content):
    sheet = _sheet(content)
    tables = [b for b in sheet.blocks if isinstance(b, OptionTable)]

    assert len(tables) == 4 and all(len(t.columns) <= 3 for t in tables)
    assert all(len(cells) == len(t.columns) for t in tables for _, cells in t.rows)


def test_options_that_do_not_fit_are_listed_with_their_plain_reason(content):
    sheet = _sheet(content, dict(portal_vein_invasion="lobar"))
    heading = content.string("sheet.not_fit_heading")
    index = next(i for i, b in enumerate(sheet.blocks) if getattr(b, "text", "") == heading)
    items = sheet.blocks[index + 2].items

    assert any(item.startswith(content.option("resection").name() + ":") for item in items)
    assert content.rule("RES-4").patient["en"] in " ".join(items)


def test_the_clinician_can_leave_out_the_options_that_do_not_fit(content):
    sheet = _sheet(content, dict(portal_vein_invasion="lobar"), include_not_fitting=False)

    assert content.string("sheet.not_fit_heading") not in _strings(sheet)


def test_caution_options_list_what_the_team_will_check(content):
    sheet = _sheet(content, selected=("transplant",))
    strings = _strings(sheet)

    assert content.string("sheet.checks_heading") in strings
    assert content.option("transplant").lists["checks"]["en"][0] in " ".join(strings)


def test_unknown_values_are_named_in_plain_words_for_the_patient(content):
    sheet = _sheet(content, dict(ecog=None), selected=("tace",))
    label = content.factor("ecog").patient_label["en"]

    assert any(label in s and "still need" in s.lower() for s in _strings(sheet))


@pytest.mark.hazard("H14")
@pytest.mark.parametrize("name", SCENARIOS)
def test_no_directive_or_ranking_wording_anywhere(content, name):
    strings = _strings(_sheet(content, SCENARIOS[name]))
    # Citations keep their publications' own titles ("… treatment recommendation: …").
    ours = " ".join(s for s in strings if not re.match(r"\[S\d+\] ", s))

    assert FORBIDDEN.findall(ours) == []


@pytest.mark.parametrize("name", SCENARIOS)
def test_patient_text_reads_at_or_below_grade_eight(content, name):
    prose = " ".join(_strings(_sheet(content, SCENARIOS[name]), prose_only=True))

    assert textstat.flesch_kincaid_grade(prose) <= 8.0


@pytest.mark.parametrize("name", SCENARIOS)
def test_patient_prose_carries_no_inline_source_markers(content, name):
    prose = " ".join(_strings(_sheet(content, SCENARIOS[name]), prose_only=True))

    assert re.findall(r"\[S\d+\]", prose) == []


def test_questions_are_tick_boxes_as_the_intro_says(content):
    sheet = _sheet(content, selected=("tace",))
    ticks = [b for b in sheet.blocks if isinstance(b, TickBoxes)]

    assert content.string("sheet.general_questions")[0] in ticks[0].items
    assert content.option("tace").lists["questions"]["en"][0] in ticks[1].items


def test_every_glossary_entry_printed_is_used_and_used_terms_are_explained(content):
    sheet = _sheet(content)
    glossary = next(b for b in sheet.blocks if isinstance(b, Glossary))
    text = " ".join(s for b in sheet.blocks if not isinstance(b, Glossary)
                    for s in _strings(dataclasses.replace(sheet, blocks=(b,)))).lower()
    terms = [t.lower() for t, _ in glossary.entries]

    assert all(t in text for t in terms)
    for technical in ("ablation", "cirrhosis", "chemoembolization", "radiation", "immunotherapy",
                      "clinical trial", "anaesthetic", "side effect"):
        if re.search(rf"\b{technical}\b", text):
            assert technical in terms, technical


@pytest.mark.hazard("H35")
@pytest.mark.hazard("H08", "H09", "H22")
def test_footer_carries_disclaimer_version_review_date_and_check_code(content):
    sheet = _sheet(content)
    footer = " ".join(sheet.footer_lines)

    assert content.string("sheet.footer_disclaimer") in footer
    assert content.version in footer
    assert content.draft and "Draft content, not yet clinically reviewed" in footer  # 8.3 T9
    assert assess(make_factors(), content).fingerprint in footer


@pytest.mark.hazard("H06")
def test_an_overdue_review_date_is_printed_in_the_footer(content):
    late = content.review_dates[1].replace(year=content.review_dates[1].year + 1)
    sheet = _sheet(content, today=late)

    assert any("December 1, 2027" in line for line in sheet.footer_lines[1:2])  # in words


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
    sheet = build_sheet(assessment, pseudo, SheetChoices(default_selection(assessment)),
                        today=TODAY, lang="xx")

    unmarked = [s for s in _strings(sheet) if s and MARK not in s
                and not re.fullmatch(r"\[S\d+\] .*", s)]
    assert unmarked == []


def test_sources_print_web_addresses_only_for_pages_written_for_patients(content):
    sheet = _sheet(content)
    heading = next(i for i, b in enumerate(sheet.blocks)
                   if getattr(b, "text", "") == content.string("sheet.sources_heading"))
    items = sheet.blocks[heading + 2].items

    for item in items:
        ref = content.reference(item[1:item.index("]")])
        assert ("http" in item) == (ref.kind in ("CCS", "patient_info") and bool(ref.url))
    assert any(item.startswith("[S1] ") and "cancer.ca" in item for item in items)


def test_the_options_section_opens_with_each_chosen_option_and_its_status(content):
    assessment = assess(make_factors(portal_vein_invasion="segmental"), content)
    chosen = ("resection", "tare", "systemic")
    sheet = build_sheet(assessment, content, SheetChoices(selected=chosen), today=TODAY)
    heading = next(i for i, b in enumerate(sheet.blocks)
                   if getattr(b, "text", "") == content.string("sheet.options_heading"))
    glance = sheet.blocks[heading + 2]

    assert isinstance(glance, Bullets)
    assert glance.items == tuple(
        f"{content.option(o).name()}: "
        f"{content.string('sheet.status_' + assessment.result(o).verdict.value)}" for o in chosen)
