"""Start-up self-test of the files the discussion sheet needs (bad-input case 36, hazard H16).

Run once per server process, before any clinical screen is drawn: a missing or damaged font must
stop the dashboard at start-up with a clear message, not at the end of a consultation when the
sheet is prepared. fontTools (installed with fpdf2) reads each font's table directory and every
table's bytes, without fpdf2; dashboard/adapters/pdf/ parses the fonts fully on the first sheet.
"""

from __future__ import annotations

from pathlib import Path

from fontTools.ttLib import TTFont

FONT_DIR = Path(__file__).resolve().parent / "assets" / "fonts"
# The files dashboard/adapters/pdf/ registers (tests/test_bad_inputs_ui.py checks both agree).
FONT_FILES = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
    *(f"NotoSans{script}-{style}.ttf"
      for script in ("Arabic", "Hebrew", "Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Tamil",
                     "Telugu", "Malayalam", "Thai", "Armenian", "Georgian", "Ethiopic",
                     "CanadianAboriginal")
      for style in ("Regular", "Bold")),
    "NanumSquareR.ttf", "NanumSquareB.ttf",
    "DroidSansFallbackFull.ttf",
)
_REQUIRED_TABLES = ("cmap", "head", "hmtx", "glyf", "loca", "maxp")


def font_problems(font_dir: Path | None = None) -> list[str]:
    """One line per font that is missing or not a complete TrueType file ([] when all are fine)."""
    font_dir = font_dir or FONT_DIR
    problems = []
    for name in FONT_FILES:
        path = font_dir / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        problem = _truetype_problem(path)
        if problem:
            problems.append(f"{name}: {problem}")
    return problems


def _truetype_problem(path: Path) -> str:
    """Why the file is not a complete TrueType font ("" when every table is there and whole)."""
    try:
        with TTFont(path, lazy=True) as font:
            absent = [tag for tag in _REQUIRED_TABLES if tag not in font.reader]
            if absent:
                return f"tables missing: {', '.join(absent)}"
            for tag in font.reader.keys():  # noqa: SIM118 - SFNTReader is not a dict; iterating it is not its tags
                font.reader[tag]  # reads the table's bytes: a truncated file fails here
            font["head"]  # decompiles the header: checks its magic number
    except Exception as exc:  # noqa: BLE001 - any failure means the font cannot be used
        return f"not a readable TrueType font ({type(exc).__name__})"
    return ""
