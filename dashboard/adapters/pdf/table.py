"""Table geometry and pagination from a measuring function (no fpdf2, so it is testable alone).

The renderer gives `measure(text, width_mm, bold) -> lines`: how many lines `text` takes when
wrapped in a column `width_mm` wide (inner width, padding already taken off). From it this module
decides how many option columns fit side by side, how tall each row is and which rows go on
which page. Rows are never split: a row that does not fit the rest of a page moves whole to the
next page, under the repeated heading row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

Measure = Callable[[str, float, bool], int]
WordWidth = Callable[[str, bool], float]


@dataclass(frozen=True)
class Geometry:
    total_width: float  # mm
    line_height: float  # mm
    pad_x: float  # mm, each side of a cell
    pad_y: float  # mm, above and below a cell's text

    def widths(self, count: int) -> tuple[float, ...]:
        """Column widths: the question column first, then `count` equal option columns."""
        share = {1: 0.28, 2: 0.22, 3: 0.175}.get(count, 0.16)
        label = self.total_width * share
        return (label,) + ((self.total_width - label) / count,) * count

    def inner(self, width: float) -> float:
        return width - 2 * self.pad_x


class RowTooTall(ValueError):
    """A row is taller than a whole page: it cannot be moved whole."""

    def __init__(self, index: int):
        self.index = index
        super().__init__(f"table row {index} is taller than a page")


def columns_per_table(header: Sequence[str], rows: Sequence[Sequence[str]], geometry: Geometry,
                      word_width: WordWidth, most: int) -> int:
    """The most option columns (up to `most`) whose every word fits its column unbroken.

    `header` and each row hold the question cell first, then one cell per option.
    """
    options = len(header) - 1
    count = max(1, min(most, options))
    while count > 1 and not _words_fit(header, rows, geometry.widths(count), geometry,
                                       word_width):
        count -= 1
    return count


def _words_fit(header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
               geometry: Geometry, word_width: WordWidth) -> bool:
    for row_index, row in enumerate((header, *rows)):
        for column, text in enumerate(row):
            room = geometry.inner(widths[min(column, 1)]) - 0.5
            bold = row_index == 0 or column == 0
            if any(word_width(word, bold) > room for word in text.split()):
                return False
    return True


def row_height(cells: Sequence[str], widths: Sequence[float], geometry: Geometry,
               measure: Measure, heading: bool = False) -> float:
    """Height of one row: its tallest cell plus padding (question cells and headings bold)."""
    lines = max(max(1, measure(text, geometry.inner(width), heading or column == 0))
                for column, (text, width) in enumerate(zip(cells, widths)))
    return lines * geometry.line_height + 2 * geometry.pad_y


def paginate(heights: Sequence[float], heading: float, first_room: float,
             page_room: float) -> list[list[int]]:
    """Row indices per page, starting on the current page.

    `first_room` is the height left on the current page, `page_room` that of a fresh page; the
    heading row (`heading` tall) is printed at the top of every page the table is on. A page with
    no room for the heading and the first row is left empty (the caller starts a new page).
    """
    pages: list[list[int]] = [[]]
    room = first_room - heading
    for index, height in enumerate(heights):
        if height > page_room - heading:
            raise RowTooTall(index)
        if height > room + 1e-6:
            pages.append([])
            room = page_room - heading
        pages[-1].append(index)
        room -= height
    return pages
