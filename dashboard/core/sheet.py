"""The patient discussion sheet: every string the PDF prints, in order, from content and choices.

Two pages for up to three options. Page 1: who and when, the patient's situation in plain words,
the options as one Option Grid. Page 2: questions, what matters most, next steps and whom to
call, notes, words to know, where the information comes from. Optional sections (ticked by the
clinician) follow. The wording comes from content/ (sheet.toml, the options' `[grid]` and longer
texts) in the requested language; this module decides selection and order only. User text (name,
notes, ...) is normalised here and then printed exactly as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from . import localise, usertext
from .assessment import Assessment, OptionResult, Verdict
from .content import Content, Option, Reference, text_in
from .document import (
    Block,
    Bullets,
    DiscussionSheet,
    Glossary,
    Heading,
    LabelledValue,
    OptionTable,
    PageBreak,
    Paragraph,
    TickBoxes,
)
from .explain import finding_text, option_items, option_text
from .limits import SHEET_NOTES_MAX
from .localise import date_in_words, locale_for, number

MAX_COLUMNS = 4  # options per grid
OPTION_QUESTIONS = 2  # questions per option on page 2 (one each from three options on)
GLOSSARY_MAX = 6  # words to know, in order of first use
UNKNOWN_NAMED = 3  # missing values named in a grid cell; the rest counted ("and 8 other details")
FIT_WORDS = 35  # about this many words of personal reasons in a grid cell; the rest on "More"
FILE_NAME = "discussion-sheet.pdf"
# Sources whose web address is printed: pages written for patients.
PATIENT_FRIENDLY = ("CCS", "patient_info")


@dataclass(frozen=True)
class SheetChoices:
    """What the clinician chose for this sheet. Free text is normalised by `build_sheet`.

    The optional sections are off unless ticked: the core sheet is two pages.
    """

    selected: tuple[str, ...]
    patient_name: str = ""
    appointment_date: str = ""
    clinician: str = ""
    team_phone: str = ""
    notes: str = ""
    include_not_fitting: bool = False
    more_about_options: bool = False
    full_sources: bool = False
    large_print: bool = False
    paper: str = "letter"


class SheetInputError(ValueError):
    """A choice cannot make a sheet (for example a name over the length limit)."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


DEFAULT_AT_MOST = 3  # options in the default selection: two pages hold three (issue #10)


def discussable(assessment: Assessment) -> tuple[str, ...]:
    """Every option that may be discussed (applicable or caution), in content order."""
    return tuple(r.option_id for r in assessment.results
                 if r.verdict is not Verdict.NOT_APPLICABLE)


def default_selection(assessment: Assessment) -> tuple[str, ...]:
    """The options a sheet has when nobody chose (command line, clinic day) and the screen's
    suggestion: at most DEFAULT_AT_MOST, so that the sheet is two pages. The options that may
    be discussed (applicable) come first, then those to consider with caution, each group in
    content order (the order of the rule table: curative treatments before the others); an
    option that does not fit is never chosen by default. A starting point: the clinician's own
    choice (ticks, --select) may hold any options."""
    ranked = [r.option_id for verdict in (Verdict.APPLICABLE, Verdict.CAUTION)
              for r in assessment.results if r.verdict is verdict]
    return tuple(ranked[:DEFAULT_AT_MOST])


def build_sheet(assessment: Assessment, content: Content, choices: SheetChoices, *,
                today: date, lang: str = "en") -> DiscussionSheet:
    """The discussion sheet for an assessment that has verdicts (no input errors)."""
    if not assessment.ok:
        raise SheetInputError("", "The patient factors have errors: fix them before a sheet.")
    user = _user_text(choices, content)
    words = _Words(content, lang)
    chosen = set(choices.selected)
    selected = [r for r in assessment.results if r.option_id in chosen]
    blocks: list[Block] = []
    blocks += _who_and_when(words, user, today)
    blocks += _situation(words, assessment)
    blocks += _grid(words, content, selected, choices.more_about_options)
    blocks += _questions(words, content, assessment, selected)
    blocks += _values(words)
    blocks += _next_steps(words, user["team_phone"])
    blocks += _notes(words, user["notes"])
    blocks += _glossary(words, blocks)
    if not choices.full_sources:
        blocks += _sources_short(words, content)
    if choices.more_about_options and selected:
        blocks += _more_about(words, content, assessment, selected)
    if choices.include_not_fitting:
        blocks += _not_fitting(words, content, assessment, chosen)
    if choices.full_sources:
        blocks += _sources_full(words, content, selected, today)
    return DiscussionSheet(
        title=words("title"),
        metadata_title=words("metadata_title"),
        lang=words.locale.tag,
        footer_lines=(words("footer_disclaimer"),),
        page_label=_page_label(words, content, assessment, today),
        blocks=tuple(blocks),
        large_print=choices.large_print,
        paper="a4" if choices.paper == "a4" else "letter",
        file_name=FILE_NAME,
        fit_pages=page_target(len(selected), choices),
    )


def page_target(options: int, choices: SheetChoices) -> int:
    """Pages the sheet should fit: the core sheet two for up to three options, at most half a
    page more for each further option; "More about each option" at most a page per option and
    "Options that do not fit right now" at most one page more; twice that in large print. No
    target with the full list of sources (its length is the sources')."""
    if choices.full_sources:
        return 0
    pages = 2 + (max(0, options - 3) + 1) // 2
    pages += options if choices.more_about_options else 0
    pages += 1 if choices.include_not_fitting else 0
    return 2 * pages if choices.large_print else pages


class _Words:
    """sheet.toml strings in one language."""

    def __init__(self, content: Content, lang: str):
        self.content, self.lang = content, lang
        self.locale = locale_for(content, lang)

    def __call__(self, key: str, **values: Any) -> str:
        text: str = self.content.string(f"sheet.{key}", self.lang)
        return text.format(**values) if values else text

    def items(self, key: str) -> list[Any]:
        return list(self.content.string(f"sheet.{key}", self.lang))

    def label(self, key: str) -> str:
        """A label with the language's separator: "Name:", « Nom : » (content/locale.toml)."""
        return localise.label(self(key), self.locale)

    def option(self, option: Option, key: str) -> str:
        return _plain(text_in(option.text[key], self.lang))

    def date(self, day: date) -> str:
        """A date in words, e.g. "December 1, 2026" (content/locale.toml)."""
        return date_in_words(day, self.locale)

    def number(self, value: float) -> str:
        return number(value, self.locale)


_SOURCE_MARK = re.compile(r"\s*(\[S\d+\])+")


def _plain(text: str) -> str:
    """Patient text without inline source markers such as "[S2][S37]"."""
    return _SOURCE_MARK.sub("", text)


USER_TEXT_LIMITS = {"patient_name": usertext.NAME_MAX, "appointment_date": usertext.FIELD_MAX,
                    "clinician": usertext.FIELD_MAX, "team_phone": usertext.FIELD_MAX,
                    "notes": SHEET_NOTES_MAX}
CARE_TEAM_LANG = "en"  # the language of messages to the care team


def user_text(choices: SheetChoices,
              content: Content | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(each typed field as the sheet will print it, field -> problem) for the sheet's free text.

    The one place that normalises and length-checks what a user typed for the sheet; the screen
    calls it to show problems beside the fields before a sheet is prepared. Notes longer than
    the two pages hold are refused with content's message (sheet.notes_too_long) when `content`
    is given.
    """
    cleaned, problems = {}, {}
    for field, limit in USER_TEXT_LIMITS.items():
        value = usertext.clean(getattr(choices, field), multiline=field == "notes")
        if usertext.too_long(value, limit):
            problems[field] = (
                content.string("sheet.notes_too_long", CARE_TEAM_LANG).format(
                    limit=limit, count=len(value)) if field == "notes" and content
                else f"{field.replace('_', ' ').capitalize()}: at most {limit} characters.")
        elif usertext.too_many_marks(value):
            problems[field] = (f"{field.replace('_', ' ').capitalize()}: at most "
                               f"{usertext.MARKS_PER_CHARACTER_MAX} accents or marks on one "
                               "letter.")
        cleaned[field] = value
    return cleaned, problems


def _user_text(choices: SheetChoices, content: Content) -> dict[str, str]:
    cleaned, problems = user_text(choices, content)
    for field, message in problems.items():
        raise SheetInputError(field, message)
    return cleaned


# --------------------------------------------------------------------------- page 1


def _who_and_when(words: _Words, user: dict[str, str], today: date) -> list[Block]:
    """Two pairs side by side in standard print (one a line in large print): name and
    appointment, then the care team and the day the sheet was prepared."""
    return [
        LabelledValue(words.label("label_name"), user["patient_name"], "patient_name",
                      half=True),
        LabelledValue(words.label("label_date"), _date_typed(words, user["appointment_date"]),
                      "appointment_date", half=True),
        LabelledValue(words.label("label_clinician"), user["clinician"], "clinician", half=True),
        LabelledValue(words.label("label_prepared"), words.date(today), half=True),
    ]


def _date_typed(words: _Words, typed: str) -> str:
    """An appointment date given as an ISO date (2026-12-03) prints in words in the sheet's
    language; anything else ("Tuesday 8 December, 10:30") prints as typed."""
    try:
        return words.date(date.fromisoformat(typed)) if len(typed) == 10 else typed
    except ValueError:
        return typed


def situation_sentences(words: _Words, assessment: Assessment) -> list[str]:
    """2-4 sentences from the factors: where the cancer came back, the liver, daily life.

    A sentence is printed only from a value that is known; an unknown value gives the sentence
    saying what the team still needs to find out.
    """
    values = assessment.factors.values if assessment.factors else {}
    site = values.get("recurrence_site")
    count, size = values.get("liver_tumour_count"), values.get("largest_tumour_cm")
    if site == "liver_only" and isinstance(count, int) and count >= 1 and size is not None:
        key = "site_liver_only_one" if count == 1 else "site_liver_only_many"
        sentences = [words(key, count=count, size=words.number(size))]
    elif site in ("liver_only", "extrahepatic_only", "liver_and_extrahepatic"):
        sentences = [words(f"site_{site}")]
    else:
        sentences = [words("site_unknown")]
    vein = values.get("portal_vein_invasion")
    if vein == "main":  # the main trunk (Vp4): "the large vein"
        sentences.append(words("vein_invaded"))
    elif vein in ("segmental", "lobar"):  # a branch (Vp1-3): never "the large vein" itself
        sentences.append(words("vein_branch_invaded"))
    grade = assessment.derived.child_pugh_class if assessment.derived else None
    sentences.append(words(f"liver_{grade}" if grade in ("A", "B", "C") else "liver_unknown"))
    ecog = values.get("ecog")
    sentences.append(words(f"activity_{ecog}" if ecog in (0, 1, 2, 3, 4)
                           else "activity_unknown"))
    return sentences


def _situation(words: _Words, assessment: Assessment) -> list[Block]:
    return [Heading(words("situation_heading")),
            Paragraph(" ".join(situation_sentences(words, assessment)))]


def _grid(words: _Words, content: Content, selected: list[OptionResult],
          more_pages: bool) -> list[Block]:
    blocks: list[Block] = [Heading(words("options_heading"))]
    if not selected:
        return blocks + [Paragraph(words("options_none"))]
    blocks.append(Paragraph(words("options_intro")))
    for start in range(0, len(selected), MAX_COLUMNS):
        chunk = selected[start:start + MAX_COLUMNS]
        options = [content.option(r.option_id) for r in chunk]
        rows = [(words(f"row_{aspect.id}"), tuple(words.option(o, f"grid.{aspect.id}")
                                                    for o in options))
                for aspect in content.aspects]  # the aspects of content/sheet.toml
        rows.append((words("row_fit"), tuple(_fit_cell(words, content, r, more_pages)
                                             for r in chunk)))
        blocks.append(OptionTable(words("row_header"), tuple(o.name(words.lang) for o in options),
                                  tuple(rows), tuple(words.option(o, "short_name")
                                                     for o in options)))
    return blocks


def reasons(result: OptionResult, content: Content, lang: str,
            named: int | None = None) -> tuple[list[str], list[str]]:
    """(deciding, also noted): the plain reasons for this patient (the engine's two groups).

    For an option that does not fit, only the deciding reasons are given (8.3 T8). Every value
    still missing is named once, in one sentence, where the first missing value is found; with
    `named`, at most that many are named and the rest counted when two or more remain (a grid
    cell; "More about each option" names them all).
    """
    groups = [list(result.deciding),
              [] if result.verdict is Verdict.NOT_APPLICABLE else list(result.also_noted)]
    unknown = _unique(field for group in groups for f in group for field in f.unknown)
    out: tuple[list[str], list[str]] = ([], [])
    for group, target in zip(groups, out):
        for finding in group:
            if finding.unknown:
                if unknown:
                    target.append(_unknown_sentence(content, lang, unknown, named))
                    unknown = []
                continue
            target.append(_plain(finding_text(finding, content, lang, audience="patient")))
    deciding = _unique(out[0])
    return deciding, [r for r in _unique(out[1]) if r not in deciding]


def _unknown_sentence(content: Content, lang: str, unknown: list[str],
                      named: int | None) -> str:
    labels = [text_in(content.factor(f).patient_label, lang) for f in unknown]
    if named is None or len(labels) <= named + 1:
        return str(content.string("sheet.unknown_patient", lang).format(
            fields=", ".join(labels)))
    return str(content.string("sheet.unknown_patient_some", lang).format(
        fields=", ".join(labels[:named]), more=len(labels) - named))


def patient_reasons(result: OptionResult, content: Content, lang: str) -> list[str]:
    """Every plain reason, the deciding ones first."""
    deciding, noted = reasons(result, content, lang)
    return deciding + noted


def sheet_agent_notes(result: OptionResult, content: Content, lang: str,
                      every: bool = False) -> list[str]:
    """The agent notes that hold for this patient, in patient words and content order (the
    transplant-recipient note first): those the option's `[grid] notes` names, or `every` one
    (for "More about each option"). None for an option that does not fit (8.3 T8)."""
    if result.verdict is Verdict.NOT_APPLICABLE:
        return []
    option = content.option(result.option_id)
    return [_plain(text_in(content.rule(n).patient, lang)) for n in result.notes
            if every or n in option.sheet_notes]


def _fit_cell(words: _Words, content: Content, result: OptionResult, more_pages: bool) -> str:
    """The verdict in words, every deciding reason, the agent notes that matter to the patient,
    then other reasons while the cell stays short (about FIT_WORDS words); with "More about
    each option" it says where the rest are."""
    deciding, noted = reasons(result, content, words.lang, named=UNKNOWN_NAMED)
    deciding = deciding + sheet_agent_notes(result, content, words.lang)
    parts = [words(f"fit_{result.verdict.value}"), *deciding]
    used = sum(len(r.split()) for r in deciding)
    for _index, reason in enumerate(noted):
        if used + len(reason.split()) > FIT_WORDS:
            if more_pages:
                parts.append(words("fit_more"))
            break
        parts.append(reason)
        used += len(reason.split())
    return " ".join(parts)


# --------------------------------------------------------------------------- page 2


def _questions(words: _Words, content: Content, assessment: Assessment,
               selected: list[OptionResult]) -> list[Block]:
    items = words.items("general_questions")
    per_option = OPTION_QUESTIONS if len(selected) <= 2 else 1
    for result in selected:
        option = content.option(result.option_id)
        # an option that does not fit now asks why, not how it is done ("How many treatments
        # might I need?" would take for granted a treatment the sheet says does not fit)
        own = ((words("not_fit_question"),) if result.verdict is Verdict.NOT_APPLICABLE
               else option_items(content, assessment, option.id, "questions", words.lang))
        items += [words("option_question", option=words.option(option, "short_name"), question=q)
                  for q in own[:per_option]]
    return [Heading(words("questions_heading")), Paragraph(words("questions_intro")),
            TickBoxes(tuple(items))]


def _values(words: _Words) -> list[Block]:
    return [Heading(words("values_heading")), Paragraph(words("values_intro")),
            TickBoxes(tuple(words.items("values_items")), per_line=2)]


def _next_steps(words: _Words, phone: str) -> list[Block]:
    return [Heading(words("next_heading")),
            LabelledValue(words.label("call_label"), phone, "team_phone"),
            Bullets(tuple(words.items("next_steps")))]


def _notes(words: _Words, notes: str) -> list[Block]:
    if not notes:
        return []
    # a sub-heading of "next steps and whom to call": what the team wrote is a next step too
    return [Heading(words("notes_heading"), level=2), Paragraph(notes, user_field="notes")]


def _glossary(words: _Words, blocks: list[Block]) -> list[Block]:
    """The glossary terms this sheet's own text uses, in order of first use, at most a few.

    Left out: a term that the text already explains in place, written in brackets after its
    plain words ("a few small cuts (keyhole surgery)"), and a term in a chosen option's name
    (its column of the grid explains it: "Chemoembolization (TACE)"). An entry marked `basic`
    (an everyday word of the sheet: "liver", "tumour") is never left out when it is used: a
    name or a bracket uses such a word ("Liver surgery", "(liver surgery, ...)"), it does not
    explain it.
    """
    text = " ".join(_block_text(b) for b in blocks).lower()
    names = [c.lower() for b in blocks if isinstance(b, OptionTable) for c in b.columns]
    explained = " ".join([*re.findall(r"\(([^()]*)\)", text), *names])
    used = []
    for entry in words.items("glossary"):
        term = re.compile(rf"(?<!\w){re.escape(entry['term'].lower())}(?!\w)")
        match = term.search(text)
        if match and (entry.get("basic", False) or not term.search(explained)):
            used.append((match.start(), entry["term"], entry["definition"]))
    used.sort()
    entries = tuple((localise.label(term, words.locale), definition)
                    for _, term, definition in used[:GLOSSARY_MAX])
    return [Heading(words("glossary_heading")), Glossary(entries)] if entries else []


def _block_text(block: Block) -> str:
    if isinstance(block, (Heading, Paragraph)):
        return "" if getattr(block, "user_field", "") else block.text
    if isinstance(block, (Bullets, TickBoxes)):
        return " ".join(block.items)
    if isinstance(block, OptionTable):
        return " ".join([*block.columns, *(t for label, cells in block.rows
                                           for t in (label, *cells))])
    return ""


def _source_ids(content: Content, selected: list[OptionResult]) -> list[str]:
    ids: list[str] = ["S1"]
    for result in selected:
        ids += content.option(result.option_id).sources
        ids += [s for f in result.findings for s in content.rule(f.rule_id).sources]
    return [i for i in _unique(ids) if content.has_reference(i)]


def _sources_short(words: _Words, content: Content) -> list[Block]:
    """The patient page the sheet is built on (CCS, recurrent liver cancer); the rest on request."""
    text = words("sources_short",
                 page=_page_title(content.reference("S1").citation_in(words.lang)))
    checked = "" if content.draft else " " + words("sources_checked")  # never while a draft
    return [Paragraph(text + checked, style="small")]


def _page_title(citation: str) -> str:
    """The page title of a CCS citation.

    "Canadian Cancer Society. Surgery for liver cancer. cancer.ca" -> "Surgery for liver cancer".
    """
    plain = re.sub(r"\s*\([^)]*\)", "", citation)
    parts = [p.strip() for p in plain.split(". ") if p.strip()]
    return (parts[1] if len(parts) > 2 else plain).rstrip(".")


# --------------------------------------------------------------------------- optional sections


def _more_about(words: _Words, content: Content, assessment: Assessment,
                selected: list[OptionResult]) -> list[Block]:
    """Up to a page per option: the longer texts, in the variant true for this patient."""
    blocks: list[Block] = [PageBreak(), Heading(words("more_heading"))]
    for result in selected:
        option = content.option(result.option_id)
        blocks.append(Heading(option.name(words.lang), level=2))
        for aspect in content.aspects:
            blocks += [Paragraph(words(f"more_{aspect.id}"), style="lead"),
                       Paragraph(" ".join(_plain(option_text(content, assessment, option.id, k,
                                                             words.lang))
                                          for k in aspect.detail))]
        blocks += [Paragraph(words("more_fit"), style="lead"),
                   Bullets((words(f"fit_{result.verdict.value}"),
                            *patient_reasons(result, content, words.lang),
                            *sheet_agent_notes(result, content, words.lang, every=True)))]
        if result.verdict is Verdict.CAUTION:
            checks = option_items(content, assessment, option.id, "checks", words.lang)
            blocks += [Paragraph(words("checks_heading"), style="lead"), Bullets(tuple(checks))]
    return blocks


def _not_fitting(words: _Words, content: Content, assessment: Assessment,
                 selected: set[str]) -> list[Block]:
    results = [r for r in assessment.results
               if r.verdict is Verdict.NOT_APPLICABLE and r.option_id not in selected]
    if not results:
        return []
    lines = tuple(words("not_fit_line", option=content.option(r.option_id).name(words.lang),
                        reason=patient_reasons(r, content, words.lang)[0])
                  for r in results)
    return [Heading(words("not_fit_heading")), Paragraph(words("not_fit_intro")),
            Bullets(lines)]


def _sources_full(words: _Words, content: Content, selected: list[OptionResult],
                  today: date) -> list[Block]:
    refs = [content.reference(i) for i in _source_ids(content, selected)]
    intro = words("sources_intro") + ("" if content.draft else " " + words("sources_checked"))
    return [Heading(words("sources_heading")), Paragraph(intro),
            Bullets(tuple(_source_line(r, words.lang)
                          for r in sorted(refs, key=lambda r: (len(r.id), r.id))))]


def _source_line(ref: Reference, lang: str) -> str:
    """[S2] and the source's title (its own French title on a French sheet, where it has one),
    with the address of pages written for patients."""
    url = ref.url_in(lang)
    return f"[{ref.id}] {ref.citation_in(lang)}" + (
        f" {url}" if url and ref.kind in PATIENT_FRIENDLY else "")


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --------------------------------------------------------------------------- footer


def review_status(words: _Words, content: Content, today: date) -> str:
    """Draft while any content file has no named reviewer; past its review date when it is
    (both can be true); otherwise the date it was reviewed."""
    last, following = content.review_dates
    parts = []
    if content.draft:
        parts.append(words("status_draft"))
    if today > following:
        parts.append(words("status_overdue", date=words.date(following)))
    return "; ".join(parts) or words("status_reviewed", date=words.date(last))


def content_status(content: Content, lang: str, today: date) -> str:
    """The content's review status in words, as every sheet's footer gives it ("draft, not yet
    clinically reviewed"): for the care team's lists too (the tumour-board list)."""
    return review_status(_Words(content, lang), content, today)


def _page_label(words: _Words, content: Content, assessment: Assessment, today: date) -> str:
    """The last footer line, with {page} and {pages} left for the renderer."""
    meta = words("footer_meta", fingerprint=assessment.fingerprint, version=content.version,
                 status=review_status(words, content, today))
    return words("page_label") + " · " + meta.replace("{", "{{").replace("}", "}}")
