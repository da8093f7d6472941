"""The floor for the sheet benchmark: plain fpdf2 writing given strings with the sheet's fonts.

    python bench/floor.py STRINGS.json OUT.pdf

STRINGS.json is a list of [text, bold] pairs (bench/bench_pdf.py writes it from a real sheet).
Only fpdf2 and the bundled DejaVu fonts: add_font, add_page, multi_cell, output. No layout rules,
no tables, no pre-flight: what any fpdf2 program printing the same text must at least spend.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parents[1] / "dashboard" / "assets" / "fonts"


def floor_pdf(strings: list[tuple[str, bool]]) -> bytes:
    doc = FPDF(format="Letter")
    doc.add_font("dejavu", "", FONTS / "DejaVuSans.ttf")
    doc.add_font("dejavu", "B", FONTS / "DejaVuSans-Bold.ttf")
    doc.add_page()
    for text, bold in strings:
        doc.set_font("dejavu", "B" if bold else "", 11)
        doc.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def main() -> None:
    strings = [(text, bool(bold)) for text, bold in json.loads(Path(sys.argv[1]).read_text())]
    Path(sys.argv[2]).write_bytes(floor_pdf(strings))


if __name__ == "__main__":
    main()
