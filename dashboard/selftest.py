"""Start-up self-test of the files the discussion sheet needs (bad-input case 36, hazard H16).

Run once per server process, before any clinical screen is drawn: a missing or damaged font must
stop the dashboard at start-up with a clear message, not at the end of a consultation when the
sheet is prepared. It checks each font's table directory with `struct` (a few milliseconds for
all of them, mostly reading the files), so it does not load fpdf2 or fontTools; dashboard/pdf.py
parses the fonts fully on the first sheet.
"""

from __future__ import annotations

import struct
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent / "assets" / "fonts"
# The files dashboard/pdf.py registers (tests/test_bad_inputs_ui.py checks the two lists agree).
FONT_FILES = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
    "NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf",
    "NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf",
    "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf",
    "DroidSansFallbackFull.ttf",
)
_REQUIRED_TABLES = (b"cmap", b"head", b"hmtx", b"glyf", b"loca", b"maxp")
_SFNT_VERSIONS = (b"\x00\x01\x00\x00", b"true")
_HEAD_MAGIC = 0x5F0F3CF5


def font_problems(font_dir: Path | None = None) -> list[str]:
    """One line per font that is missing or not a complete TrueType file ([] when all are fine)."""
    font_dir = font_dir or FONT_DIR
    problems = []
    for name in FONT_FILES:
        path = font_dir / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        problem = _truetype_problem(path.read_bytes())
        if problem:
            problems.append(f"{name}: {problem}")
    return problems


def _truetype_problem(data: bytes) -> str:
    """Why `data` is not a complete TrueType font ("" when its table directory is sound)."""
    if len(data) < 12 or data[:4] not in _SFNT_VERSIONS:
        return "not a TrueType font"
    (count,) = struct.unpack(">H", data[4:6])
    if len(data) < 12 + 16 * count:
        return "truncated table directory"
    tables = {}
    for i in range(count):
        tag, _checksum, offset, length = struct.unpack(">4sIII", data[12 + 16 * i:28 + 16 * i])
        if offset + length > len(data):
            return f"table {tag.decode(errors='replace')!r} runs past the end of the file"
        tables[tag] = (offset, length)
    absent = [t.decode() for t in _REQUIRED_TABLES if t not in tables]
    if absent:
        return f"tables missing: {', '.join(absent)}"
    head, length = tables[b"head"]
    if length < 16 or struct.unpack(">I", data[head + 12:head + 16])[0] != _HEAD_MAGIC:
        return "damaged 'head' table"
    return ""
