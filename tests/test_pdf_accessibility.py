"""Structural accessibility checks of the patient sheet (A11Y-3, A11Y-4), read with pypdf.

fpdf2 cannot tag paragraphs and tables, so the sheet is not PDF/UA (a residual risk in the hazard
log, H20). What can be guaranteed is checked here: a document language, a title shown by viewers
instead of the file name, embedded fonts with a Unicode map (so text can be read aloud, searched
and copied), bookmarks for every section, and text that extracts in reading order.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from dashboard.core.document import Heading
from tests.safety_support import pdf_for, pdf_text, sheet_for


@pytest.fixture(scope="module")
def sheet_pdf(content):
    return pdf_for(content, patient_name="王小明 محمد Zoë", selected=("resection", "tace"))


@pytest.mark.hazard("H20")
def test_a11y_3_document_language_and_displayed_title(sheet_pdf, content):
    reader = PdfReader(io.BytesIO(sheet_pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == content.string("locale.tag")
    assert reader.metadata.title == content.string("sheet.metadata_title")
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"]) is True


@pytest.mark.hazard("H20")
def test_a11y_3_every_font_is_embedded_with_a_unicode_map(sheet_pdf):
    reader = PdfReader(io.BytesIO(sheet_pdf))
    seen = 0
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font \
                else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert "/ToUnicode" in font
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            seen += 1
    assert seen >= 2


@pytest.mark.hazard("H20")
def test_a11y_3_every_section_heading_is_a_bookmark_and_text_follows_reading_order(content,
                                                                                   sheet_pdf):
    sheet = sheet_for(content, patient_name="王小明 محمد Zoë", selected=("resection", "tace"))
    headings = [b.text for b in sheet.blocks if isinstance(b, Heading) and b.level == 1]
    reader = PdfReader(io.BytesIO(sheet_pdf))
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline == headings
    flat = " ".join(pdf_text(sheet_pdf).split())
    positions = [flat.find(" ".join(h.split())) for h in headings]
    assert -1 not in positions and positions == sorted(positions)


@pytest.mark.hazard("H20")
def test_a11y_4_body_text_has_strong_contrast(sheet_pdf):
    """Every fill colour used for text is dark enough for 4.5:1 on white paper."""
    import re

    reader = PdfReader(io.BytesIO(sheet_pdf))
    colours = set()
    for page in reader.pages:
        stream = page.get_contents().get_data().decode("latin-1")
        for block in re.findall(r"BT(.*?)ET", stream, re.S):
            colours |= set(re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) rg", block))
            colours |= {(g, g, g) for g in re.findall(r"(?<![\d.])([\d.]+) g\b", block)}
    assert colours, "no text colour found"

    def luminance(rgb):
        def channel(c):
            c = float(c)
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b = map(channel, rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    for rgb in colours:
        assert (1.05) / (luminance(rgb) + 0.05) >= 4.5, rgb
