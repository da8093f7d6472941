"""Benchmark the discussion-sheet renderer against a minimal fpdf2 document.

    .venv/bin/python bench/bench_pdf.py [-n 30]

Prints, in one run:
  1. the first render (parses the bundled fonts) against later renders (fonts reused);
  2. the renderer against a minimal fpdf2 document with the same fonts (DejaVu Sans regular and
     bold, added with add_font() as plain fpdf2 code does) and the same text, drawn with
     multi_cell: median times and their ratio (the goal is at most 1.5x);
  3. what text shaping costs: the same Latin sheet with HarfBuzz shaping forced on and off, and a
     sheet whose Arabic name needs shaping (and the Noto Arabic font).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fpdf import FPDF  # noqa: E402

from dashboard.adapters.pdf import document as pdf  # noqa: E402
from dashboard.adapters.pdf import fonts  # noqa: E402
from dashboard.core.document import (  # noqa: E402
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

CREATED = datetime(2025, 11, 3, 9, 30, tzinfo=UTC)


def typical_sheet(name: str = "Nguyễn Thị Minh Khai") -> DiscussionSheet:
    """A three-option sheet of about three pages, like core/sheet.py builds."""
    options = ("Liver surgery (resection)", "Heat treatment (radiofrequency ablation)",
               "Treatment through the blood vessels (chemoembolisation, TACE)")
    rows = (
        ("What it is", (
            ("An operation to take out the part of the liver that has the cancer. A rim of healthy "
            "liver around the tumour comes out too."),
            ("A thin needle is placed in the tumour. An electric current heats the tip of the "
            "needle and kills the cancer cells."),
            ("Cancer drugs are sent into the tumour through a thin tube in an artery. Tiny beads "
            "then block the blood that feeds the tumour."))),
        ("How it is done", (
            ("You are asleep under a general anaesthetic. This is done through one larger cut or "
            "a few small cuts (keyhole surgery)."),
            "The doctor guides the needle through the skin using an ultrasound or CT scan.",
            "A thin tube is passed through a blood vessel in the groin up to the liver.")),
        ("Time in hospital", (("About 5 to 7 days after open surgery; 2 to 5 days after keyhole "
                              "surgery."), "Usually home the same day or the day after.",
                              "Usually 1 or 2 nights.")),
        ("Recovery", ("It often takes 4 to 8 weeks to feel well again.",
                      "Many people feel unwell for a few days, then get back to their routine.",
                      "Tiredness, a fever and belly pain for a few days are common.")),
        ("What it aims to do", ("To remove all of the cancer, with the aim of a cure.",
                                "To destroy small tumours, with the aim of a cure.",
                                ("To control the cancer and slow it down; it does not usually "
                                "cure it."))),
    )
    questions = ("What is the goal of this treatment for me?",
                 "What are the main risks, and how likely are they?",
                 "How will we know if the treatment has worked?",
                 "What happens if it does not work, and what could we try next?",
                 "How long will I be in hospital, and when can I drive again?")
    return DiscussionSheet(
        title="Talking about your treatment options",
        metadata_title="Discussion sheet",
        lang="en-CA",
        footer_lines=(("This sheet helps you talk with your care team. It is not medical advice "
                      "on its own and does not replace your care team's advice."),
                      "Content version 1.4 (9f2c1ab) · reviewed 2025-10-01",
                      "Sheet check code 84B6-93E1"),
        page_label="Page {page} of {pages}",
        blocks=(
            LabelledValue("Name", name, user_field="patient_name"),
            LabelledValue("Appointment date", "", user_field="appointment_date"),
            Heading("Why we are meeting"),
            Paragraph("Your liver cancer has come back after treatment. There is more than one "
                      "choice for what to do next, and this sheet helps you talk them over."),
            Heading("The options we will talk about"),
            Paragraph("This sheet puts the options side by side so you can compare them."),
            OptionTable("", options, rows),
            Heading("Questions you may want to ask"),
            Bullets(questions),
            Heading("What matters most to you", level=2),
            TickBoxes(("Living as long as possible", "Keeping my quality of life",
                       "Spending less time in hospital", "Avoiding a big operation")),
            Paragraph("Anything else that matters to you:", style="lead"),
            WriteLines(4),
            Heading("Words to know"),
            Glossary((("ablation", "A way to kill a tumour with heat, without taking it out."),
                      ("anaesthetic", "Medicine that stops you from feeling pain."),
                      ("Child–Pugh score", "A way of measuring how well the liver works."))),
        ),
    )


FONT_DIR = fonts.FONT_DIR


def minimal_fpdf2(sheet: DiscussionSheet) -> bytes:
    """Plain fpdf2: add the two DejaVu fonts, write every string of the sheet with multi_cell."""
    doc = FPDF(format="A4")
    doc.add_font("dejavu", "", FONT_DIR / "DejaVuSans.ttf")
    doc.add_font("dejavu", "B", FONT_DIR / "DejaVuSans-Bold.ttf")
    doc.set_creation_date(CREATED)
    doc.add_page()
    for _field, text in pdf.strings(sheet):
        bold = text in {b.text for b in sheet.blocks if isinstance(b, Heading)}
        doc.set_font("dejavu", "B" if bold else "", 17 if bold else 12)
        doc.multi_cell(0, 6.5, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="renders per measurement (default 30)")
    n = parser.parse_args().n
    sheet = typical_sheet()
    arabic = typical_sheet("محمد عبد الله")

    start = time.perf_counter()
    first = pdf.render(sheet, created=CREATED)
    first_ms = (time.perf_counter() - start) * 1000
    later = timed(lambda: pdf.render(sheet, created=CREATED), n)
    print("1. Font parsing (once per process)")
    print(f"   first render (reads character maps):  {first_ms:7.1f} ms")
    print(f"   later renders, median of {n}:       {statistics.median(later):7.1f} ms")
    add_font = timed(lambda: (FPDF().add_font("d", "", FONT_DIR / "DejaVuSans.ttf"),
                              FPDF().add_font("d", "B", FONT_DIR / "DejaVuSans-Bold.ttf")), 10)
    print(f"   fpdf2 add_font(), DejaVu regular + bold, per document: "
          f"{statistics.median(add_font):.1f} ms (both documents pay it)")

    # Interleave the two so that machine noise hits both alike.
    ours, plain = [], []
    for _ in range(n):
        ours += timed(lambda: pdf.render(sheet, created=CREATED), 1)
        plain += timed(lambda: minimal_fpdf2(sheet), 1)
    pages = len(first.split(b"/Type /Page\n")) - 1
    ratio = statistics.median(ours) / statistics.median(plain)
    print(f"\n2. Renderer vs minimal fpdf2 document (same fonts and text), median of {n}")
    print(f"   renderer ({pages} pages, table, lists, header/footer): "
          f"{statistics.median(ours):7.1f} ms, {len(first) / 1024:.0f} KiB")
    print(f"   minimal fpdf2 (add_font + multi_cell):               "
          f"{statistics.median(plain):7.1f} ms, {len(minimal_fpdf2(sheet)) / 1024:.0f} KiB")
    plain_no_fonts = statistics.median(plain) - statistics.median(add_font)
    print(f"   ratio renderer / minimal: {ratio:.2f}x (goal <= 1.5x); "
          f"against the minimal document without its add_font time: "
          f"{statistics.median(ours) / plain_no_fonts:.2f}x")

    plan = pdf._preflight(sheet)
    off = timed(lambda: pdf._render(sheet, CREATED, fonts.FontPlan(plan.families, False)), n)
    on = timed(lambda: pdf._render(sheet, CREATED, fonts.FontPlan(plan.families, True)), n)
    needed = timed(lambda: pdf.render(arabic, created=CREATED), n)
    print(f"\n3. Text shaping (HarfBuzz), median of {n}")
    print(f"   Latin sheet, shaping off (what render() picks): {statistics.median(off):7.1f} ms")
    print(f"   Latin sheet, shaping forced on:                 {statistics.median(on):7.1f} ms "
          f"({statistics.median(on) / statistics.median(off):.1f}x)")
    print(f"   Arabic name, shaping on + Noto Arabic:          {statistics.median(needed):7.1f} ms")


if __name__ == "__main__":
    main()
