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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import fpdf
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, ResourceAccessPolicy, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace
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
    Paragraph,
    TickBoxes,
    WriteLines,
)

from .fonts import MAIN_FAMILY, FontPlan, UnprintableText, is_rtl_text, plan_fonts, register

__all__ = ["render"]

# The one override of fpdf2 internals (see _SheetPDF._parse_chars): pinned to this version.
PINNED_FPDF = "2.8.9"


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
            for column in block.columns:
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
    line: float = 1.45
    footer_line: float = 1.3
    heading_line: float = 1.25


_STANDARD = _Sizes(body=12, small=11, lead=13.5, h2=14.5, h1=17, title=21, footer=11,
                   box=4.6, write_gap=10)
_LARGE = _Sizes(body=17, small=16, lead=18.5, h2=20, h1=23, title=27, footer=16,
                box=6.2, write_gap=13)

_PT = 25.4 / 72  # mm per point
_PAPER = {"a4": "A4", "letter": "Letter"}
_SIDE_MARGIN = 20.0
_TOP_MARGIN = 14.0
_BOTTOM_EDGE = 12.0  # distance from the page edge to the bottom of the footer
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
_CELL_PAD_Y = 1.6


class _SheetPDF(FPDF):
    """One document. Created per render; fpdf2 objects cannot be reused after output()."""

    def __init__(self, sheet: DiscussionSheet, plan: FontPlan):
        paper = _PAPER.get(sheet.paper)
        if paper is None:
            raise ValueError(f"paper must be one of {sorted(_PAPER)}")
        super().__init__(orientation="portrait", unit="mm", format=paper)
        self.sheet = sheet
        self.sizes = _LARGE if sheet.large_print else _STANDARD
        self.resource_access_policy = ResourceAccessPolicy.NONE
        self.alias_nb_pages(_PAGE_TOTAL_ALIAS)
        register(self, plan)
        self.shaping = plan.shaping
        self.set_margins(_SIDE_MARGIN, _TOP_MARGIN, _SIDE_MARGIN)
        self.header_height = self._measure_header()
        self.footer_height = 0.0  # measured on the first page (measuring needs a page)
        self._outline_level = -1
        self._table_parts_cache: dict[int, list[_TableLayout]] = {}
        self._lines_cache: dict[tuple[Any, ...], list[str]] = {}

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
        if len(fragments) < 3 or not self._fallback_font_ids or fpdf.__version__ != PINNED_FPDF:
            yield from fragments
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
        yield from merged

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

    # ----------------------------------------------------------- running header and footer

    def _page_label(self, page: int | str, pages: str) -> str:
        return self.sheet.page_label.format(page=page, pages=pages)

    def _measure_header(self) -> float:
        return self.sizes.footer * _PT * self.sizes.footer_line + 4

    def _measure_footer(self) -> float:
        s = self.sizes
        self.set_font(MAIN_FAMILY, "", s.footer)
        lh = s.footer * _PT * s.footer_line
        lines = 0
        for text in self.sheet.footer_lines:
            lines += len(self._lines(text, self.epw))
        return 3 + lines * lh

    def header(self) -> None:
        # Called from add_page(), possibly in the middle of indented text: use fixed margins.
        s = self.sizes
        lh = s.footer * _PT * s.footer_line
        body_left = self.l_margin
        self.set_left_margin(_SIDE_MARGIN)
        self.set_y(_TOP_MARGIN)
        self.set_font(MAIN_FAMILY, "", s.footer)
        self.set_text_color(*_MUTED)
        label = self._page_label(self.page_no(), _PAGE_TOTAL_ALIAS)
        self.cell(0, lh, label, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(_TOP_MARGIN + self.header_height)
        self.set_text_color(*_TEXT)
        self.set_left_margin(body_left)
        self.set_x(body_left)

    def footer(self) -> None:
        s = self.sizes
        lh = s.footer * _PT * s.footer_line
        top = self.h - _BOTTOM_EDGE - self.footer_height
        body_left = self.l_margin
        self.set_left_margin(_SIDE_MARGIN)
        self.set_draw_color(*_RULE)
        self.set_line_width(0.3)
        self.line(self.l_margin, top, self.w - self.r_margin, top)
        self.set_xy(self.l_margin, top + 3)
        self.set_font(MAIN_FAMILY, "", s.footer)
        self.set_text_color(*_MUTED)
        for text in self.sheet.footer_lines:
            self.multi_cell(0, lh, text, align=self._align(text), markdown=False,
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*_TEXT)
        self.set_left_margin(body_left)

    # ----------------------------------------------------------- helpers

    def _lines(self, text: str, width: float, pad_x: float = 0) -> list[str]:
        """How multi_cell would wrap `text` in a cell `width` wide (with the current font).

        With pad_x, the horizontal padding replaces the cell margin, as in fpdf2 tables.
        """
        key = (text, width, pad_x, self.font_family, self.font_style, self.font_size_pt)
        lines = self._lines_cache.get(key)
        if lines is None:
            padding = (0, pad_x, 0, pad_x) if pad_x else 0
            lines = self.multi_cell(width, 5, text, dry_run=True, markdown=False,
                                    output=MethodReturnValue.LINES, padding=padding)
            self._lines_cache[key] = lines
        return lines

    def _align(self, text: str) -> Align:
        return Align.R if self.shaping and is_rtl_text(text) else Align.L

    def _lh(self, size: float, factor: float | None = None) -> float:
        return size * _PT * (factor or self.sizes.line)

    def _at_page_top(self) -> bool:
        return self.y <= _TOP_MARGIN + self.header_height + 0.01

    def _space(self, mm: float) -> None:
        if not self._at_page_top():
            self.y = min(self.y + mm, self.page_break_trigger)

    def _keep(self, height: float) -> None:
        """Start a new page unless `height` mm still fit on this one."""
        if self.will_page_break(height) and not self._at_page_top():
            self.add_page()

    def _text(self, text: str, size: float, style: str = "", indent: float = 0,
              factor: float | None = None, align: Align | None = None) -> None:
        """Wrapped text, left aligned, with `indent` mm kept on following lines and pages."""
        self.set_font(MAIN_FAMILY, style, size)
        left = self.l_margin
        self.set_left_margin(left + indent)
        self.set_x(left + indent)
        try:
            self.multi_cell(0, self._lh(size, factor), text, align=align or self._align(text),
                            markdown=False, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        finally:
            self.set_left_margin(left)
            self.set_x(left)

    # ----------------------------------------------------------- blocks

    def draw(self) -> None:
        s = self.sizes
        self.add_page()
        self.footer_height = self._measure_footer()
        self.set_auto_page_break(True, margin=_BOTTOM_EDGE + self.footer_height + 7)
        if self.sheet.title:
            self.set_text_color(*_HEADING)
            self._text(self.sheet.title, s.title, "B", factor=s.heading_line)
            self.set_text_color(*_TEXT)
            self._space(self._lh(s.body) * 0.6)
        blocks = self.sheet.blocks
        for index, block in enumerate(blocks):
            self._block(block, *(list(blocks[index + 1:index + 3]) + [None, None])[:2])

    def _lead_height(self, block: Block | None, after: Block | None = None) -> float:
        """Height of the start of `block`, kept on the same page as a heading before it.

        A short paragraph that introduces a list keeps with that list's start, so the heading
        keeps with both (never a heading alone at the bottom of a page).
        """
        s = self.sizes
        body_lh = self._lh(s.body)
        if isinstance(block, Paragraph) and isinstance(after, Bullets | TickBoxes | WriteLines):
            size = {"small": s.small, "lead": s.lead}.get(block.style, s.body)
            own = self._text_height(block.text, size) + self._lh(size) * 0.45
            if own <= 4 * self._lh(size):
                return own + self._lead_height(after)
        if isinstance(block, OptionTable):
            return self._parts(block)[0].lead_height
        if isinstance(block, Heading):
            return self._lh(s.h2, s.heading_line) + 2 * body_lh
        if isinstance(block, WriteLines):
            return 2 * s.write_gap
        if isinstance(block, LabelledValue):
            return 1.7 * body_lh
        if isinstance(block, Bullets | TickBoxes):
            heights = (self._bullet_heights(block.items) if isinstance(block, Bullets)
                       else self._tick_heights(block.items))
            return self._list_lead(heights)
        if block is None:
            return 0.0
        return 2 * body_lh

    def _parts(self, block: OptionTable) -> list[_TableLayout]:
        key = id(block)
        if key not in self._table_parts_cache:
            self._table_parts_cache[key] = self._table_parts(block)
        return self._table_parts_cache[key]

    def _block(self, block: Block, following: Block | None = None,
               after: Block | None = None) -> None:
        s = self.sizes
        body_lh = self._lh(s.body)
        if isinstance(block, Heading):
            level = 1 if block.level <= 1 else 2
            size = s.h1 if level == 1 else s.h2
            lh = self._lh(size, s.heading_line)
            self._space(body_lh * (0.9 if level == 1 else 0.5))
            self.set_font(MAIN_FAMILY, "B", size)
            rule = 2.3 if level == 1 else 0.0
            own = len(self._lines(block.text, self.epw)) * lh + body_lh * 0.25 + rule
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
            self.y += body_lh * 0.25
        elif isinstance(block, Paragraph):
            size = {"small": s.small, "lead": s.lead}.get(block.style, s.body)
            keep = 2 * self._lh(size)
            if isinstance(following, Bullets | TickBoxes | WriteLines):
                # A short lead-in stays with the start of the list or lines it introduces.
                own = self._text_height(block.text, size) + self._lh(size) * 0.45
                if own <= 4 * self._lh(size):
                    keep = own + self._lead_height(following)
            self._keep(keep)
            self._text(block.text, size)
            self.y += self._lh(size) * 0.45
        elif isinstance(block, Bullets):
            self._bullets(block.items)
        elif isinstance(block, LabelledValue):
            self._labelled_value(block)
        elif isinstance(block, OptionTable):
            for part in self._parts(block):
                self._draw_table(part)
        elif isinstance(block, WriteLines):
            self._write_lines(block.count)
        elif isinstance(block, TickBoxes):
            self._tick_boxes(block.items)
        elif isinstance(block, Glossary):
            self._glossary(block.entries)
        else:
            raise TypeError(f"unknown sheet block: {type(block).__name__}")

    def _text_height(self, text: str, size: float, style: str = "", indent: float = 0) -> float:
        self.set_font(MAIN_FAMILY, style, size)
        return len(self._lines(text, self.epw - indent)) * self._lh(size)

    def _list_lead(self, heights: list[float]) -> float:
        """What of a list must stay together: all of a short list, else its first item."""
        total = sum(heights)
        page_room = self.page_break_trigger - (_TOP_MARGIN + self.header_height)
        if total <= page_room / 3:
            return total
        return min(heights[0], 3 * self._lh(self.sizes.body)) if heights else 0.0

    def _bullet_indent(self) -> float:
        return self.sizes.body * _PT * 1.6

    def _bullet_heights(self, items: tuple[str, ...]) -> list[float]:
        s = self.sizes
        lh = self._lh(s.body)
        return [self._text_height(item, s.body, indent=self._bullet_indent()) + lh * 0.2
                for item in items]

    def _tick_heights(self, items: tuple[str, ...]) -> list[float]:
        s = self.sizes
        lh = self._lh(s.body)
        return [max(self._text_height(item, s.body, indent=s.box + 3.5), s.box + 1) + lh * 0.35
                for item in items]

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
            self.y += lh * 0.2
        self.y += lh * 0.3

    def _labelled_value(self, block: LabelledValue) -> None:
        s = self.sizes
        lh = self._lh(s.body)
        label = block.label.rstrip()
        if label and not label.endswith((":", "\uff1a")):
            label += ":"
        self.set_font(MAIN_FAMILY, "B", s.body)
        label_w = self.get_string_width(label + "  ") if label else 0
        value = block.value
        long_label = label_w > self.epw * 0.45
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
        self.y += lh * 0.3

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
            self.y = max(self.y, y + box + 1) + lh * 0.35

    def _glossary(self, entries: tuple[tuple[str, str], ...]) -> None:
        s = self.sizes
        lh = self._lh(s.body)
        indent = s.body * _PT * 1.2
        for term, definition in entries:
            height = (self._text_height(term, s.body, "B")
                      + self._text_height(definition, s.body, indent=indent))
            self._keep(min(height, 4 * lh))
            self._text(term, s.body, "B", align=Align.L)
            self._text(definition, s.body, indent=indent, align=Align.L)
            self.y += lh * 0.4

    # ----------------------------------------------------------- option table

    def _table_parts(self, block: OptionTable) -> list[_TableLayout]:
        """Lay out an option table; several tables when the options do not fit side by side.

        Columns must be wide enough that no word is broken inside a word (fpdf2 then cuts words
        letter by letter). When a word does not fit (long words in large print, typically), the
        options are drawn in consecutive tables of fewer columns, each with the aspect column.
        """
        n = len(block.columns)
        if n == 0:
            raise ValueError("an option table needs at least one column")
        for _label, cells in block.rows:
            if len(cells) != n:
                raise ValueError("every option-table row needs one cell per column")
        per_table = n
        while per_table > 1 and not self._words_fit(block, per_table):
            per_table -= 1
        return [
            self._table_layout(block, tuple(range(first, min(first + per_table, n))))
            for first in range(0, n, per_table)
        ]

    def _column_widths(self, count: int) -> list[float]:
        label_share = {1: 0.30, 2: 0.24}.get(count, 0.22)
        return [self.epw * label_share] + [self.epw * (1 - label_share) / count] * count

    def _words_fit(self, block: OptionTable, count: int) -> bool:
        widths = self._column_widths(count)
        size = self.sizes.body
        checks = [("B", widths[0], block.row_header), ("B", widths[1], " ".join(block.columns))]
        for label, cells in block.rows:
            checks.append(("B", widths[0], label))
            checks.extend(("", widths[1], cell) for cell in cells)
        for style, width, text in checks:
            self.set_font(MAIN_FAMILY, style, size)
            room = width - 2 * _CELL_PAD_X - 0.5
            if any(self.get_string_width(word) > room for word in text.split()):
                return False
        return True

    def _table_layout(self, block: OptionTable, columns: tuple[int, ...]) -> _TableLayout:
        widths = self._column_widths(len(columns))
        heading = (block.row_header, *(block.columns[i] for i in columns))
        heading_lines = self._row_lines(heading, widths, bold_all=True)
        rows = tuple(
            _TableRow(texts, self._row_lines(texts, widths))
            for texts in ((label, *(cells[i] for i in columns)) for label, cells in block.rows)
        )
        lh = self._lh(self.sizes.body, 1.35)
        return _TableLayout(_TableRow(heading, heading_lines), rows, tuple(widths), lh)

    def _row_lines(self, texts: tuple[str, ...], widths: list[float],
                   bold_all: bool = False) -> tuple[tuple[str, ...], ...]:
        """Each cell's wrapped lines, exactly as fpdf2's table will wrap them."""
        size = self.sizes.body
        result = []
        for i, text in enumerate(texts):
            self.set_font(MAIN_FAMILY, "B" if bold_all or i == 0 else "", size)
            result.append(tuple(self._lines(text, widths[i], _CELL_PAD_X)) if text else ("",))
        return tuple(result)

    def _paginate(self, part: _TableLayout) -> list[tuple[str, ...]]:
        """The rows to give fpdf2, with tall rows split at a line break where a page ends.

        fpdf2 moves a row that does not fit to the next page whole (leaving up to a page of white
        space) and raises if a row is taller than a page. This simulates its page breaks (same
        heights: `_lines` wraps as the table does) and splits a tall row so that its first lines
        fill the page; the rest continues on the next page, under the repeated headings, with the
        aspect label repeated. Short rows are never split.
        """
        lh = part.line_height
        pad = 2 * _CELL_PAD_Y
        page_top = _TOP_MARGIN + self.header_height
        trigger = self.page_break_trigger
        heading_h = part.heading.height(lh)
        max_lines = max(1, int((trigger - page_top - heading_h - pad - 1) / lh))
        y = self.y + heading_h
        out: list[tuple[str, ...]] = []
        pending = list(part.rows)
        while pending:
            row = pending.pop(0)
            height = row.height(lh)
            if y + height <= trigger - 0.01:
                out.append(row.texts)
                y += height
                continue
            tallest = row.tallest
            room = int((trigger - y - pad - 1) / lh)
            label_lines = len(row.lines[0])
            if tallest > max_lines or (
                tallest >= 6 and room >= max(3, label_lines) and tallest - room >= 2
            ):
                take = min(max_lines, room) if room >= max(3, label_lines) else max_lines
                head, rest = row.split(take)
                if head is not None and y + head.height(lh) <= trigger - 0.01:
                    out.append(head.texts)
                    pending.insert(0, rest)
                    y = page_top + heading_h  # fpdf2 breaks the page before the next row
                    continue
                if rest is not None:
                    pending.insert(0, rest)
                    row = head
            out.append(row.texts)
            y = page_top + heading_h + row.height(lh)
        return out

    def _draw_table(self, part: _TableLayout) -> None:
        s = self.sizes
        lh = part.line_height
        self._keep(part.lead_height)
        rows = self._paginate(part)
        self.set_font(MAIN_FAMILY, "", s.body)
        self.set_draw_color(*_RULE)
        self.set_line_width(0.3)
        self.set_text_color(*_TEXT)
        bold = FontFace(emphasis="BOLD")
        with self.table(
            width=self.epw,
            col_widths=part.widths,
            text_align="LEFT",
            v_align="TOP",
            markdown=False,
            line_height=lh,
            padding=(_CELL_PAD_Y, _CELL_PAD_X, _CELL_PAD_Y, _CELL_PAD_X),
            first_row_as_headings=True,
            headings_style=FontFace(emphasis="BOLD", color=_HEADING, fill_color=_TABLE_HEAD_FILL),
            repeat_headings=1,
            cell_fill_color=_TABLE_ROW_FILL,
            cell_fill_mode=TableCellFillMode.EVEN_ROWS,
        ) as table:
            heading = table.row()
            for text in part.heading.texts:
                heading.cell(text, align=self._align(text))
            for cells in rows:
                row = table.row()
                row.cell(cells[0], style=bold, align=self._align(cells[0]))
                for text in cells[1:]:
                    row.cell(text, align=self._align(text))
        self.y += self._lh(s.body) * 0.6


@dataclass(frozen=True)
class _TableRow:
    texts: tuple[str, ...]
    lines: tuple[tuple[str, ...], ...]  # per cell, as wrapped in its column

    @property
    def tallest(self) -> int:
        return max(len(cell) for cell in self.lines)

    def height(self, line_height: float) -> float:
        return self.tallest * line_height + 2 * _CELL_PAD_Y

    def split(self, count: int) -> tuple[_TableRow | None, _TableRow | None]:
        """The first `count` lines of every cell, and the rest (the label cell repeated)."""
        if count < len(self.lines[0]) or count >= self.tallest:
            return self, None
        head = [self.lines[0]] + [cell[:count] or ("",) for cell in self.lines[1:]]
        rest = [self.lines[0]] + [cell[count:] or ("",) for cell in self.lines[1:]]

        def row(lines: list[tuple[str, ...]]) -> _TableRow:
            texts = [self.texts[0]] + ["\n".join(cell) for cell in lines[1:]]
            return _TableRow(tuple(texts), tuple(lines))

        return row(head), row(rest)


@dataclass(frozen=True)
class _TableLayout:
    heading: _TableRow
    rows: tuple[_TableRow, ...]
    widths: tuple[float, ...]
    line_height: float

    @property
    def lead_height(self) -> float:
        """The headings and the first lines of the first row: kept with what comes before."""
        lh = self.line_height
        first = self.rows[0].height(lh) if self.rows else 0.0
        return self.heading.height(lh) + min(first, 4 * lh + 2 * _CELL_PAD_Y)


# --------------------------------------------------------------------------- entry point


def render(sheet: DiscussionSheet, *, created: datetime) -> bytes:
    """The sheet as PDF bytes. Raises UnprintableText before drawing anything it cannot print.

    `created` becomes the PDF creation date; a naive datetime is taken as UTC (not local time,
    so the bytes do not depend on the server's time zone).
    """
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    try:
        sheet.page_label.format(page=1, pages=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError("page_label may only use the {page} and {pages} fields") from exc
    return _render(sheet, created, _preflight(sheet))


def _render(sheet: DiscussionSheet, created: datetime, plan: FontPlan) -> bytes:
    """render() after preflight; bench/bench_pdf.py calls it to time text shaping on and off."""
    pdf = _SheetPDF(sheet, plan)
    pdf.set_title(sheet.metadata_title)
    pdf.set_lang(sheet.lang)
    pdf.set_creation_date(created)
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    pdf.draw()
    # Belt and braces: fpdf2 records characters it drew without a glyph (as blank boxes) and
    # would log them at output(). Preflight should make this impossible; if it ever happens,
    # refuse the sheet instead of writing the characters to the log.
    missing = [chr(code) for font in pdf.fonts.values()
               for code in getattr(font, "missing_glyphs", ())]
    if missing:
        raise UnprintableText("content", tuple(dict.fromkeys(missing)))
    return bytes(pdf.output())
