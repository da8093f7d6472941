"""The tumour-board list: one landscape page (more only for a long day), one line per patient
with the verdict per option and the warnings, for the multidisciplinary meeting.

Patients are named by the clinic's id or their initials, never by full name. Only fpdf2's
public API is used, with the bundled DejaVu fonts (ids, initials and content text are Latin).
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import ResourceAccessPolicy
from fpdf.fonts import FontFace

from dashboard.core.assessment import Verdict
from dashboard.core.clinic_day import option_heading
from dashboard.core.content import Content
from dashboard.core.localise import label, locale_for
from dashboard.core.sheet import content_status
from dashboard.service import CARE_TEAM_LANG, ClinicDayOutcome

FONTS = Path(__file__).resolve().parents[1] / "assets" / "fonts"
MARKS = {Verdict.APPLICABLE: "✓", Verdict.CAUTION: "!", Verdict.NOT_APPLICABLE: "✗"}
SHADE = {Verdict.APPLICABLE: (226, 240, 226), Verdict.CAUTION: (253, 236, 200),
         Verdict.NOT_APPLICABLE: (238, 238, 238)}


def board_pdf(day: ClinicDayOutcome, content: Content, lang: str = CARE_TEAM_LANG) -> bytes:
    """The list in `lang` (the care team's language by default; each sheet has its own)."""
    pdf = FPDF(orientation="landscape", format=day.choices.paper, unit="mm")
    pdf.resource_access_policy = ResourceAccessPolicy.NONE
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    title = content.string("clinic_day.board_title", lang)
    pdf.set_title(title)
    pdf.set_lang(lang)
    pdf.set_creation_date(day.created)
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    heading = label(title, locale_for(content, lang))  # "Liste … : " in French
    pdf.cell(0, 7, f"{heading} {day.created.date().isoformat()}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)
    status = content_status(content, lang, day.created.date())
    pdf.multi_cell(0, 4, content.string("clinic_day.board_content", lang).format(
        version=content.version, status=status) + " "
        + content.string("clinic_day.board_mdt_note", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 4, "   ".join(
        f"{MARKS[v]} {content.string(f'clinic_day.board_verdict_{v.value}', lang)}"
        for v in Verdict), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _table(pdf, day, content, lang)
    _legend(pdf, day, content, lang)
    return bytes(pdf.output())


PAD = 0.8  # mm of padding inside every cell
BODY_PT = 8
HEAD_PT = 7.0  # the column headings' size, made smaller (down to MIN_HEAD_PT) only if needed
MIN_HEAD_PT = 5.0
SPARE = 0.6  # mm more than a word needs, so rounding never pushes its last letter over
MAX_LABEL = 30.0  # mm: a longer id or label wraps in its cell rather than squeeze the verdicts
MIN_LABEL = 20.0  # mm for the patient and the warnings columns, before the rest is shared


def _table(pdf: FPDF, day: ClinicDayOutcome, content: Content, lang: str) -> None:
    words = [content.string(f"clinic_day.board_{key}", lang)
             for key in ("row", "patient", "check_code", "warnings")]
    headings = [*words[:3], *(option_heading(content, o.id, lang) for o in content.options),
                words[3]]
    body = [[str(p.row), p.label, p.summary.check_code if p.summary else "",
             *(MARKS[v] for _, v in (p.summary.verdicts if p.summary else ())),
             ", ".join(p.summary.warning_codes if p.summary else ())] for p in day.made]
    widths, size = column_widths(pdf, headings, body)
    pdf.set_font("DejaVu", "", BODY_PT)
    heading = FontFace(emphasis="BOLD", size_pt=size, fill_color=(230, 230, 230))
    with pdf.table(col_widths=widths, width=pdf.epw, text_align="LEFT", line_height=4.2,
                   headings_style=heading, repeat_headings=1, padding=PAD) as table:
        head = table.row()
        for text in headings:
            head.cell(text)
        for patient in day.made:
            summary = patient.summary
            assert summary is not None
            line = table.row()
            line.cell(str(patient.row))
            line.cell(patient.label)
            line.cell(summary.check_code)
            for _, verdict in summary.verdicts:
                line.cell(MARKS[verdict], align="C",
                          style=FontFace(emphasis="BOLD", fill_color=SHADE[verdict]))
            line.cell(", ".join(summary.warning_codes))


def column_widths(pdf: FPDF, headings: list[str],
                  body: list[list[str]]) -> tuple[tuple[float, ...], float]:
    """Column widths (mm, filling the page width) and the headings' font size such that no word
    of a heading, and no word of a cell (but an over-long id or label), is broken across lines:
    every column is at least as wide as its longest word. Headings shrink, half a point at a
    time, only when the words of all headings at HEAD_PT do not fit side by side; the verdict
    columns share one width where they can (else each has its own), and what is left is shared
    by the verdict, patient and warnings columns. Should the words not fit even at MIN_HEAD_PT,
    the columns are narrowed to the page (then a word may break: content keeps its headings
    short, content/clinic_day.toml)."""
    options = range(3, len(headings) - 1)
    pdf.set_font("DejaVu", "", BODY_PT)
    cells = [max((_longest(pdf, row[c]) for row in body), default=0.0)
             for c in range(len(headings))]
    pdf.set_font("DejaVu", "B", BODY_PT)
    marks = max(pdf.get_string_width(m) for m in MARKS.values())
    cells = [marks if c in options
             else min(max(w, MIN_LABEL - 2 * PAD - SPARE), MAX_LABEL) if c in (1, len(headings) - 1)
             else w for c, w in enumerate(cells)]
    size = HEAD_PT
    while True:
        pdf.set_font("DejaVu", "B", size)
        need = [max(_longest(pdf, h), cells[c]) + 2 * PAD + SPARE
                for c, h in enumerate(headings)]
        same = max(need[c] for c in options)
        for uniform in (True, False):  # one width for every verdict column, else each its own
            fitted = [same if uniform and c in options else w for c, w in enumerate(need)]
            if sum(fitted) <= pdf.epw:
                growing = [*options, 1, len(headings) - 1]
                extra = (pdf.epw - sum(fitted)) / len(growing)
                return tuple(w + extra if c in growing else w
                             for c, w in enumerate(fitted)), size
        if size <= MIN_HEAD_PT:  # words this long cannot all fit: the page width still holds
            return tuple(w * pdf.epw / sum(fitted) for w in fitted), size
        size -= 0.5


def _longest(pdf: FPDF, text: str) -> float:
    return max((pdf.get_string_width(word) for word in text.split()), default=0.0)


def _legend(pdf: FPDF, day: ClinicDayOutcome, content: Content, lang: str) -> None:
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 7)
    seen: dict[str, str] = {}  # each code once, in the day's language (content/validation.toml)
    for patient in day.made:
        for code, message in (patient.summary.warning_messages(content, lang)
                              if patient.summary else ()):
            seen.setdefault(code, message)
    locale = locale_for(content, lang)
    for code, message in seen.items():
        pdf.multi_cell(0, 3.4, f"{label(code, locale)} {message}", new_x="LMARGIN",
                       new_y="NEXT")
    if day.failed:
        rows = ", ".join(str(p.row) for p in day.failed)
        pdf.set_font("DejaVu", "B", 7)
        words = content.string("clinic_day.board_not_made", lang)
        pdf.multi_cell(0, 3.6, words.format(rows=rows), new_x="LMARGIN", new_y="NEXT")

