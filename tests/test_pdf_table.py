"""Table geometry and pagination (dashboard/adapters/pdf/table.py), with a fake measuring function.

No fpdf2 here: a word is 2 mm per letter plus 2 mm of space; a line holds as many words as fit.
"""

from __future__ import annotations

import pytest

from dashboard.adapters.pdf.table import (
    Geometry,
    RowTooTall,
    balanced_widths,
    columns_per_table,
    paginate,
    row_height,
)

GEOMETRY = Geometry(total_width=170, line_height=5, pad_x=2, pad_y=1.5)


def word_width(word: str, bold: bool) -> float:
    return 2.0 * len(word) * (1.1 if bold else 1.0)


def measure(text: str, width: float, bold: bool) -> int:
    """Greedy wrapping, as a text engine does."""
    lines, used = 1, 0.0
    for word in text.split():
        needed = word_width(word, bold) + (2 if used else 0)
        if used and used + needed > width:
            lines, used = lines + 1, word_width(word, bold)
        else:
            used += needed
    return lines


def test_widths_fill_the_table_and_give_each_option_the_same_width():
    for count in (1, 2, 3, 4):
        widths = GEOMETRY.widths(count)
        assert len(widths) == count + 1
        assert sum(widths) == pytest.approx(170)
        assert len({round(w, 6) for w in widths[1:]}) == 1


def test_a_row_is_as_tall_as_its_tallest_cell_plus_padding():
    widths = GEOMETRY.widths(2)
    short = row_height(("Aim", "Cure.", "Control."), widths, GEOMETRY, measure)
    tall = row_height(("Aim", "word " * 40, "Control."), widths, GEOMETRY, measure)
    assert short == pytest.approx(5 + 3)
    assert tall == pytest.approx(measure("word " * 40, GEOMETRY.inner(widths[1]), False) * 5 + 3)
    assert tall > short


def test_fewer_columns_when_a_word_does_not_fit_unbroken():
    header = ("", "A", "B", "C", "D")
    narrow = (("Question", "x" * 8, "y", "z", "w"),)
    wide_word = (("Question", "x" * 23, "y", "z", "w"),)  # 46 mm: fits 2 columns, not 3 or 4
    assert columns_per_table(header, narrow, GEOMETRY, word_width, most=4) == 4
    assert columns_per_table(header, wide_word, GEOMETRY, word_width, most=4) == 2
    assert columns_per_table(header, narrow, GEOMETRY, word_width, most=3) == 3


def test_rows_that_fit_stay_on_the_current_page():
    assert paginate([10, 10, 10], heading=8, first_room=100, page_room=200) == [[0, 1, 2]]


@pytest.mark.hazard("H51")
def test_a_row_that_does_not_fit_moves_whole_to_the_next_page_under_the_heading():
    pages = paginate([30, 30, 30, 30], heading=10, first_room=75, page_room=100)
    assert pages == [[0, 1], [2, 3]]
    for rows in pages:  # every page: heading plus its rows within the room
        assert 10 + sum([30, 30, 30, 30][i] for i in rows) <= 100


def test_no_room_for_the_first_row_leaves_the_current_page_empty():
    assert paginate([40, 10], heading=10, first_room=30, page_room=100) == [[], [0, 1]]


def test_a_row_taller_than_a_page_is_reported_not_cut():
    with pytest.raises(RowTooTall) as caught:
        paginate([10, 95], heading=10, first_room=100, page_room=100)
    assert caught.value.index == 1


@pytest.mark.hazard("H51")
@pytest.mark.parametrize("heights", [[12.5] * 40, [3, 60, 3, 60, 3, 60], [80, 1, 1, 80]])
def test_every_row_is_placed_once_in_order_and_no_page_overflows(heights):
    pages = paginate(heights, heading=9, first_room=50, page_room=100)
    assert [i for rows in pages for i in rows] == list(range(len(heights)))
    assert 9 + sum(heights[i] for i in pages[0]) <= 50 or not pages[0]
    for rows in pages[1:]:
        assert rows and 9 + sum(heights[i] for i in rows) <= 100


def _table_height(header, rows, widths) -> float:
    return sum(row_height(r, widths, GEOMETRY, measure, heading=i == 0)
               for i, r in enumerate([header, *rows]))


def test_a_wordier_option_column_gets_more_width_and_the_table_gets_lower():
    header = ("", "Short", "Long", "Short")
    long = "many words of personal reasons " * 8
    rows = [("What", "a few words", long, "a few words"), ("How", "one", long, "two")]
    equal, balanced = GEOMETRY.widths(3), balanced_widths(header, rows, GEOMETRY, word_width)

    assert balanced[0] == equal[0] and sum(balanced) == pytest.approx(GEOMETRY.total_width)
    assert balanced[2] > equal[2] > balanced[1]
    assert _table_height(header, rows, balanced) < _table_height(header, rows, equal)
    assert min(balanced[1:]) >= equal[1] * 2 / 3 - 1e-9


def test_balanced_widths_stay_equal_for_like_texts_and_keep_every_word_whole():
    header = ("", "A", "B")
    rows = [("What", "same text here", "same text here")]
    assert balanced_widths(header, rows, GEOMETRY, word_width) == GEOMETRY.widths(2)
    word = "x" * 30  # 60 mm: its column may not get narrower than the word
    rows = [("What", word, "long text " * 40)]
    widths = balanced_widths(header, rows, GEOMETRY, word_width)
    assert GEOMETRY.inner(widths[1]) >= word_width(word, False)
