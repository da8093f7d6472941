"""A clinic day draws its sheets faster by sharing how texts wrap and the parsed fonts (#13),
and every sheet stays byte for byte the sheet drawn alone: the measurements shared between a
day's sheets never change a file (each sheet gives its characters their glyphs first, in
code-point order), each sheet gets its own copy of a parsed font (its own glyph set) and only a
subset made for exactly its own glyphs, and what is shared, which holds patient text or the
glyphs of patients' names, lives only for that one day in one thread.
"""

from __future__ import annotations

import threading

import pytest

from dashboard.adapters.pdf import document, fonts, shared_measurements
from dashboard.service import Choices, PatientDetails, prepare_sheet
from tests.conftest import make_factors
from tests.safety_support import CREATED, pdf_text

QUICK = Choices(selected=("resection", "rfa"))


def _cases():
    """Sheets that differ in what they print: factors, language, size, paper and scripts (the
    Arabic name turns text shaping on, which never shares)."""
    return [
        (make_factors(), QUICK, PatientDetails(name="Ann Lee")),
        (make_factors(ecog=2, cirrhosis=None), Choices(), PatientDetails(name="Zoë O'Brien")),
        (make_factors(portal_vein_invasion="main"), Choices(language="fr"),
         PatientDetails(name="Éloïse Tremblay")),
        (make_factors(child_pugh_score=8), Choices(large_print=True, paper="a4"),
         PatientDetails(name="Bob Ray")),
        (make_factors(liver_tumour_count=4), QUICK, PatientDetails(name="王小明")),
        (make_factors(), QUICK, PatientDetails(name="محمد علي")),
        (make_factors(), QUICK, PatientDetails(name="Ŵenona Ǆurić")),  # glyphs of her own
        (make_factors(), QUICK, PatientDetails(name="Ann Lee")),  # after her: none of hers
    ]


def _draw(case):
    factors, choices, patient = case
    return prepare_sheet(factors, choices, _content(), patient=patient, created=CREATED).pdf


def _content():
    from dashboard.core.loader import load_content
    return load_content()


@pytest.mark.slow
@pytest.mark.hazard("H96", "H131")
def test_sheets_drawn_sharing_measurements_are_byte_for_byte_the_sheets_drawn_alone():
    cases = _cases()
    alone = [_draw(case) for case in cases]
    with shared_measurements():
        together = [_draw(case) for case in cases + cases[::-1]]  # the second round reuses
    assert together == alone + alone[::-1]
    assert "Zoë O'Brien" in pdf_text(together[1]) and "Ann Lee" not in pdf_text(together[1])


@pytest.mark.hazard("H131")
def test_a_day_parses_each_font_once_and_reuses_only_subsets_of_the_same_glyphs():
    cases = _cases()
    with shared_measurements():
        day = fonts._DAY_FONTS.get()
        together = [_draw(case) for case in cases]
        assert day.reused >= 1  # the second "Ann Lee" sheet embeds the first one's subsets
        files = [key[2] for key in day.templates]
        assert len(files) == len(set(files))  # each font file parsed once this day
        glyph_sets = list(day.subsets)
    assert together == [_draw(case) for case in cases]  # (drawn alone)
    # the name with glyphs of its own got subsets of its own, which nobody else reused
    assert len({names for key, names in glyph_sets if key[0] == fonts.MAIN_FAMILY}) >= 4


@pytest.mark.hazard("H131")
def test_the_days_fonts_end_with_the_day_and_stay_in_their_thread():
    assert fonts._DAY_FONTS.get() is None
    seen = []
    with shared_measurements():
        day = fonts._DAY_FONTS.get()
        other = threading.Thread(target=lambda: seen.append(fonts._DAY_FONTS.get()))
        other.start()
        other.join()
        _draw(_cases()[0])
        assert day.templates and day.subsets  # glyphs of patients' names, for this day only
    assert seen == [None]
    assert fonts._DAY_FONTS.get() is None


@pytest.mark.hazard("H96")
def test_shared_measurements_end_with_the_day_and_stay_in_their_thread():
    assert document._SHARED_LINES.get() is None
    seen = []
    with shared_measurements():
        measured = document._SHARED_LINES.get()
        assert measured == {}
        other = threading.Thread(target=lambda: seen.append(document._SHARED_LINES.get()))
        other.start()
        other.join()
        _draw(_cases()[0])
        assert measured  # texts of the sheet (patient text among them, in general) are held...
    assert seen == [None]  # ...never visible to another session's thread
    assert document._SHARED_LINES.get() is None  # ...and dropped when the day is drawn


@pytest.mark.hazard("H96")
def test_a_sheet_alone_never_shares(monkeypatch):
    calls = []
    real = document._SheetPDF._dry_lines
    monkeypatch.setattr(document._SheetPDF, "_dry_lines",
                        lambda self, *a: calls.append(self._shared_lines) or real(self, *a))
    _draw(_cases()[0])
    assert calls and all(shared is None for shared in calls)
