"""The bundled fonts: which font draws which script, pre-flight of every string, registration.

Reusable by any PDF of the product (the discussion sheet, a tumour-board list): call
`plan_fonts(strings)` with (field, text) pairs, then `register(pdf, plan)` on a new `FPDF`.

* One main family (DejaVu Sans: Latin incl. Vietnamese, Greek, Cyrillic, symbols) and one family
  per further script (see `FAMILIES` and assets/fonts/README.md). A script's characters are drawn
  by its own family only: they are taken out of the main font with fpdf2's `unicode_range`, so a
  word never mixes glyphs of two fonts, and regular and bold look alike.
* Lazy: a family's file is read only when a character of its script is on the page. Pre-flight
  reads character maps (fontTools, once per process); fpdf2 parses a font only when it is
  registered, which happens only for the families a document needs.
* Pre-flight refuses any character no bundled font can print, naming the field, before anything
  is drawn: fpdf2 therefore never reaches its "missing glyphs" warning (which would log patient
  characters). Private-use characters and emoji are refused on purpose.
* Only fpdf2's public API is used here (`add_font(unicode_range=...)`, `set_fallback_fonts`,
  `set_text_shaping`), except inside `shared_fonts()` (a clinic day, fpdf2 2.8.9 only): each
  font file is parsed once per day and every sheet gets its own copy of the parsed font (its
  own glyph set, widths and fontTools font to subset), and a subset already made that day for
  exactly the same glyphs is reused. Every sheet stays byte for byte the sheet drawn alone
  (tests/test_batch_equivalence.py).
"""

from __future__ import annotations

import copy
import functools
import io
import logging
import pickle
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fontTools.ttLib import TTFont

if TYPE_CHECKING:  # fpdf2 is needed only to register fonts on a document
    from fpdf import FPDF

__all__ = [
    "FAMILIES",
    "FONT_DIR",
    "MAIN_FAMILY",
    "FontPlan",
    "UnprintableText",
    "font_files",
    "in_main_font",
    "is_rtl_text",
    "load_fonts",
    "output",
    "plan_fonts",
    "printable",
    "register",
    "shared_fonts",
]


class _QuietSubsetter(logging.Filter):
    """Drop fontTools.subset's INFO/DEBUG records: at INFO it logs the glyph names of every
    embedded font, i.e. the characters printed on the sheet (a CJK name as uni738B, ...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_SUBSET_LOGGER = logging.getLogger("fontTools.subset")
if not any(isinstance(f, _QuietSubsetter) for f in _SUBSET_LOGGER.filters):
    _SUBSET_LOGGER.addFilter(_QuietSubsetter())

# The fpdf2 whose internals the sheet's workarounds are written for (the day's font copies
# here, the line measuring and character parsing of document.py); another version draws
# with fpdf2's own code only. requirements.txt pins it (tests/test_sheet_pdf.py).
PINNED_FPDF = "2.8.9"
FONT_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"

Ranges = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Family:
    """A font family: fpdf2 name (lower case), files, and the scripts it alone draws."""

    name: str
    regular: str
    bold: str = ""  # "" when the script has no bold face: bold text uses the regular one
    ranges: Ranges = ()  # () for the main family

    @property
    def files(self) -> tuple[tuple[str, str], ...]:
        return (("", self.regular),) + ((("B", self.bold),) if self.bold else ())


def _noto(script: str, *ranges: tuple[int, int]) -> Family:
    return Family(f"noto{script.lower()}", f"NotoSans{script}-Regular.ttf",
                  f"NotoSans{script}-Bold.ttf", tuple(ranges))


MAIN_FAMILY = "dejavu"
MAIN = Family(MAIN_FAMILY, "DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
# Scripts of the twenty most common mother tongues in Canada, Canadian Aboriginal syllabics, and
# a few more that cost little. Han and kana: one TTF (Droid Sans Fallback) for simplified and
# traditional Chinese and Japanese; Hangul: NanumSquare (all 11,172 syllables in 0.7 MB).
FAMILIES: tuple[Family, ...] = (
    _noto("Arabic", (0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF),
          (0xFE70, 0xFEFF)),  # Arabic, Persian, Urdu, Punjabi in Shahmukhi
    _noto("Hebrew", (0x0590, 0x05FF), (0xFB1D, 0xFB4F)),
    _noto("Devanagari", (0x0900, 0x097F), (0xA8E0, 0xA8FF)),  # Hindi, Marathi, Nepali
    _noto("Bengali", (0x0980, 0x09FF)),
    _noto("Gurmukhi", (0x0A00, 0x0A7F)),  # Punjabi
    _noto("Gujarati", (0x0A80, 0x0AFF)),
    _noto("Tamil", (0x0B80, 0x0BFF)),
    _noto("Telugu", (0x0C00, 0x0C7F)),
    _noto("Malayalam", (0x0D00, 0x0D7F)),
    _noto("Thai", (0x0E00, 0x0E7F)),
    _noto("Armenian", (0x0530, 0x058F), (0xFB13, 0xFB17)),
    _noto("Georgian", (0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F)),
    _noto("Ethiopic", (0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F)),  # Amharic, Tigrinya
    _noto("CanadianAboriginal", (0x1400, 0x167F), (0x18B0, 0x18FF)),  # Inuktitut, Cree, ...
    Family("nanum", "NanumSquareR.ttf", "NanumSquareB.ttf",
           ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF))),  # Korean
    Family("droid", "DroidSansFallbackFull.ttf", "",
           ((0x2E80, 0x2FDF), (0x3000, 0x30FF), (0x3100, 0x312F), (0x31A0, 0x31FF),
            (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF),
            (0x20000, 0x2FFFF))),  # Chinese (simplified and traditional), Japanese
)

# Refused everywhere: private use (meaningless to a reader; the page-total alias lives there),
# and emoji: the pictograph blocks, the emoji presentation selector and the older symbols whose
# default look is emoji (Emoji_Presentation=Yes). Text-style symbols (✓ ✔ ★ ☐ → ≥) stay.
EXCLUDED: Ranges = (
    (0x0000, 0x0009), (0x000B, 0x001F), (0x007F, 0x009F),  # control characters (not newline)
    (0xE000, 0xF8FF), (0xF0000, 0x10FFFF), (0x1F000, 0x1FAFF), (0xFE0F, 0xFE0F),
    (0x231A, 0x231B), (0x23E9, 0x23EC), (0x23F0, 0x23F0), (0x23F3, 0x23F3), (0x25FD, 0x25FE),
    (0x2614, 0x2615), (0x2648, 0x2653), (0x267F, 0x267F), (0x2693, 0x2693), (0x26A1, 0x26A1),
    (0x26AA, 0x26AB), (0x26BD, 0x26BE), (0x26C4, 0x26C5), (0x26CE, 0x26CE), (0x26D4, 0x26D4),
    (0x26EA, 0x26EA), (0x26F2, 0x26F3), (0x26F5, 0x26F5), (0x26FA, 0x26FA), (0x26FD, 0x26FD),
    (0x2705, 0x2705), (0x270A, 0x270B), (0x2728, 0x2728), (0x274C, 0x274C), (0x274E, 0x274E),
    (0x2753, 0x2755), (0x2757, 0x2757), (0x2795, 0x2797), (0x27B0, 0x27B0), (0x27BF, 0x27BF),
    (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55),
)
# Characters a script family also carries for its words: spaces, joiners and common punctuation.
# They stay drawn by the main font; the script family keeps them so that the one fpdf2 override
# (document.py) can join "word space word" into one run.
_SHARED_NEUTRALS: Ranges = ((0x0020, 0x002F), (0x003A, 0x0040), (0x00A0, 0x00A0),
                            (0x200B, 0x200F), (0x2010, 0x2015), (0x2018, 0x201F))

# Scripts that need HarfBuzz shaping (contextual forms, reordering, marks) or bidi reordering.
_SHAPING_RANGES: Ranges = (
    (0x0590, 0x08FF), (0x0900, 0x0DFF), (0x0E00, 0x0FFF), (0x1000, 0x109F), (0x1780, 0x18AF),
    (0xA8E0, 0xA8FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF), (0x200C, 0x200D),
    (0x1100, 0x11FF), (0xA960, 0xA97F), (0xD7B0, 0xD7FF),  # Hangul jamo compose when shaped
)


def _in(code: int, ranges: Ranges) -> bool:
    return any(lo <= code <= hi for lo, hi in ranges)


# --------------------------------------------------------------------------- errors


class UnprintableText(Exception):
    """A string holds characters no bundled font can print.

    `field` is the user field (e.g. "patient_name") or "content" for text from the content files;
    `characters` are the offending characters, once each, in order of appearance. `str()` is for
    the clinician on screen (it shows the characters); `without_text` is safe for logs.
    """

    def __init__(self, field: str, characters: tuple[str, ...]):
        self.field = field
        self.characters = characters
        shown = ", ".join(_show_char(c) for c in characters)
        what = "The sheet text" if field == "content" else "The " + field.replace("_", " ").strip()
        super().__init__(f"{what} contains characters the sheet cannot print: {shown}")
        self.without_text = (f"{what} contains {len(characters)} character(s) the sheet cannot "
                             "print (for example emoji, or a script without a bundled font).")


def _show_char(char: str) -> str:
    """The character itself, or its code point when it would be invisible or confusing."""
    if unicodedata.category(char)[0] in "CZM":
        return f"U+{ord(char):04X}"
    return char


# --------------------------------------------------------------------------- character maps


class _Cmaps:
    """Character maps of the bundled files, read once per process and only when needed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._maps: dict[str, frozenset[int]] = {}

    def of(self, file_name: str) -> frozenset[int]:
        found = self._maps.get(file_name)
        if found is None:
            with self._lock:
                found = self._maps.get(file_name)
                if found is None:
                    path = FONT_DIR / file_name  # FileNotFoundError names the missing file
                    with TTFont(path, lazy=True) as font:
                        cmap = font.getBestCmap()
                    if not cmap:
                        raise ValueError(f"font {file_name} has no Unicode character map")
                    found = frozenset(c for c in cmap if not _in(c, EXCLUDED))
                    self._maps[file_name] = found
        return found


_CMAPS = _Cmaps()
_ALL_RANGES: Ranges = tuple(r for family in FAMILIES for r in family.ranges)


@functools.lru_cache(maxsize=1)
def _main_codes() -> frozenset[int]:
    """What the main font draws: in both its styles and claimed by no script family."""
    return frozenset(c for c in _CMAPS.of(MAIN.regular) & _CMAPS.of(MAIN.bold)
                     if not _in(c, _ALL_RANGES))


def in_main_font(text: str) -> bool:
    """Every character of `text` is drawn by the main family (no fallback font needed)."""
    codes = _main_codes()
    return all(ord(c) in codes or c.isspace() for c in text)


@functools.cache
def _sorted_codes(family_name: str) -> tuple[int, ...]:
    """A family's code points as add_font(unicode_range=...) takes them (font data only)."""
    if family_name == MAIN.name:
        return tuple(sorted(_main_codes()))
    return tuple(sorted(_family_codes(next(f for f in FAMILIES if f.name == family_name))))


def _family_of(code: int) -> Family | None:
    for family in FAMILIES:
        if _in(code, family.ranges):
            return family
    return None


@functools.cache
def _family_codes(family: Family) -> frozenset[int]:
    return frozenset(c for c in _CMAPS.of(family.regular)
                     if _in(c, family.ranges) or _in(c, _SHARED_NEUTRALS))


# --------------------------------------------------------------------------- pre-flight


@dataclass(frozen=True)
class FontPlan:
    """The script families a document needs (in `FAMILIES` order) and whether to shape text."""

    families: tuple[str, ...] = ()
    shaping: bool = False


def plan_fonts(strings: Iterable[tuple[str, str]]) -> FontPlan:
    """Check every (field, text) pair; user fields are checked before content text.

    Raises `UnprintableText` for the first string holding a character no bundled font prints.
    """
    main = _main_codes()
    needed: set[str] = set()
    shaping = False
    for field, text in sorted(strings, key=lambda item: item[0] == "content"):
        bad: dict[str, None] = {}
        for char in text:
            code = ord(char)
            if code in main or char == "\n":
                if not shaping and code >= 0x300 and unicodedata.combining(char):
                    shaping = True
                continue
            family = _family_of(code)
            if family is None or code not in _family_codes(family):
                bad[char] = None
                continue
            needed.add(family.name)
            if not shaping and _needs_shaping(char):
                shaping = True
        if bad:
            raise UnprintableText(field, tuple(bad))
    return FontPlan(tuple(f.name for f in FAMILIES if f.name in needed), shaping)


def printable(text: str) -> bool:
    """True when every character of `text` can be printed (for checks beside a form field)."""
    try:
        plan_fonts([("text", text)])
    except UnprintableText:
        return False
    return True


def _needs_shaping(char: str) -> bool:
    return (_in(ord(char), _SHAPING_RANGES) or unicodedata.combining(char) != 0
            or unicodedata.bidirectional(char) in ("R", "AL", "AN"))


def is_rtl_text(text: str) -> bool:
    """The first strong character is right-to-left (used only to choose right alignment)."""
    for char in text:
        bidi = unicodedata.bidirectional(char)
        if bidi in ("R", "AL"):
            return True
        if bidi == "L":
            return False
    return False


# --------------------------------------------------------------------------- registration


def register(pdf: FPDF, plan: FontPlan, like: FPDF | None = None) -> None:
    """Add the main family and the planned script families to a new document.

    `like`: a document of the same text that already has them (a trial layout of the same sheet
    at other sizes): its parsed fonts are shared instead of parsed again (a third of a trial
    layout's time). They draw the same characters, so the embedded subsets stay the same.
    """
    by_name = {f.name: f for f in FAMILIES}
    fallbacks = [name + style for name in plan.families
                 for style, _file in by_name[name].files]
    day = _DAY_FONTS.get()
    if like is not None:
        for key, font in like.fonts.items():
            pdf.fonts[key] = font
        pdf.__dict__[_SHARED] = like.__dict__.get(_SHARED, [])
    else:
        main = list(_sorted_codes(MAIN.name))
        for style, file_name in MAIN.files:
            _add_font(pdf, MAIN.name, style, file_name, main, day)
        for name in plan.families:
            family = by_name[name]
            codes = list(_sorted_codes(family.name))
            for style, file_name in family.files:
                _add_font(pdf, family.name, style, file_name, codes, day)
    if fallbacks:
        # exact_match=False: bold text may use a regular-only script font instead of losing
        # its characters (fpdf2 would otherwise drop them with only a log warning).
        pdf.set_fallback_fonts(list(dict.fromkeys(f.rstrip("B") for f in fallbacks)),
                               exact_match=False)
    pdf.set_text_shaping(plan.shaping)


def _add_font(pdf: FPDF, name: str, style: str, file_name: str, codes: list[int],
              day: _DayFonts | None) -> None:
    if day is None or not day.add(pdf, name, style, file_name, codes):
        pdf.add_font(name, style, FONT_DIR / file_name, unicode_range=codes)


# --------------------------------------------------------------------------- a clinic day's fonts

_SHARED = "_dashboard_day_fonts"  # on a document: [(its font, template key)] shared this way
_DAY_FONTS: ContextVar[_DayFonts | None] = ContextVar("day_fonts", default=None)
_SUBSETS_MOST = 64 * 2**20  # bytes of subsets kept per day; beyond that they are made anew


@contextmanager
def shared_fonts() -> Iterator[None]:
    """Documents registered inside this block (one clinic day, in this thread's context) share
    each font file's parsing, and subsets for the same glyphs. Dropped with the block."""
    import fpdf

    token = _DAY_FONTS.set(_DayFonts() if fpdf.__version__ == PINNED_FPDF else None)
    try:
        yield
    finally:
        _DAY_FONTS.reset(token)


def output(pdf: FPDF) -> bytearray:
    """`pdf.output()`; in a clinic day, a font whose subset for exactly the same glyphs was
    made earlier this day gets that subset to embed (subsetting it again with the same glyphs
    changes nothing and takes a fraction of the time), and the subsets made now are kept."""
    day = _DAY_FONTS.get()
    if day is None or not pdf.__dict__.get(_SHARED):
        return pdf.output()
    from fpdf.output import OutputProducer

    class _DayOutput(OutputProducer):  # fpdf2's public output_producer_class hook
        def bufferize(self) -> bytearray:
            # the glyphs are final here (fpdf2 has drawn the last footer)
            made = []
            for font, key in pdf.__dict__[_SHARED]:
                glyphs = (key, frozenset(font.subset.get_all_glyph_names()))
                kept = day.subsets.get(glyphs)
                if kept is None:
                    made.append((font, glyphs))
                else:
                    font.ttfont = pickle.loads(kept)
                    day.reused += 1
            data = super().bufferize()
            for font, glyphs in made:
                day.keep(glyphs, pickle.dumps(font.ttfont, protocol=pickle.HIGHEST_PROTOCOL))
            return data

    return pdf.output(output_producer_class=_DayOutput)


class _DayFonts:
    """Each font of the day parsed once (fpdf2's own add_font on a scratch document), kept
    with its fontTools font as bytes; and the subsets made, by glyph set."""

    def __init__(self) -> None:
        self.templates: dict[tuple[str, str, str], tuple[Any, bytes] | None] = {}
        self.subsets: dict[tuple[Any, frozenset[str]], bytes] = {}
        self.kept = 0  # bytes
        self.reused = 0  # subsets embedded again

    def add(self, pdf: FPDF, name: str, style: str, file_name: str, codes: list[int]) -> bool:
        """Give `pdf` its own copy of the parsed font; False when this font is not shared."""
        from fpdf.fonts import SubsetMap

        key = (name, style, file_name)
        if key not in self.templates:
            self.templates[key] = self._template(name, style, file_name, codes)
        template = self.templates[key]
        if template is None or pdf.render_color_fonts is not True:
            return False
        parsed, pristine = template
        font = copy.copy(parsed)  # the immutable parts shared, as fpdf2's own __deepcopy__
        font.i = len(pdf.fonts) + 1
        font.cw = copy.copy(parsed.cw)
        font.glyph_ids = dict(parsed.glyph_ids)
        font.missing_glyphs = []
        font.desc = copy.copy(parsed.desc)
        font.biggest_size_pt = 0
        font._hbfont = None
        font.ttfont = pickle.loads(pristine)
        font.subset = SubsetMap(font)  # this document's glyphs only
        pdf.fonts[font.fontkey] = font
        pdf.__dict__.setdefault(_SHARED, []).append((font, key))
        return True

    @staticmethod
    def _template(name: str, style: str, file_name: str,
                  codes: list[int]) -> tuple[Any, bytes] | None:
        from fpdf import FPDF

        scratch = FPDF()
        scratch.add_font(name, style, FONT_DIR / file_name, unicode_range=codes)
        parsed = next(iter(scratch.fonts.values()))
        if parsed.color_font is not None or parsed.is_cff or scratch.render_color_fonts \
                is not True:
            return None
        # the same fontTools font, read from memory so that it can be copied (pickled)
        parsed.ttfont.reader.file = io.BytesIO((FONT_DIR / file_name).read_bytes())
        return parsed, pickle.dumps(parsed.ttfont, protocol=pickle.HIGHEST_PROTOCOL)

    def keep(self, glyphs: tuple[Any, frozenset[str]], data: bytes) -> None:
        if self.kept + len(data) <= _SUBSETS_MOST and glyphs not in self.subsets:
            self.subsets[glyphs] = data
            self.kept += len(data)


def font_files() -> tuple[str, ...]:
    """Every bundled font file the renderer may register (the start-up self-test checks them)."""
    return tuple(file for family in (MAIN, *FAMILIES) for _style, file in family.files)


def load_fonts() -> None:
    """Read the main font's character maps now (a start-up check; later calls are free)."""
    _main_codes()
