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
             page_room: float, continued: float | None = None) -> list[list[int]]:
    """Row indices per page, starting on the current page.

    `first_room` is the height left on the current page, `page_room` that of a fresh page; the
    heading row (`heading` tall) is printed at the top of every page the table is on, and on the
    pages after the first that has rows as `continued` tall when given (shorter column names).
    A page with no room for the heading and the first row is left empty (the caller starts a
    new page).
    """
    later = heading if continued is None else continued
    pages: list[list[int]] = [[]]
    room = first_room - heading
    for index, height in enumerate(heights):
        top = heading if not any(pages) else later  # the heading row of a fresh page
        if height > page_room - max(heading, later):
            raise RowTooTall(index)
        if height > room + 1e-6:
            pages.append([])
            room = page_room - top
        pages[-1].append(index)
        room -= height
    return pages


def balanced_widths(header: Sequence[str], rows: Sequence[Sequence[str]], geometry: Geometry,
                    word_width: WordWidth, step: float = 2.0) -> tuple[float, ...]:
    """Column widths sized to their text: the question column and the option columns.

    Starts from `geometry.widths` (equal option columns) and moves 6, 3, then 1 times `step` mm
    at a time from one column to another while that makes the table lower (the sum of its rows'
    tallest cells, lines estimated by greedy wrapping of word widths; when that is equal, fewer
    lines in all), never narrower than its widest word nor than two thirds of its starting
    width. When nothing is lower, the widths are the starting ones.
    """
    count = len(header)
    widths = list(geometry.widths(count - 1))
    table = [header, *rows]
    # the heading row and the question column are bold
    cells = [[_word_widths(text, word_width, bold=r == 0 or c == 0) for c, text in enumerate(row)]
             for r, row in enumerate(table)]
    space = word_width(" ", False)
    floor = [max(widths[c] * 2 / 3,
                 max((w for row in cells for w in row[c][0]), default=0.0) + 2 * geometry.pad_x
                 + 0.5) for c in range(count)]
    lines = [[_greedy_lines(row[c], space, geometry.inner(widths[c])) for c in range(count)]
             for row in cells]

    def height(table_lines: list[list[int]]) -> tuple[int, int]:
        """The table's height in lines, then (to leave a plateau) all lines of all cells."""
        return sum(map(max, table_lines)), sum(map(sum, table_lines))

    best = height(lines)
    for move in (6 * step, 3 * step, step):  # big moves first: a label needs a jump to gain
        improved = True
        while improved:
            improved = False
            for wider in range(count):
                for narrower in range(count):
                    if wider == narrower or widths[narrower] - move < floor[narrower]:
                        continue
                    trial = [list(row) for row in lines]
                    for r, row in enumerate(cells):
                        trial[r][wider] = _greedy_lines(row[wider], space,
                                                        geometry.inner(widths[wider] + move))
                        trial[r][narrower] = _greedy_lines(
                            row[narrower], space, geometry.inner(widths[narrower] - move))
                    if height(trial) < best:
                        best, lines, improved = height(trial), trial, True
                        widths[wider] += move
                        widths[narrower] -= move
    return tuple(widths)


def _word_widths(text: str, word_width: WordWidth, bold: bool) -> tuple[list[float], bool]:
    return [word_width(word, bold) for word in text.split()], bold


def _greedy_lines(cell: tuple[list[float], bool], space: float, room: float) -> int:
    """Lines of words wrapped greedily into `room` mm (an estimate of fpdf2's wrapping)."""
    words, _bold = cell
    lines, used = 1, -space
    for width in words:
        if used + space + width > room and used > 0:
            lines, used = lines + 1, width
        else:
            used += space + width
    return lines
