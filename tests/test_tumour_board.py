"""The tumour-board list's column headings (#13): no word of a heading is broken across lines,
in English and in French, on letter and A4 paper, for a short day and a long one.

The check reads the words back out of the PDF (pypdf): a heading drawn as "Transplan" / "t" on
two lines has no word "Transplant" in the extracted text.
"""

from __future__ import annotations

import dataclasses

import pytest

from dashboard.adapters import tumour_board
from dashboard.adapters.tumour_board import board_pdf, column_widths
from dashboard.core.clinic_day import option_heading
from dashboard.core.intake import PatientRow
from dashboard.service import Choices, PatientDetails, prepare_clinic_day
from tests.conftest import make_factors
from tests.safety_support import CREATED, pdf_text

QUICK = Choices(selected=("resection",), leave_out_not_fitting=True)  # small sheets, quick test


@pytest.fixture(scope="module")
def day(content):
    rows = [PatientRow(row=i + 2, record_id=f"T{i:03d}", details=PatientDetails(name="Ann Lee"),
                       factors=make_factors(**variant), issues=(), language="")
            for i, variant in enumerate(({}, {"ecog": 2}, {"child_pugh_score": 8}))]
    return prepare_clinic_day(rows, QUICK, content, created=CREATED)


def _headings(content, lang: str) -> list[str]:
    words = [content.string(f"clinic_day.board_{key}", lang)
             for key in ("row", "patient", "check_code", "warnings")]
    return [*words[:3], *(option_heading(content, o.id, lang) for o in content.options),
            words[3]]


def _words_read_back(data: bytes) -> set[str]:
    return set(pdf_text(data).split())


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_no_heading_word_is_broken_across_lines(day, content, lang, paper):
    long_day = dataclasses.replace(day, choices=dataclasses.replace(day.choices, paper=paper),
                                   patients=day.patients * 20)  # 60 lines: a second page
    data = board_pdf(long_day, content, lang)
    words = _words_read_back(data)
    headings = _headings(content, lang)
    assert len(set(headings)) == len(headings) == len(content.options) + 4
    missing = [w for h in headings for w in h.split() if w not in words]
    assert not missing, f"heading words broken or lost ({lang}, {paper}): {missing}"


def test_french_headings_are_french(content):
    assert option_heading(content, "supportive_care", "fr") == "Soins de soutien"
    assert option_heading(content, "supportive_care", "en") == "Supportive care"


def test_longer_headings_get_a_smaller_font_not_broken_words(day, content, monkeypatch):
    """Without short headings in content the options' own names are the headings; the font
    shrinks until their words fit (the French names have the longest words)."""
    monkeypatch.setattr(tumour_board, "option_heading",
                        lambda c, option_id, lang: c.option(option_id).name(lang).split(" (")[0])
    for lang in ("en", "fr"):
        data = board_pdf(day, content, lang)
        words = _words_read_back(data)
        names = [o.name(lang).split(" (")[0] for o in content.options]
        missing = [w for n in names for w in n.split() if w not in words]
        assert not missing, f"{lang}: {missing}"


def test_every_column_is_as_wide_as_its_longest_word_and_the_table_fills_the_page(content):
    from fpdf import FPDF

    pdf = FPDF(orientation="landscape", format="letter", unit="mm")
    pdf.add_font("DejaVu", "", str(tumour_board.FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(tumour_board.FONTS / "DejaVuSans-Bold.ttf"))
    headings = _headings(content, "fr")
    body = [["12", "MRN-0001234", "7080-4A14", *("✓" * len(content.options)), "W1, W3"]]
    widths, size = column_widths(pdf, headings, body)
    assert sum(widths) == pytest.approx(pdf.epw)
    pdf.set_font("DejaVu", "B", size)
    for width, heading in zip(widths, headings):
        inner = width - 2 * tumour_board.PAD
        assert all(pdf.get_string_width(w) < inner for w in heading.split()), heading


def _board_words(content, lang: str) -> list[str]:
    return [content.string(f"clinic_day.board_{key}", lang) for key in
            ("title", "mdt_note", "verdict_applicable", "verdict_caution",
             "verdict_not_applicable")]


def _flat(data: bytes) -> str:
    return " ".join(pdf_text(data).split())


@pytest.mark.hazard("H113")
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_board_is_in_the_language_asked_for_title_note_and_verdict_words(day, content,
                                                                              lang):
    """A French care team gets the whole list in French (the note and the verdict words were
    always in English)."""
    text = _flat(board_pdf(day, content, lang))
    other = "en" if lang == "fr" else "fr"
    for words in _board_words(content, lang):
        assert " ".join(words.split()) in text, words
    for words in _board_words(content, other)[1:]:
        assert " ".join(words.split()) not in text, words


@pytest.fixture(scope="module")
def warned_day(content):
    """Two warnings: W1 (Child-Pugh 7 without cirrhosis) and W5 (the score entered differs from
    the labs'), whose message names the scores."""
    labs = {"bilirubin_umol_l": 20, "albumin_g_l": 40, "inr": 1.0, "ascites": "none",
            "encephalopathy": "none"}
    rows = [PatientRow(row=2, record_id="W001", details=PatientDetails(),
                       factors=make_factors(child_pugh_score=7, cirrhosis=False),
                       issues=(), language=""),
            PatientRow(row=3, record_id="W002", details=PatientDetails(),
                       factors=make_factors(child_pugh_score=8, **labs), issues=(), language="")]
    return prepare_clinic_day(rows, QUICK, content, created=CREATED)


@pytest.mark.hazard("H113")
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_warnings_and_the_content_status_are_in_the_language_of_the_list(warned_day,
                                                                             content, lang):
    """The legend of warnings (W1 ...) and the content line were English on a French list."""
    from dashboard.core.sheet import content_status

    codes = {c for p in warned_day.made for c in p.summary.warning_codes}
    assert {"W1", "W5"} <= codes
    text = _flat(board_pdf(warned_day, content, lang))
    other = "en" if lang == "fr" else "fr"
    for code in ("W1", "W5"):
        rule = content.rule(code)
        ours, theirs = rule.clinician[lang], rule.clinician[other]
        first = ours.split("(")[0].split(":")[0]  # the words before any value filled in
        assert " ".join(first.split()) in text, (code, first)
        assert " ".join(theirs.split("(")[0].split(":")[0].split()) not in text, code
    w5 = next(m for p in warned_day.made for c, m in p.summary.warning_messages(content, lang)
              if c == "W5")
    assert "{" not in w5 and "8" in w5  # the score entered, filled in
    status = content_status(content, lang, CREATED.date())
    assert " ".join(status.split()) in text
    assert " ".join(content_status(content, other, CREATED.date()).split()) not in text


@pytest.mark.slow
@pytest.mark.hazard("H113")
def test_batch_lang_gives_the_board_in_that_language(content, tmp_path, monkeypatch):
    import io
    import json
    import zipfile

    from dashboard.adapters.archive import BOARD
    from dashboard.cli import main

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(CREATED.timestamp())))
    (tmp_path / "day.json").write_text(json.dumps([make_factors(), make_factors(ecog=2)]),
                                       encoding="utf-8")
    for lang in ("fr", "en"):
        out = tmp_path / f"{lang}.zip"
        assert main(["batch", str(tmp_path / "day.json"), "-o", str(out), "--lang", lang,
                     "--select", "resection", "--workers", "1"]) == 0
        board = zipfile.ZipFile(io.BytesIO(out.read_bytes())).read(BOARD)
        assert content.string("clinic_day.board_title", lang) in _flat(board)
        note = " ".join(content.string("clinic_day.board_mdt_note", "fr").split())
        assert (note in _flat(board)) is (lang == "fr")


@pytest.mark.slow
@pytest.mark.hazard("H113")
def test_the_clinic_day_page_makes_the_board_in_the_language_chosen(content):
    import io
    import zipfile

    from dashboard.adapters.archive import BOARD
    from dashboard.screen import clinic_day
    from tests.test_clinic_day_page import _cells, _list, _page, _upload

    at = _upload(_page(), _list(content, [_cells(name="Ann Lee")]))
    at.radio(key=clinic_day.KEY + "lang").set_value("fr").run()
    at.button(key="day_prepare").click().run()
    assert not at.exception
    prepared = at.session_state[clinic_day.PREPARED]
    board = zipfile.ZipFile(io.BytesIO(prepared["zip"])).read(BOARD)
    assert content.string("clinic_day.board_title", "fr") in _flat(board)
    assert " ".join(content.string("clinic_day.board_mdt_note", "fr").split()) in _flat(board)
