"""The patient discussion sheet: every string the PDF prints, in order, from content and choices.

The wording comes from content/ (sheet.toml and the option files) in the requested language; this
module decides selection and order only. User text (name, notes, …) is normalised here and then
printed exactly as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from . import usertext
from .assessment import Assessment, OptionResult, Verdict
from .content import Content
from .document import (
    Block,
    Bullets,
    DiscussionSheet,
    Glossary,
    Heading,
    LabelledValue,
    OptionTable,
    Paragraph,
    TickBoxes,
    WriteLines,
)
from .explain import date_in_words, option_items, option_text, patient_reasons

MAX_COLUMNS = 3
# The aspects of issue #3, in order: what it is, how it is done, time in hospital and recovery,
# common side effects (then the goal). A row may join several option texts.
TABLE_ROWS = (("row_what", ("summary",)), ("row_how", ("involves",)),
              ("row_stay_recovery", ("hospital_stay", "recovery")),
              ("row_side_effects", ("side_effects",)))
FILE_NAME = "discussion-sheet.pdf"
# Sources whose web address is printed: pages written for patients. Guideline and trial
# citations are printed without their (long, professional) addresses.
PATIENT_FRIENDLY = ("CCS", "patient_info")


@dataclass(frozen=True)
class SheetChoices:
    """What the clinician chose for this sheet. Free text is normalised by `build_sheet`."""

    selected: tuple[str, ...]
    patient_name: str = ""
    appointment_date: str = ""
    clinician: str = ""
    team_phone: str = ""
    notes: str = ""
    include_not_fitting: bool = True
    large_print: bool = False
    paper: str = "a4"


class SheetInputError(ValueError):
    """A choice cannot make a sheet (for example a name over the length limit)."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def default_selection(assessment: Assessment) -> tuple[str, ...]:
    """Applicable and caution options, in content order."""
    return tuple(r.option_id for r in assessment.results
                 if r.verdict is not Verdict.NOT_APPLICABLE)


def build_sheet(assessment: Assessment, content: Content, choices: SheetChoices, *,
                today: date, lang: str = "en") -> DiscussionSheet:
    """The discussion sheet for an assessment that has verdicts (no input errors)."""
    if not assessment.ok:
        raise SheetInputError("", "The patient factors have errors: fix them before a sheet.")
    user = _user_text(choices)
    words = _Words(content, lang)
    selected = [r for r in assessment.results if r.option_id in set(choices.selected)]
    blocks: list[Block] = []
    blocks += _header(words, user)
    blocks.append(Paragraph(words("prepared_line", date=date_in_words(today, content, lang)),
                            style="small"))
    blocks += _why(words)
    blocks += _options(words, content, assessment, selected, lang)
    if choices.include_not_fitting:
        blocks += _not_fitting(words, content, assessment, set(choices.selected), lang)
    blocks += _questions(words, content, assessment, selected, lang)
    blocks += _values(words)
    blocks += _notes(words, user["notes"])
    blocks += _glossary(words, blocks)
    blocks += _sources(words, content, selected, today)
    return DiscussionSheet(
        title=words("title"),
        metadata_title=words("metadata_title"),
        lang=words("lang_tag"),
        footer_lines=_footer(words, content, assessment, today),
        page_label=words("page_label"),
        blocks=tuple(blocks),
        large_print=choices.large_print,
        paper="letter" if choices.paper == "letter" else "a4",
        file_name=FILE_NAME,
    )


class _Words:
    """sheet.toml strings in one language."""

    def __init__(self, content: Content, lang: str):
        self.content, self.lang = content, lang

    def __call__(self, key: str, **values: str) -> str:
        text: str = self.content.string(f"sheet.{key}", self.lang)
        return text.format(**values) if values else text

    def items(self, key: str) -> list[Any]:
        return list(self.content.string(f"sheet.{key}", self.lang))


_SOURCE_MARK = re.compile(r"\s*(\[S\d+\])+")


def _plain(text: str) -> str:
    """Patient text without inline source markers such as "[S2][S37]" (the sheet lists its
    sources in "Where this information comes from")."""
    return _SOURCE_MARK.sub("", text)


USER_TEXT_LIMITS = {"patient_name": usertext.NAME_MAX, "appointment_date": usertext.FIELD_MAX,
                    "clinician": usertext.FIELD_MAX, "team_phone": usertext.FIELD_MAX,
                    "notes": usertext.NOTES_MAX}


def user_text(choices: SheetChoices) -> tuple[dict[str, str], dict[str, str]]:
    """(each typed field as the sheet will print it, field -> problem) for the sheet's free text.

    The one place that normalises and length-checks what a user typed for the sheet; the screen
    calls it to show problems beside the fields before a sheet is prepared.
    """
    cleaned, problems = {}, {}
    for field, limit in USER_TEXT_LIMITS.items():
        value = usertext.clean(getattr(choices, field), multiline=field == "notes")
        if usertext.too_long(value, limit):
            problems[field] = f"{field.replace('_', ' ').capitalize()}: at most {limit} characters."
        elif usertext.too_many_marks(value):
            problems[field] = (f"{field.replace('_', ' ').capitalize()}: at most "
                               f"{usertext.MARKS_PER_CHARACTER_MAX} accents or marks on one "
                               "letter.")
        cleaned[field] = value
    return cleaned, problems


def _user_text(choices: SheetChoices) -> dict[str, str]:
    cleaned, problems = user_text(choices)
    for field, message in problems.items():
        raise SheetInputError(field, message)
    return cleaned


def _header(words: _Words, user: dict[str, str]) -> list[Block]:
    return [
        LabelledValue(words("label_name"), user["patient_name"], "patient_name"),
        LabelledValue(words("label_date"), user["appointment_date"], "appointment_date"),
        LabelledValue(words("label_clinician"), user["clinician"], "clinician"),
        LabelledValue(words("label_phone"), user["team_phone"], "team_phone"),
    ]


def _why(words: _Words) -> list[Block]:
    return [Heading(words("why_heading")), Paragraph(words("why_text")),
            Paragraph(words("depends_intro")), Bullets(tuple(words.items("depends_items")))]


def _options(words: _Words, content: Content, assessment: Assessment,
             selected: list[OptionResult], lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(words("options_heading")), Paragraph(words("options_intro"))]
    if not selected:
        return [*blocks, Paragraph(words("options_none"))]
    options = [content.option(r.option_id) for r in selected]
    # At a glance: every chosen option with its status, before the detail (fits on page 1).
    blocks.append(Bullets(tuple(f"{o.name(lang)}: {words(f'status_{r.verdict.value}')}"
                                for r, o in zip(selected, options))))
    for start in range(0, len(options), MAX_COLUMNS):
        chunk = options[start:start + MAX_COLUMNS]
        rows = [(words(label), tuple(" ".join(_plain(option_text(content, assessment, o.id, key,
                                                                 lang)) for key in keys)
                                     for o in chunk))
                for label, keys in TABLE_ROWS]
        rows.append((words("row_goal"), tuple(
            f"{words('goal_' + o.goal)}. "
            f"{_plain(option_text(content, assessment, o.id, 'goal_text', lang))}"
            for o in chunk)))
        blocks.append(OptionTable(words("row_header"), tuple(o.name(lang) for o in chunk),
                                  tuple(rows)))
    for result, option in zip(selected, options):
        blocks += [Heading(option.name(lang), level=2),
                   Paragraph(words(f"status_{result.verdict.value}"), style="lead"),
                   Paragraph(words("fit_heading"), style="lead"),
                   Bullets(tuple(_unique(_plain(r) for r in patient_reasons(
                       content, assessment, result.option_id, lang))))]
        if result.verdict is Verdict.CAUTION:
            blocks += [Paragraph(words("checks_heading"), style="lead"),
                       Bullets(option_items(content, assessment, option.id, "checks", lang))]
    return blocks


def _not_fitting(words: _Words, content: Content, assessment: Assessment, selected: set[str],
                 lang: str) -> list[Block]:
    results = [r for r in assessment.results
               if r.verdict is Verdict.NOT_APPLICABLE and r.option_id not in selected]
    if not results:
        return []
    items = []
    for result in results:
        reasons = [_plain(r) for r in patient_reasons(content, assessment, result.option_id,
                                                      lang)]
        items.append(f"{content.option(result.option_id).name(lang)}: {' '.join(_unique(reasons))}")
    return [Heading(words("not_fit_heading")), Paragraph(words("not_fit_intro")),
            Bullets(tuple(items))]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _questions(words: _Words, content: Content, assessment: Assessment,
               selected: list[OptionResult], lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(words("questions_heading")),
                           Paragraph(words("questions_intro")),
                           TickBoxes(tuple(words.items("general_questions")))]
    for result in selected:
        option = content.option(result.option_id)
        blocks += [Heading(words("option_questions_heading", option=option.name(lang)), level=2),
                   TickBoxes(option_items(content, assessment, option.id, "questions", lang))]
    return [*blocks, Paragraph(words("write_prompt"), style="lead"), WriteLines(4)]


def _values(words: _Words) -> list[Block]:
    return [Heading(words("values_heading")), Paragraph(words("values_intro")),
            TickBoxes(tuple(words.items("values_items"))),
            Paragraph(words("values_write_prompt"), style="lead"), WriteLines(3)]


def _notes(words: _Words, notes: str) -> list[Block]:
    body = Paragraph(notes, user_field="notes") if notes else Paragraph(words("notes_empty"))
    return [Heading(words("notes_heading")), body]


def _glossary(words: _Words, blocks: list[Block]) -> list[Block]:
    """Every glossary term that the sheet's own text uses (whole words, any case)."""
    text = " ".join(_block_text(b) for b in blocks).lower()
    entries = [(e["term"], e["definition"]) for e in words.items("glossary")
               if re.search(rf"(?<!\w){re.escape(e['term'].lower())}(?!\w)", text)]
    if not entries:
        return []
    return [Heading(words("glossary_heading")),
            Glossary(tuple(sorted(entries, key=lambda e: e[0].lower())))]


def _block_text(block: Block) -> str:
    if isinstance(block, (Heading, Paragraph)):
        return "" if getattr(block, "user_field", "") else block.text
    if isinstance(block, (Bullets, TickBoxes)):
        return " ".join(block.items)
    if isinstance(block, OptionTable):
        return " ".join([*block.columns, *(c for _, cells in block.rows for c in cells)])
    return ""


def _sources(words: _Words, content: Content, selected: list[OptionResult],
             today: date) -> list[Block]:
    ids: list[str] = ["S1"]
    for result in selected:
        option = content.option(result.option_id)
        ids += option.sources
        ids += [s for f in result.findings for s in content.rule(f.rule_id).sources]
    refs = [content.reference(i) for i in _unique(ids) if content.has_reference(i)]
    last, following = content.review_dates
    intro = words("sources_intro") + ("" if content.draft else " " + words("sources_checked"))
    review = (words("review_line_draft", date=date_in_words(last, content, words.lang))
              if content.draft else
              words("review_line", date=date_in_words(last, content, words.lang),
                    next=date_in_words(following, content, words.lang)))
    return [Heading(words("sources_heading")), Paragraph(intro),
            Bullets(tuple(f"[{r.id}] {r.citation}" + (f" {r.url}" if r.url and r.kind in
                                                       PATIENT_FRIENDLY else "")
                          for r in sorted(refs, key=lambda r: (len(r.id), r.id))),),
            Paragraph(review, style="small")]


def _footer(words: _Words, content: Content, assessment: Assessment,
            today: date) -> tuple[str, ...]:
    last, following = content.review_dates
    lines = [words("footer_disclaimer"),
             words("footer_version_draft", version=content.version) if content.draft else
             words("footer_version", version=content.version,
                   date=date_in_words(last, content, words.lang)),
             words("footer_fingerprint", fingerprint=assessment.fingerprint)]
    if today > following:
        lines.insert(1, words("review_overdue", date=date_in_words(following, content,
                                                                     words.lang)))
    return tuple(lines)
