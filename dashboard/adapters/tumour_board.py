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
from dashboard.service import CARE_TEAM_LANG, ClinicDayOutcome

FONTS = Path(__file__).resolve().parents[1] / "assets" / "fonts"
MARKS = {Verdict.APPLICABLE: "✓", Verdict.CAUTION: "!", Verdict.NOT_APPLICABLE: "✗"}
SHADE = {Verdict.APPLICABLE: (226, 240, 226), Verdict.CAUTION: (253, 236, 200),
         Verdict.NOT_APPLICABLE: (238, 238, 238)}


def board_pdf(day: ClinicDayOutcome, content: Content) -> bytes:
    lang = CARE_TEAM_LANG  # a list for the care team; each sheet has its own language
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
    pdf.cell(0, 7, f"{title}: {day.created.date().isoformat()}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(0, 4, f"{content.label} · {content.version}. "
                   + content.string("ui.mdt_note", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 4, "   ".join(f"{MARKS[v]} {content.string(f'ui.verdict_{v.value}', lang)}"
                                    for v in Verdict), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _table(pdf, day, content, lang)
    _legend(pdf, day, content, lang)
    return bytes(pdf.output())


def _table(pdf: FPDF, day: ClinicDayOutcome, content: Content, lang: str) -> None:
    options = content.options
    width = pdf.epw
    fixed = (9, 28, 20, 26)  # row, patient, check code, warnings
    option_width = (width - sum(fixed)) / len(options)
    widths = (fixed[0], fixed[1], fixed[2], *(option_width,) * len(options), fixed[3])
    pdf.set_font("DejaVu", "", 8)
    heading = FontFace(emphasis="BOLD", size_pt=7, fill_color=(230, 230, 230))
    with pdf.table(col_widths=widths, width=width, text_align="LEFT", line_height=4.2,
                   headings_style=heading, repeat_headings=1, padding=0.8) as table:
        head = table.row()
        words = [content.string(f"clinic_day.board_{key}", lang)
                 for key in ("row", "patient", "check_code", "warnings")]
        for text in (*words[:3], *(option_heading(content, o.id, lang) for o in options), words[3]):
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


def _legend(pdf: FPDF, day: ClinicDayOutcome, content: Content, lang: str) -> None:
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 7)
    seen: dict[str, str] = {}
    for patient in day.made:
        for warning in patient.summary.warnings if patient.summary else ():
            seen.setdefault(warning.code, warning.message)
    for code, message in seen.items():
        pdf.multi_cell(0, 3.4, f"{code}: {message}", new_x="LMARGIN", new_y="NEXT")
    if day.failed:
        rows = ", ".join(str(p.row) for p in day.failed)
        pdf.set_font("DejaVu", "B", 7)
        words = content.string("clinic_day.board_not_made", lang)
        pdf.multi_cell(0, 3.6, words.format(rows=rows), new_x="LMARGIN", new_y="NEXT")

