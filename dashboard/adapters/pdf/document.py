"""Draw a `DiscussionSheet` as a PDF (fpdf2 2.8.9): blocks in order, running header and footer.

The renderer decides nothing about wording or selection: every printed string comes from the
sheet (core/sheet.py). It decides layout: sizes, spacing, where pages break. Table geometry and
pagination are computed in table.py from a measuring function, so they are testable without fpdf2.

Guarantees (tests/test_pdf.py): nothing is interpreted (no markdown, no HTML, no `{nb}` alias in
user text); every character is checked before drawing (fonts.plan_fonts); the PDF title is
`sheet.metadata_title` with no author, subject or keywords; no resource can be loaded
(`ResourceAccessPolicy.NONE`); the same sheet and `created` give the same bytes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import fpdf
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, ResourceAccessPolicy, WrapMode, XPos, YPos
from fpdf.fonts import TTFFont
from fpdf.line_break import Fragment
from fpdf.prefs import ViewerPreferences

from dashboard.core.document import (
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
    WriteLines,
)

from .fonts import (
    MAIN_FAMILY,
    PINNED_FPDF,
    FontPlan,
    UnprintableText,
    in_main_font,
    is_rtl_text,
    output,
    plan_fonts,
    register,
    shared_fonts,
)
from .table import (
    Geometry,
    RowTooTall,
    balanced_widths,
    columns_per_table,
    paginate,
    row_height,
)

__all__ = ["count_pages", "render", "render_counted", "shared_measurements"]

# The overrides of fpdf2 internals (_SheetPDF._parse_chars, _SummedFragment) hold for
# PINNED_FPDF only (fonts.py: one pin for every workaround of the sheet's PDF code).


def strings(sheet: DiscussionSheet) -> Iterator[tuple[str, str]]:
    """Every printed string with the field named in errors, in document order."""
    yield "content", sheet.page_label
    yield "content", sheet.title
    for block in sheet.blocks:
        if isinstance(block, Heading):
            yield "content", block.text
        elif isinstance(block, Paragraph):
            yield block.user_field or "content", block.text
        elif isinstance(block, Bullets | TickBoxes):
            for item in block.items:
                yield "content", item
        elif isinstance(block, LabelledValue):
            yield "content", block.label
            yield block.user_field or "content", block.value
        elif isinstance(block, OptionTable):
            yield "content", block.row_header
            for column in (*block.columns, *block.short_columns):
                yield "content", column
            for label, cells in block.rows:
                yield "content", label
                for cell in cells:
                    yield "content", cell
        elif isinstance(block, Glossary):
            for term, definition in block.entries:
                yield "content", term
                yield "content", definition
    for line in sheet.footer_lines:
        yield "content", line



def _preflight(sheet: DiscussionSheet) -> FontPlan:
    return plan_fonts(strings(sheet))


# How texts wrap, shared by the sheets of one clinic day (most texts come from content and are the
# same on every sheet). Set only inside `shared_measurements()`, in this thread's context: never
# shared between sessions, and dropped, with any patient text in it, when the day is drawn.
_SHARED_LINES: ContextVar[dict[tuple[Any, ...], list[str]] | None] = ContextVar(
    "shared_lines", default=None)
_SHARED_MOST = 50_000  # entries; a longer day measures the rest anew (memory stays bounded)


@contextmanager
def shared_measurements() -> Iterator[None]:
    """Sheets drawn inside this block share how their texts wrap (a clinic day: several times
    faster per sheet). The bytes of every sheet stay exactly those it has when drawn alone:
    each sheet first gives every one of its characters its glyph, in code-point order
    (_SheetPDF._pick_glyphs), so a measurement skipped here changes nothing in the file."""
    token = _SHARED_LINES.set({})
    try:
        with shared_fonts():  # and each font file is parsed once for the day
            yield
    finally:
        _SHARED_LINES.reset(token)


# --------------------------------------------------------------------------- layout settings


@dataclass(frozen=True)
class _Sizes:
    """Font sizes in points; line heights are factors of the font size."""

    body: float
    small: float
    lead: float
    h2: float
    h1: float
    title: float
    footer: float
    box: float  # tick-box side, mm
    write_gap: float  # distance between write-on lines, mm
    table: float = 11  # option grid text
    table_line: float = 1.22
    line: float = 1.4
    footer_line: float = 1.3
    heading_line: float = 1.25
    gap: float = 1.0  # factor on the space between blocks
    side: float = 0.0  # side margins, mm (0: the print's usual ones)
    top: float = 12.0  # top margin, mm
    cell_pad: float = 1.2  # space above and below the text of a grid cell, mm


_STANDARD = _Sizes(body=11, small=10, lead=11.5, h2=12.5, h1=14, title=17, footer=8.5,
                   box=4.0, write_gap=9, table=10, line=1.35)
_LARGE = _Sizes(body=16, small=16, lead=16.5, h2=18, h1=20, title=24, footer=13,
                box=5.8, write_gap=12, table=16)
# Tighter sizes, used in turn only while the sheet would otherwise exceed its page target
# (fit_pages). Never below 9.5 pt in standard print (10 pt body), never below 16 pt in large
# print (the footer line excepted): what gets tighter is mostly the space between lines.
_STANDARD_COMPACT = _Sizes(body=10.5, small=9.5, lead=11, h2=12, h1=13, title=16, footer=8.5,
                           box=3.8, write_gap=8.5, table=9.5, line=1.3)
_STANDARD_TIGHT = _Sizes(body=10, small=9.5, lead=10.5, h2=11.5, h1=12.5, title=15, footer=8.5,
                         box=3.6, write_gap=8, table=9.5, table_line=1.17, line=1.25,
                         heading_line=1.2, gap=0.7, side=12.7, top=10.0)
_LARGE_COMPACT = _Sizes(body=16, small=16, lead=16, h2=17, h1=18, title=21, footer=11,
                        box=5.4, write_gap=11, table=16, line=1.28)
_LARGE_TIGHT = _Sizes(body=16, small=16, lead=16, h2=16.5, h1=17, title=19, footer=10,
                      box=5.2, write_gap=10, table=16, table_line=1.15, line=1.2,
                      heading_line=1.15, gap=0.6, top=10.0, side=10.0, cell_pad=0.7)
_STANDARD_STEPS = (_STANDARD, _STANDARD_COMPACT, _STANDARD_TIGHT)
_LARGE_STEPS = (_LARGE, _LARGE_COMPACT, _LARGE_TIGHT)
MAX_COLUMNS = 4  # options side by side in one grid
_LARGE_COLUMNS = 1  # in large print: one option per table, full width (fewer, longer lines)
_FIT_SLACK = 0.5  # mm kept free when deciding that a table row fits (rounding in fpdf2)

_PT = 25.4 / 72  # mm per point
_PAPER = {"a4": "A4", "letter": "Letter"}
_SIDE_MARGIN = 16.0
_SIDE_MARGIN_LARGE = 12.7  # half an inch: longer lines of large print
_BOTTOM_EDGE = 10.0  # distance from the page edge to the bottom of the footer
_PAGE_TOTAL_ALIAS = "\ue000\ue001"  # private use: preflight refuses it in any input

# Bidi classes of characters that may sit between two runs of one script without breaking it:
# white space, separators, other neutrals, and boundary neutrals (ZWJ, ZWNJ).
_NEUTRAL_BIDI = frozenset({"WS", "CS", "ES", "ET", "ON", "BN"})

_TEXT = (26, 26, 26)
_MUTED = (55, 55, 55)
_HEADING = (12, 52, 97)
_RULE = (120, 130, 140)
_TABLE_HEAD_FILL = (222, 233, 245)
_TABLE_ROW_FILL = (246, 248, 251)
_CELL_PAD_X = 2.2


class _SummedFragment(Fragment):
    """fpdf2's Fragment, with the width of its whole text kept as a running sum.

    fpdf2 2.8.9 breaks a line by adding one character at a time and asking, for each, the width
    of the whole line so far (CurrentLine.width sums every character again): measuring a text
    costs the square of its line length, about half the time of a sheet. This sums only the
    characters added since the last call, in the same order as fpdf2's own sum() over the same
    integer glyph widths, with the same size and scale arithmetic: the widths, and so every
    line break and every byte, are the same (tests/test_pdf.py compares with fpdf2's). Anything
    else (text shaping, character spacing, stretching, a part of the text) is fpdf2's own."""

    _summed: tuple[list[str], int, float] | None = None  # (the list, characters summed, sum)
    _plain = False  # a TTF font, no shaping, spacing or stretching: set by of()
    _size = 0.0

    @classmethod
    def of(cls, fragment: Fragment) -> Fragment:
        if type(fragment) is not Fragment:
            return fragment
        font = fragment.font
        if (not isinstance(font, TTFFont) or font.is_symbol or fragment.text_shaping_parameters
                or fragment.font_stretching != 100 or fragment.char_spacing != 0):
            return fragment
        summed = cls(fragment.characters, fragment.graphics_state, fragment.k, fragment.link)
        summed._plain, summed._size = True, fragment.font_size_pt
        return summed

    def clone(self, characters: list[str] | str = "", link: int | str | None = None) -> Fragment:
        twin = super().clone(characters, link)
        twin._plain, twin._size = self._plain, self._size  # type: ignore[attr-defined]
        return twin

    def get_width(self, start: int = 0, end: int | None = None, chars: str | None = None,
                  initial_cs: bool = True) -> float:
        if not self._plain:
            return super().get_width(start, end, chars, initial_cs)
        font, size, characters = self.font, self._size, self.characters
        if size > font.biggest_size_pt:  # as fpdf2's get_text_width records it
            font.biggest_size_pt = size
        cw = font.cw
        total: float = 0
        if chars is not None or start or end is not None:  # one character, or a part
            for char in (chars if chars is not None else characters[start:end]):
                total += cw[ord(char)]
            return total * size * 0.001 / self.k
        summed = self._summed
        done = 0
        if summed is not None and summed[0] is characters and summed[1] <= len(characters):
            total, done = summed[2], summed[1]
        for char in characters[done:]:
            total += cw[ord(char)]
        self._summed = (characters, len(characters), total)
        return total * size * 0.001 / self.k


class _SheetPDF(FPDF):
    """One document. Created per render; fpdf2 objects cannot be reused after output()."""

    def __init__(self, sheet: DiscussionSheet, plan: FontPlan, sizes: _Sizes | None = None,
                 like: FPDF | None = None):
        paper = _PAPER.get(sheet.paper)
        if paper is None:
            raise ValueError(f"paper must be one of {sorted(_PAPER)}")
        super().__init__(orientation="portrait", unit="mm", format=paper)
        self.sheet = sheet
        self.sizes = sizes or _size_steps(sheet)[0]
        self.resource_access_policy = ResourceAccessPolicy.NONE
        self.alias_nb_pages(_PAGE_TOTAL_ALIAS)
        register(self, plan, like)  # `like`: share the fonts of a trial layout
        self.shaping = plan.shaping
        self.side_margin = self.sizes.side or (_SIDE_MARGIN_LARGE if sheet.large_print
                                               else _SIDE_MARGIN)
        self.set_margins(self.side_margin, self.sizes.top, self.side_margin)
        self.header_height = 0.0  # no running header: the footer carries page N of M
        self.footer_height = 0.0  # measured on the first page (measuring needs a page)
        self._outline_level = -1
        self._grid_cache: dict[int, list[_GridPart]] = {}
        self._lines_cache: dict[tuple[Any, ...], list[str]] = {}
        # text shaping picks glyphs by context, not by character: such sheets never share
        shared = _SHARED_LINES.get()
        self._shared_lines = shared if shared is not None and not plan.shaping else None
        self._plan_key = (plan.families, plan.shaping)
        self._picked: frozenset[str] = frozenset()

    # ----------------------------------------------------------- fragments

    def _parse_chars(self, text: str, markdown: bool, **kwargs: Any) -> Iterator[Fragment]:
        """fpdf2's split of text into same-font fragments, with neutral gaps re-joined.

        fpdf2 picks a font per character, so "محمد عبد الله" becomes Noto "محمد", DejaVu " ",
        Noto "عبد", ... Each run is then shaped and placed separately, and PDF text extraction
        (copy and paste, screen readers, pypdf) returns the words of a right-to-left name in
        visual order: "الله عبد محمد". Re-joining a space (or ZWJ/ZWNJ, or punctuation) that
        sits between two runs of the same fallback font, which has that glyph too, keeps the
        name as one run: correct joining across ZWJ, and extraction in logical order.
        """
        fragments = list(super()._parse_chars(text, markdown, **kwargs))
        if fpdf.__version__ != PINNED_FPDF:
            yield from fragments
            return
        if len(fragments) < 3 or not self._fallback_font_ids:
            yield from map(_SummedFragment.of, fragments)
            return
        merged: list[Fragment] = [fragments[0]]
        index = 1
        while index < len(fragments):
            before, gap = merged[-1], fragments[index]
            after = fragments[index + 1] if index + 1 < len(fragments) else None
            if after is not None and self._joinable(before, gap, after):
                merged[-1] = before.clone(
                    characters=before.characters + gap.characters + after.characters,
                    link=before.link,
                )
                index += 2
                continue
            merged.append(gap)
            index += 1
        yield from map(_SummedFragment.of, merged)

    def _joinable(self, before: Fragment, gap: Fragment, after: Fragment) -> bool:
        font = before.font
        if (
            type(before) is not Fragment or type(gap) is not Fragment or type(after) is not Fragment
            or font is not after.font or font.fontkey not in self._fallback_font_ids
            or before.link != after.link or gap.link != before.link
        ):
            return False
        for attribute in ("font_size_pt", "text_color", "underline", "strikethrough",
                          "char_vpos", "char_spacing", "font_stretching"):
            if not (getattr(before, attribute) == getattr(gap, attribute)
                    == getattr(after, attribute)):
                return False
        cmap = font.cmap
        return all(
            ord(char) in cmap and unicodedata.bidirectional(char) in _NEUTRAL_BIDI
            for char in gap.characters
        )

    def cell(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """fpdf2's cell(); after text drawn partly by a fallback font (a Gurmukhi name), the
        current font is set again in the page: fpdf2 2.8.9 left the fallback font selected in
        the content stream while it took the main font as current, and the next line of plain
        Latin text came out in the fallback font's glyphs (found by looking at a wrapped name)."""
        result = super().cell(*args, **kwargs)
        text = args[2] if len(args) > 2 else kwargs.get("text", "")
        if self._fallback_font_ids and text and not in_main_font(text):
            family, style, size = self.font_family, self.font_style, self.font_size_pt
            self.set_font(family, style, size + 1)
            self.set_font(family, style, size)
        return result

    # ----------------------------------------------------------- running header and footer

    def _page_label(self, page: int | str, pages: str) -> str:
        return self.sheet.page_label.format(page=page, pages=pages)

    def _measure_footer(self) -> float:
        s = self.sizes
        self.set_font(MAIN_FAMILY, "", s.footer)
        lh = s.footer * _PT * s.footer_line
        lines = sum(len(self._lines(text, self.epw)) for text in self._footer_texts("99"))
        return 2.5 + lines * lh

    def _footer_texts(self, pages: str) -> tuple[str, ...]:
        return (*self.sheet.footer_lines, self._page_label(self.page_no(), pages))

    def footer(self) -> None:
        """Every page: a rule, the disclaimer line(s), then page N of M with the check code."""
        s = self.sizes
        lh = s.footer * _PT * s.footer_line
        top = self.h - _BOTTOM_EDGE - self.footer_height
        body_left = self.l_margin
        self.set_left_margin(self.side_margin)
        self.set_draw_color(*_RULE)
        self.set_line_width(0.3)
        self.line(self.l_margin, top, self.w - self.r_margin, top)
        self.set_xy(self.l_margin, top + 2.5)
        self.set_font(MAIN_FAMILY, "", s.footer)
        self.set_text_color(*_MUTED)
        for text in self._footer_texts(_PAGE_TOTAL_ALIAS):
            self.multi_cell(0, lh, text, align=self._align(text), markdown=False,
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*_TEXT)
        self.set_left_margin(body_left)

    # ----------------------------------------------------------- helpers

    def _lines(self, text: str, width: float, pad_x: float = 0) -> list[str]:
        """How multi_cell would wrap `text` in a cell `width` wide (with the current font).

        With pad_x, the horizontal padding replaces the cell margin, as in fpdf2 tables.
        Inside `shared_measurements()` the answer may come from an earlier sheet, but only for a
        text whose every character this sheet has already given its glyph (_pick_glyphs): a
        dry run of multi_cell picks glyphs, and skipping it must not change the file.
        """
        key = (text, width, pad_x, self.font_family, self.font_style, self.font_size_pt)
        lines = self._lines_cache.get(key)
        if lines is None:
            shared = self._shared_lines
            if shared is not None and self._picked.issuperset(text.replace("\n", "")):
                shared_key = (*key, self._plan_key, self.c_margin)
                lines = shared.get(shared_key)
                if lines is None:
                    lines = self._dry_lines(text, width, pad_x)
                    if len(shared) < _SHARED_MOST:
                        shared[shared_key] = lines
            else:
                lines = self._dry_lines(text, width, pad_x)
            self._lines_cache[key] = lines
        return lines

    def _dry_lines(self, text: str, width: float, pad_x: float) -> list[str]:
        padding = (0, pad_x, 0, pad_x) if pad_x else 0
        return list(self.multi_cell(width, 5, text, dry_run=True, markdown=False,
                                    output=MethodReturnValue.LINES, padding=padding))

    def _pick_glyphs(self) -> None:
        """Give every character of the sheet its glyph in the embedded fonts, in code-point
        order and in each style of the main family, before anything is measured or drawn (a
        dry run picks glyphs too). Which glyph gets which code then never depends on which
        measurements were skipped (`shared_measurements`): a sheet in a clinic day is byte for
        byte the sheet drawn alone. `_picked` holds the characters the dry run did place.
        Not with text shaping (glyphs then depend on their neighbours, and such a sheet never
        shares): its file stays exactly as fpdf2 makes it."""
        if self.shaping:
            return
        chars = {c for _field, text in strings(self.sheet) for c in text}
        text = "".join(sorted(chars | set("0123456789") - {"\n"}))
        picked: set[str] = set()
        main = MAIN_FAMILY.lower()
        for style in sorted(key[len(main):] for key in self.fonts
                            if key.startswith(main) and set(key[len(main):]) <= set("BI")):
            self.set_font(MAIN_FAMILY, style, self.sizes.body)
            lines = self.multi_cell(self.epw, 5, text, dry_run=True, markdown=False,
                                    wrapmode=WrapMode.CHAR, output=MethodReturnValue.LINES)
            done = set("".join(lines))
            picked = done if not picked else picked & done
        self._picked = frozenset(picked)

    def _align(self, text: str) -> Align:
        return Align.R if self.shaping and is_rtl_text(text) else Align.L

    def _lh(self, size: float, factor: float | None = None) -> float:
        return size * _PT * (factor or self.sizes.line)

    def _at_page_top(self) -> bool:
        return self.y <= self.t_margin + self.header_height + 0.01

    def _space(self, mm: float) -> None:
        if not self._at_page_top():
            self.y = min(self.y + mm, self.page_break_trigger)

    def _keep(self, height: float) -> None:
        """Start a new page unless `height` mm still fit on this one."""
        if self.will_page_break(height) and not self._at_page_top():
            self.add_page()

    def _text(self, text: str, size: float, style: str = "", indent: float = 0,
              factor: float | None = None, align: Align | None = None) -> None:
        """Wrapped text, with `indent` mm kept on following lines and pages.

        The text is wrapped once (`_lines`, cached, also used to measure it) and each line
        printed with cell(): no second line breaking, and what was measured is what is drawn.
        """
        self.set_font(MAIN_FAMILY, style, size)
        width = self.epw - indent
        lh = self._lh(size, factor)
        align = align or self._align(text)
        for line in self._lines(text, width):
            if self.will_page_break(lh):
                self.add_page()
            self.set_x(self.l_margin + indent)
            self.cell(width, lh, line, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # ----------------------------------------------------------- blocks

    def draw(self) -> None:
        s = self.sizes
        self.add_page()
        self._pick_glyphs()
        self.footer_height = self._measure_footer()
        self.set_auto_page_break(True, margin=_BOTTOM_EDGE + self.footer_height + 4)
        if self.sheet.title:
            self.set_text_color(*_HEADING)
            self._text(self.sheet.title, s.title, "B", factor=s.heading_line)
            self.set_text_color(*_TEXT)
            self._space(self._lh(s.body) * 0.6 * self.sizes.gap)
        blocks = self.sheet.blocks
        index = 0
        while index < len(blocks):
            block = blocks[index]
            pair = blocks[index + 1] if index + 1 < len(blocks) else None
            if (isinstance(block, LabelledValue) and isinstance(pair, LabelledValue)
                    and block.half and pair.half and not self.sheet.large_print):
                self._labelled_pair(block, pair)
                index += 2
                continue
            self._block(block, *(list(blocks[index + 1:index + 3]) + [None, None])[:2])
            index += 1

    def _lead_height(self, block: Block | None, after: Block | None = None) -> float:
        """Height of the start of `block`, kept on the same page as a heading before it.

        A short paragraph that introduces a list keeps with that list's start, so the heading
        keeps with both (never a heading alone at the bottom of a page).
        """
        s = self.sizes
        body_lh = self._lh(s.body)
        if isinstance(block, Paragraph) and isinstance(after, Bullets | TickBoxes | WriteLines):
            size = {"small": s.small, "lead": s.lead}.get(block.style, s.body)
            own = self._text_height(block.text, size) + self._lh(size) * 0.45 * self.sizes.gap
            if own <= 4 * self._lh(size):
                return own + self._lead_height(after)
        if isinstance(block, OptionTable):
            return self._grid_parts(block)[0].lead_height
        if isinstance(block, Heading):
            return self._lh(s.h2, s.heading_line) + 2 * body_lh
        if isinstance(block, WriteLines):
            return 2 * s.write_gap
        if isinstance(block, LabelledValue):
            return 1.7 * body_lh
        if isinstance(block, TickBoxes) and block.per_line >= 2:
            return self._pairs_lead(self._pair_heights(block.items))
        if isinstance(block, Bullets | TickBoxes):
            heights = (self._bullet_heights(block.items) if isinstance(block, Bullets)
                       else self._tick_heights(block.items))
            return self._list_lead(heights)
        if block is None or isinstance(block, PageBreak):
            return 0.0
        return 2 * body_lh

    def _block(self, block: Block, following: Block | None = None,
               after: Block | None = None) -> None:
        s = self.sizes
        body_lh = self._lh(s.body)
        if isinstance(block, Heading):
            level = 1 if block.level <= 1 else 2
            size = s.h1 if level == 1 else s.h2
            lh = self._lh(size, s.heading_line)
            self._space(body_lh * (0.55 if level == 1 else 0.4) * self.sizes.gap)
            self.set_font(MAIN_FAMILY, "B", size)
            rule = 1.8 if level == 1 else 0.0
            own = len(self._lines(block.text, self.epw)) * lh + body_lh * 0.25 * s.gap + rule
            # never a heading alone at the bottom of a page
            self._keep(own + self._lead_height(following, after))
            outline_level = min(level - 1, self._outline_level + 1)
            if block.text.strip():  # a PDF bookmark, for navigation and screen readers
                self.start_section(block.text, outline_level)
                self._outline_level = outline_level
            self.set_text_color(*_HEADING)
            self._text(block.text, size, "B", factor=s.heading_line)
            self.set_text_color(*_TEXT)
            if level == 1:
                self.set_draw_color(*_HEADING)
                self.set_line_width(0.5)
                self.line(self.l_margin, self.y + 0.8, self.w - self.r_margin, self.y + 0.8)
                self.y += rule
            self.y += body_lh * 0.25 * self.sizes.gap
        elif isinstance(block, Paragraph):
            size = {"small": s.small, "lead": s.lead}.get(block.style, s.body)
            keep = 2 * self._lh(size)
            own = self._text_height(block.text, size)
            if own <= 4 * self._lh(size):  # a short paragraph is never split over two pages
                keep = own
            if isinstance(following, Bullets | TickBoxes | WriteLines):
                # A short lead-in stays with the start of the list or lines it introduces.
                own = self._text_height(block.text, size) + self._lh(size) * 0.45 * self.sizes.gap
                if own <= 4 * self._lh(size):
                    keep = own + self._lead_height(following)
            elif block.style == "lead" and following is not None and own <= 4 * self._lh(size):
                # a lead line is a sub-heading ("How it is done"): never alone at a page's foot,
                # so it keeps with the start of what follows, or all of a short paragraph
                after_height = self._lead_height(following, after)
                if isinstance(following, Paragraph):
                    whole = self._text_height(following.text, s.body)
                    after_height = whole if whole <= 4 * body_lh else after_height
                keep = own + after_height
            self._keep(keep)
            self._text(block.text, size)
            self.y += self._lh(size) * 0.35 * self.sizes.gap
        elif isinstance(block, Bullets):
            self._bullets(block.items)
        elif isinstance(block, LabelledValue):
            self._labelled_value(block)
        elif isinstance(block, OptionTable):
            for part in self._grid_parts(block):
                self._draw_grid(part)
        elif isinstance(block, WriteLines):
            self._write_lines(block.count)
        elif isinstance(block, TickBoxes):
            if block.per_line >= 2:
                self._tick_box_pairs(block.items)
            else:
                self._tick_boxes(block.items)
        elif isinstance(block, Glossary):
            self._glossary(block.entries)
        elif isinstance(block, PageBreak):
            if not self._at_page_top():
                self.add_page()
        else:
            raise TypeError(f"unknown sheet block: {type(block).__name__}")

    def _text_height(self, text: str, size: float, style: str = "", indent: float = 0) -> float:
        self.set_font(MAIN_FAMILY, style, size)
        return len(self._lines(text, self.epw - indent)) * self._lh(size)

    def _list_lead(self, heights: list[float]) -> float:
        """What of a list must stay together: all of a short list (three items at most, a
        third of a page at most), else its first two items (a longer list may go on over the
        page: keeping it whole left a large-print page half empty)."""
        total = sum(heights)
        page_room = self.page_break_trigger - (self.t_margin + self.header_height)
        if len(heights) <= 3 and total <= page_room / 3:
            return total
        return min(sum(heights[:2]), 4 * self._lh(self.sizes.body)) if heights else 0.0

    def _bullet_indent(self) -> float:
        return self.sizes.body * _PT * 1.6

    def _bullet_heights(self, items: tuple[str, ...]) -> list[float]:
        s = self.sizes
        lh = self._lh(s.body)
        return [self._text_height(item, s.body, indent=self._bullet_indent()) + lh * 0.2 * s.gap
                for item in items]

    def _tick_heights(self, items: tuple[str, ...]) -> list[float]:
        s = self.sizes
        lh = self._lh(s.body)
        return [max(self._text_height(item, s.body, indent=s.box + 3.5), s.box + 1)
                + lh * 0.2 * s.gap for item in items]

    def _bullets(self, items: tuple[str, ...]) -> None:
        s = self.sizes
        lh = self._lh(s.body)
        indent = self._bullet_indent()
        heights = self._bullet_heights(items)
        self._keep(self._list_lead(heights))
        for item, height in zip(items, heights):
            self._keep(min(height, 3 * lh))
            y = self.y
            self.set_font(MAIN_FAMILY, "B", s.body)
            self.set_text_color(*_HEADING)
            self.set_xy(self.l_margin + indent * 0.25, y)
            self.cell(indent * 0.75, lh, "\u2022")
            self.set_text_color(*_TEXT)
            self.set_y(y)
            self._text(item, s.body, indent=indent, align=Align.L)  # the bullet is on the left
            self.y += lh * 0.15 * self.sizes.gap
        self.y += lh * 0.3 * self.sizes.gap

    def _labelled_value(self, block: LabelledValue) -> None:
        s = self.sizes
        lh = self._lh(s.body)
        label = block.label.rstrip()
        if label and not label.endswith((":", "\uff1a")):
            label += ":"
        self.set_font(MAIN_FAMILY, "B", s.body)
        label_w = self.get_string_width(label + "  ") if label else 0
        value = block.value
        self.set_font(MAIN_FAMILY, "", s.body)
        widest = max((self.get_string_width(w) for w in block.value.split()), default=0)
        one_line = label_w + self.get_string_width(value) <= self.epw - 2
        # value on its own line when the label is long or a word of the value would not fit
        long_label = not one_line and (label_w > self.epw * 0.7
                                       or widest > self.epw - label_w - 2)
        self.set_font(MAIN_FAMILY, "B", s.body)
        if not value:
            # Nothing given: the label sits on a line to write on, with room above it.
            self._keep(lh * 1.8)
            top = self.y + lh * 0.6
            if long_label:
                self._text(label, s.body, "B")
                top, label_w = self.y, 0
            elif label:
                self.set_xy(self.l_margin, top)
                self.cell(label_w, lh, label)
            line_y = top + lh * 0.5 + s.body * _PT * 0.3 + 1.2  # just under the baseline
            self.set_draw_color(*_RULE)
            self.set_line_width(0.35)
            self.line(self.l_margin + label_w, line_y, self.w - self.r_margin, line_y)
            self.set_xy(self.l_margin, line_y + lh * 0.6)
            return
        if long_label:  # value on the next line
            self._keep(2 * lh)
            self._text(label, s.body, "B")
            label_w = 0
        elif label:
            self._keep(lh)
            y = self.y
            self.cell(label_w, lh, label)
            self.set_y(y)
        # Left aligned even when right-to-left (a name after its label); bidi keeps letter order.
        self._text(value, s.body, indent=label_w, align=Align.L)
        self.y += lh * 0.3 * self.sizes.gap

    def _labelled_pair(self, left: LabelledValue, right: LabelledValue) -> None:
        """Two short labelled values side by side, each in half the width."""
        s = self.sizes
        lh = self._lh(s.body)
        half = (self.epw - 4) / 2
        self._keep(2 * lh)
        top, bottom = self.y, self.y
        for column, block in enumerate((left, right)):
            x = self.l_margin + column * (half + 4)
            label = block.label.rstrip()
            label = label if label.endswith((":", "\uff1a")) else label + ":"
            self.set_font(MAIN_FAMILY, "B", s.body)
            label_w = min(self.get_string_width(label + "  ") + 1, half / 2)
            self.set_xy(x, top)
            self.multi_cell(label_w, lh, label, align=Align.L, markdown=False,
                            new_x=XPos.LEFT, new_y=YPos.NEXT)
            bottom = max(bottom, self.y)
            self.set_xy(x + label_w, top)
            self.set_font(MAIN_FAMILY, "", s.body)
            if block.value:
                # wrapped once (measured) and drawn line by line, as _text() does
                lines = self._lines(block.value, half - label_w)
                for number, line in enumerate(lines):
                    self.set_xy(x + label_w, top + number * lh)
                    self.cell(half - label_w, lh, line, align=Align.L)
                self.y = top + len(lines) * lh
            else:  # a line to write on
                self.set_draw_color(*_RULE)
                self.set_line_width(0.35)
                self.line(x + label_w, top + lh * 0.85, x + half, top + lh * 0.85)
                self.y = top + lh
            bottom = max(bottom, self.y)
        self.set_xy(self.l_margin, bottom + lh * 0.3 * self.sizes.gap)

    def _write_lines(self, count: int) -> None:
        gap = self.sizes.write_gap
        self.set_draw_color(*_RULE)
        self.set_line_width(0.3)
        for _ in range(max(0, count)):
            if self.will_page_break(gap):
                self.add_page()
            self.y += gap
            self.line(self.l_margin, self.y, self.w - self.r_margin, self.y)
        self.y += self._lh(self.sizes.body) * 0.6

    def _tick_boxes(self, items: tuple[str, ...]) -> None:
        s = self.sizes
        lh = self._lh(s.body)
        box = s.box
        indent = box + 3.5
        heights = self._tick_heights(items)
        self._keep(self._list_lead(heights))
        for item, height in zip(items, heights):
            self._keep(min(height, 3 * lh))
            y = self.y
            self.set_draw_color(*_TEXT)
            self.set_line_width(0.35)
            self.rect(self.l_margin + 0.3, y + (lh - box) / 2, box, box)
            self._text(item, s.body, indent=indent, align=Align.L)  # the box is on the left
            self.y = max(self.y, y + box + 1) + lh * 0.2 * self.sizes.gap

    def _tick_box_pairs(self, items: tuple[str, ...]) -> None:
        """Short tick-box items two to a line; each line of two kept whole."""
        s = self.sizes
        lh = self._lh(s.body)
        box, gap = s.box, 4.0
        half = (self.epw - gap) / 2
        text_w = half - (box + 3.5)
        pairs = [items[i:i + 2] for i in range(0, len(items), 2)]
        heights = self._pair_heights(items)
        self._keep(self._pairs_lead(heights))
        for pair, height in zip(pairs, heights):
            self._keep(height + lh * 0.2 * self.sizes.gap)
            y = self.y
            for column, item in enumerate(pair):
                x = self.l_margin + column * (half + gap)
                self.set_draw_color(*_TEXT)
                self.set_line_width(0.35)
                self.rect(x + 0.3, y + (lh - box) / 2, box, box)
                self.set_xy(x + box + 3.5, y)
                self.set_font(MAIN_FAMILY, "", s.body)
                self.multi_cell(text_w, lh, item, align=Align.L, markdown=False,
                                new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_xy(self.l_margin, y + max(height, box + 1) + lh * 0.2 * self.sizes.gap)

    def _pair_text_width(self) -> float:
        return (self.epw - 4.0) / 2 - (self.sizes.box + 3.5)

    def _pair_heights(self, items: tuple[str, ...]) -> list[float]:
        """Text height of each line of two tick boxes (the taller item of the two)."""
        s = self.sizes
        self.set_font(MAIN_FAMILY, "", s.body)
        width = self._pair_text_width()
        return [max(len(self._lines(t, width)) for t in items[i:i + 2]) * self._lh(s.body)
                for i in range(0, len(items), 2)]

    def _pairs_lead(self, heights: list[float]) -> float:
        """The first two lines of two tick boxes stay together (and with a heading before)."""
        return sum(heights[:2]) + self._lh(self.sizes.body)

    def _glossary(self, entries: tuple[tuple[str, str], ...]) -> None:
        """One paragraph per word: the word in bold, then its meaning on the same line."""
        s = self.sizes
        lh = self._lh(s.body)
        for term, definition in entries:
            self.set_font(MAIN_FAMILY, "B", s.body)  # bold measures wider: never too short
            # the sheet gives the term with its language's separator ("liver:", "foie :")
            lead = term if term.endswith((":", "\uff1a")) else term + ":"
            height = len(self._lines(f"{lead} {definition}", self.epw)) * lh
            self._keep(min(height, 3 * lh) + lh * 0.3 * self.sizes.gap)
            self.set_x(self.l_margin)
            self.set_font(MAIN_FAMILY, "B", s.body)
            self.write(lh, f"{lead} ")
            self.set_font(MAIN_FAMILY, "", s.body)
            self.write(lh, definition)
            self.ln(lh)
            self.y += lh * 0.25 * self.sizes.gap

    # ----------------------------------------------------------- option grid

    def _geometry(self) -> Geometry:
        return Geometry(self.epw, self._lh(self.sizes.table, self.sizes.table_line), _CELL_PAD_X,
                        self.sizes.cell_pad)

    def _measure(self, text: str, inner_width: float, bold: bool) -> int:
        """table.py's measuring function: lines as fpdf2's table will wrap them."""
        self.set_font(MAIN_FAMILY, "B" if bold else "", self.sizes.table)
        return len(self._lines(text, inner_width + 2 * _CELL_PAD_X, _CELL_PAD_X)) if text else 1

    def _word_width(self, word: str, bold: bool) -> float:
        self.set_font(MAIN_FAMILY, "B" if bold else "", self.sizes.table)
        return float(self.get_string_width(word))

    def _grid_parts(self, block: OptionTable) -> list[_GridPart]:
        """The grid as tables of at most MAX_COLUMNS options whose words fit their columns."""
        key = id(block)
        if key in self._grid_cache:
            return self._grid_cache[key]
        n = len(block.columns)
        if n == 0:
            raise ValueError("an option table needs at least one column")
        if any(len(cells) != n for _label, cells in block.rows):
            raise ValueError("every option-table row needs one cell per column")
        geometry = self._geometry()
        header = (block.row_header, *block.columns)
        rows = [(label, *cells) for label, cells in block.rows]
        per = columns_per_table(header, rows, geometry, self._word_width,
                                most=_LARGE_COLUMNS if self.sheet.large_print else MAX_COLUMNS)
        parts = []
        for first in range(0, n, per):
            columns = range(first, min(first + per, n))
            part_header = (block.row_header, *(block.columns[i] for i in columns))
            part_rows = tuple((label, *(cells[i] for i in columns)) for label, cells in block.rows)
            widths = balanced_widths(part_header, part_rows, geometry, self._word_width)
            short = (block.row_header, *((block.short_columns or block.columns)[i]
                                         for i in columns))
            parts.append(_GridPart(
                part_header, part_rows, widths,
                row_height(part_header, widths, geometry, self._measure, heading=True),
                tuple(row_height(r, widths, geometry, self._measure) for r in part_rows),
                short, row_height(short, widths, geometry, self._measure, heading=True)))
        self._grid_cache[key] = parts
        return parts

    def _draw_grid(self, part: _GridPart) -> None:
        self._keep(part.lead_height)
        top = self.t_margin
        try:
            pages = paginate(part.heights, part.heading_height,
                             self.page_break_trigger - self.y - _FIT_SLACK,
                             self.page_break_trigger - top - _FIT_SLACK,
                             continued=part.continued_height)
        except RowTooTall:  # only with extreme text: print the rows one under another
            self._grid_as_text(part)
            return
        started = False
        for index, page_rows in enumerate(pages):
            if index:
                self.add_page()
            if page_rows:
                self._fpdf_table(part, page_rows, continued=started)
                started = True
        self.y += self._lh(self.sizes.body) * 0.6 * self.sizes.gap

    def _fpdf_table(self, part: _GridPart, rows: list[int], continued: bool = False) -> None:
        """The heading row and `rows` (which paginate() found to fit on this page), drawn from
        the lines that were measured: boxes with rect(), each line with cell(). A continued
        table's heading row names the options by their short names."""
        self.set_line_width(0.3)
        self.set_draw_color(*_RULE)
        breaks, margin = self.auto_page_break, self.b_margin
        self.set_auto_page_break(False, margin=margin)  # the rows were checked to fit
        try:
            header, height = ((part.continued, part.continued_height) if continued
                              else (part.header, part.heading_height))
            self._table_row(part, header, height, _TABLE_HEAD_FILL, True)
            for number, index in enumerate(rows):
                fill = _TABLE_ROW_FILL if number % 2 else None
                self._table_row(part, part.rows[index], part.heights[index], fill, False)
        finally:
            self.set_auto_page_break(breaks, margin=margin)

    def _table_row(self, part: _GridPart, cells: tuple[str, ...], height: float,
                   fill: tuple[int, int, int] | None, heading: bool) -> None:
        s = self.sizes
        lh = self._geometry().line_height
        top, x = self.y, self.l_margin
        for column, (text, width) in enumerate(zip(cells, part.widths)):
            if fill:
                self.set_fill_color(*fill)
            self.rect(x, top, width, height, style="DF" if fill else "D")
            self.set_font(MAIN_FAMILY, "B" if heading or column == 0 else "", s.table)
            self.set_text_color(*(_HEADING if heading else _TEXT))
            align = self._align(text)
            inner = width - 2 * _CELL_PAD_X
            for number, line in enumerate(self._lines(text, width, _CELL_PAD_X) if text else ()):
                self.set_xy(x + _CELL_PAD_X - self.c_margin,
                            top + self.sizes.cell_pad + number * lh)
                self.cell(inner + 2 * self.c_margin, lh, line, align=align)
            x += width
        self.set_text_color(*_TEXT)
        self.set_xy(self.l_margin, top + height)

    def _grid_as_text(self, part: _GridPart) -> None:
        s = self.sizes
        for label, *cells in part.rows:
            self._keep(2 * self._lh(s.body))
            self._text(label, s.body, "B")
            for column, text in zip(part.header[1:], cells):
                self._text(column, s.body, "B", indent=self._bullet_indent())
                self._text(text, s.body, indent=self._bullet_indent())
            self.y += self._lh(s.body) * 0.4


@dataclass(frozen=True)
class _GridPart:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    heading_height: float
    heights: tuple[float, ...]
    continued: tuple[str, ...]  # the heading row on the pages after the first: short names
    continued_height: float

    @property
    def lead_height(self) -> float:
        """The heading row and the first row: kept with what comes before."""
        return self.heading_height + (self.heights[0] if self.heights else 0.0)


# --------------------------------------------------------------------------- entry point


def render(sheet: DiscussionSheet, *, created: datetime) -> bytes:
    """The sheet as PDF bytes. Raises UnprintableText before drawing anything it cannot print.

    `created` becomes the PDF creation date; a naive datetime is taken as UTC (not local time,
    so the bytes do not depend on the server's time zone).
    """
    return render_counted(sheet, created=created)[0]


def render_counted(sheet: DiscussionSheet, *, created: datetime) -> tuple[bytes, int]:
    """`render`, and the number of pages it made (the screen shows it beside Prepare)."""
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    pdf = _laid_out(sheet, _preflight(sheet))
    pdf.set_creation_date(created)
    return _output(pdf), pdf.page_no()


def count_pages(sheet: DiscussionSheet) -> int:
    """The number of pages `render` will make, without writing the PDF (for the screen)."""
    return _laid_out(sheet, _preflight(sheet)).page_no()


def _size_steps(sheet: DiscussionSheet) -> tuple[_Sizes, ...]:
    return _LARGE_STEPS if sheet.large_print else _STANDARD_STEPS


def _laid_out(sheet: DiscussionSheet, plan: FontPlan) -> _SheetPDF:
    """The drawn document: at the usual sizes, or at the first tighter step (compact, then
    tight) that keeps the sheet within `sheet.fit_pages`; never tighter than the last step."""
    try:
        sheet.page_label.format(page=1, pages=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError("page_label may only use the {page} and {pages} fields") from exc
    steps = _size_steps(sheet)
    pdf = _draw(sheet, plan, steps[0])
    for sizes in steps[1:]:
        if not sheet.fit_pages or pdf.page_no() <= sheet.fit_pages:
            break
        tighter = _draw(sheet, plan, sizes, like=pdf)
        if tighter.page_no() < pdf.page_no():
            pdf = tighter
    return pdf


def _draw(sheet: DiscussionSheet, plan: FontPlan, sizes: _Sizes,
          like: FPDF | None = None) -> _SheetPDF:
    pdf = _SheetPDF(sheet, plan, sizes, like)
    pdf.set_title(sheet.metadata_title)
    pdf.set_lang(sheet.lang)
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    pdf.draw()
    return pdf


def _render(sheet: DiscussionSheet, created: datetime, plan: FontPlan) -> bytes:
    """render() with a given font plan; bench/bench_pdf.py times text shaping on and off."""
    pdf = _laid_out(sheet, plan)
    pdf.set_creation_date(created)
    return _output(pdf)


def _output(pdf: _SheetPDF) -> bytes:
    # Belt and braces: fpdf2 records characters it drew without a glyph (as blank boxes) and
    # would log them at output(). Preflight should make this impossible; if it ever happens,
    # refuse the sheet instead of writing the characters to the log.
    missing = [chr(code) for font in pdf.fonts.values()
               for code in getattr(font, "missing_glyphs", ())]
    if missing:
        raise UnprintableText("content", tuple(dict.fromkeys(missing)))
    return bytes(output(pdf))  # pdf.output(), sharing a clinic day's font subsets
