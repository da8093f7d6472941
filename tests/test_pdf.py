"""The PDF renderer (dashboard/adapters/pdf/), on DiscussionSheet objects built here.

Covers safety.md 4.4/4.5 and cases 4-12 and 18 of section 5: text extracted per page with pypdf,
footer and page label on every page, names in every bundled script, literal markup, emoji refused
with the field named, metadata without the patient's name, identical bytes for identical input,
paper sizes, print sizes, a rendered PNG that is not blank, and no patient text in log records.
"""

from __future__ import annotations

import io
import logging
import re
import subprocess
import threading
import unicodedata
import zlib
from datetime import UTC, datetime

import pytest
from fpdf.enums import ResourceAccessPolicy
from pypdf import PdfReader

from dashboard.adapters.pdf import UnprintableText, fonts, render
from dashboard.adapters.pdf import document as pdf_module
from dashboard.core.document import (
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
from tests.conftest import require_tool

CREATED = datetime(2025, 11, 3, 9, 30, tzinfo=UTC)
FOOTER = (
    "This sheet supports, and does not replace, a conversation with your care team.",
    "Content version 1.4 (9f2c1ab) · reviewed 2025-10-01 · next review 2026-04-01",
    "Check code: 7F3A-19C2",
)
PAGE_LABEL = "Page {page} of {pages}"


def norm(text: str) -> str:
    """Whitespace collapsed; no space before a combining mark (pypdf puts one before a mark
    glyph that HarfBuzz positioned back over its letter, e.g. Gurmukhi tippi in ਸਿੰਘ)."""
    flat = " ".join(text.split())
    return "".join(c for i, c in enumerate(flat)
                   if not (c == " " and i + 1 < len(flat)
                           and unicodedata.category(flat[i + 1]) in ("Mn", "Mc")))


def make_sheet(*blocks, name: str = "Zoë Example", **options) -> DiscussionSheet:
    return DiscussionSheet(
        title="Your treatment options: discussion sheet",
        metadata_title="Discussion sheet",
        lang="en-CA",
        footer_lines=FOOTER,
        page_label=PAGE_LABEL,
        blocks=(LabelledValue("Name", name, user_field="patient_name"),
                LabelledValue("Date of appointment", "", user_field="appointment_date"),
                *blocks),
        **options,
    )


def typical_blocks() -> tuple:
    options = ("Surgery to remove the tumour", "Burning the tumour (ablation)",
               "Treatment through the blood vessels (TACE)")
    rows = (
        ("What it involves", ("An operation to remove the part of the liver with the cancer.",
                              "A needle heats the tumour until the cancer cells die.",
                              "A thin tube delivers chemotherapy into the tumour's blood supply.")),
        ("Hospital stay", ("About 5–7 days.", "Usually 1 night.", "1–2 nights.")),
        ("Recovery", ("4–6 weeks.", "About 1 week.", "About 1 week; tiredness is common.")),
    )
    return (
        Paragraph("This sheet helps you talk with your care team.", style="lead"),
        Heading("Your options at a glance"),
        OptionTable("", options, rows),
        Heading("Questions you may want to ask"),
        Bullets(("What is the goal of this treatment for me?", "What are the main risks?")),
        Heading("What matters most to you?", level=2),
        TickBoxes(("Living as long as possible", "Keeping my quality of life")),
        Paragraph("Anything else you want to tell the team:", style="small"),
        WriteLines(3),
        Heading("Words you may hear"),
        Glossary((("Ablation", "Treatment that destroys a tumour with heat."),
                  ("Child–Pugh score", "A way of measuring how well the liver works ≥ 7 ✓."))),
    )


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def all_text(data: bytes) -> str:
    return norm(" ".join(pages_text(data)))


def font_sizes(data: bytes) -> set[float]:
    """Every font size set with Tf in the page content streams."""
    sizes = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        content = page.get_contents().get_data()
        sizes |= {float(s) for s in re.findall(rb"/F\d+\s+([\d.]+)\s+Tf", content)}
    return sizes


def embedded_fonts(data: bytes) -> set[str]:
    """Base names of every font object in the file (used on a page or not)."""
    return {m.decode() for m in re.findall(rb"/BaseFont /[A-Z]{6}\+([A-Za-z0-9-]+)", data)}


LONG_WORDS = [f"word{i:04d}" for i in range(560)]
LONG_PARAGRAPH = " ".join(LONG_WORDS)  # 5,599 characters


# --------------------------------------------------------------------------- every page


@pytest.mark.hazard("H09")
@pytest.mark.parametrize("name", ["Zoë Example", "محمد عبد الله"], ids=["latin", "shaping-on"])
def test_footer_lines_and_page_label_on_every_page(name):
    data = render(make_sheet(*typical_blocks(), Paragraph(LONG_PARAGRAPH), name=name),
                  created=CREATED)
    texts = pages_text(data)
    assert len(texts) >= 3
    for number, text in enumerate(texts, start=1):
        flat = norm(text)
        for line in FOOTER:
            assert norm(line) in flat, (number, line)
        assert f"Page {number} of {len(texts)}" in flat
    assert pdf_module._preflight(make_sheet(name=name)).shaping is (name != "Zoë Example")


def test_page_total_alias_in_user_text_prints_literally():
    data = render(make_sheet(Paragraph("{nb} {pages} {page}", user_field="notes")),
                  created=CREATED)
    assert "{nb} {pages} {page}" in all_text(data)


# --------------------------------------------------------------------------- names

NAMES = [
    "Zoë",
    "Nguyễn Thị Minh Khai",
    "王秀英",
    "محمد عبد الله",
    "שרה כהן",
    "O’Brien",
    "O'Brien",
    "Smith–Jones",
    "Łukasz Søren José",
    "Ἀλέξανδρος Иванов",
    "देवनागरी नाम",
    "佐藤 花子",
    "김민준",  # Korean
    "ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ",  # Punjabi, Gurmukhi
    "சுப்பிரமணியம்",  # Tamil
    "ભાવેશ પટેલ",  # Gujarati
    "রবীন্দ্রনাথ",  # Bengali
    "زهرا احمدی",  # Persian
    "عائشہ خان",  # Urdu
    "አበበ ቢቂላ",  # Amharic / Tigrinya (Ethiopic)
    "张伟 張偉",  # Chinese simplified and traditional
    "ᐊᓯᐅᒃ ᓄᓇᕗᑦ",  # Inuktitut syllabics
    "ᓀᐦᐃᔭᐍᐏᐣ",  # Cree syllabics
    "Αικατερίνη Παπαδοπούλου",  # Greek
    "Наталья Смирнова",  # Russian
    "Trần Văn Hùng",  # Vietnamese
    "Олександр Шевченко",  # Ukrainian
    "Mary-Jane " + "Abcdefghij " * 8 + "Xyz",  # 100 characters with spaces
]


@pytest.mark.hazard("H11", "H54")
@pytest.mark.parametrize("name", NAMES)
def test_names_extract_back_equal(name):
    data = render(make_sheet(*typical_blocks(), name=name), created=CREATED)
    first_page = norm(pages_text(data)[0])
    assert f"Name: {norm(name)}" in first_page


@pytest.mark.hazard("H10")
@pytest.mark.parametrize("name", ["Abcdefghij" * 10, "ਕ" * 100, "김" * 100])
def test_hundred_character_unbroken_name_is_not_cut(name):
    data = render(make_sheet(name=name), created=CREATED)
    assert name in re.sub(r"\s", "", pages_text(data)[0])


@pytest.mark.parametrize("name", ["王秀英", "محمد عبد الله", "देवनागरी नाम", "שרה כהן"])
def test_bold_text_in_another_script_keeps_every_glyph(name):
    """Fallback fonts with exact_match=False: bold text never silently drops characters."""
    data = render(make_sheet(Heading(name), Heading(name, level=2), name=name), created=CREATED)
    assert all_text(data).count(norm(name)) >= 3  # the name line and both headings


# --------------------------------------------------------------------------- text flow


@pytest.mark.hazard("H10")
def test_long_paragraph_flows_over_pages_without_losing_words():
    data = render(make_sheet(Paragraph(LONG_PARAGRAPH, user_field="notes")), created=CREATED)
    texts = pages_text(data)
    assert len(texts) >= 2
    assert re.findall(r"word\d{4}", " ".join(texts)) == LONG_WORDS


@pytest.mark.hazard("H10")
def test_tall_table_rows_are_split_not_lost():
    """fpdf2 raises for a table row taller than a page: the renderer splits such rows."""
    cells = (" ".join(LONG_WORDS[:300]), "Short.", " ".join(LONG_WORDS[300:]))
    table = OptionTable("", ("Option A", "Option B", "Option C"), (("Long aspect", cells),))
    data = render(make_sheet(table, large_print=True), created=CREATED)
    assert set(re.findall(r"word\d{4}", all_text(data))) == set(LONG_WORDS)
    assert len(pages_text(data)) >= 3


def test_every_block_type_prints_its_text():
    data = render(make_sheet(*typical_blocks(), Paragraph("After the break")),
                  created=CREATED)
    texts = pages_text(data)
    flat = norm(" ".join(texts))
    for expected in ("Your treatment options: discussion sheet", "Date of appointment:",
                     "Your options at a glance", "Burning the tumour (ablation)",
                     "What it involves",
                     "Usually 1 night.", "What are the main risks?", "Keeping my quality of life",
                     "Ablation", "A way of measuring how well the liver works ≥ 7 ✓."):
        assert expected in flat, expected
    assert "After the break" in texts[-1] and "After the break" not in " ".join(texts[:-1])


@pytest.mark.parametrize("text", [
    "**bold** --x-- __y__ <b>z</b> $x$",
    "Tumour 2--3 cm, __init__, ~~gone~~, [link](http://example.com), <i>x</i> &amp;",
])
@pytest.mark.hazard("H12")
def test_markup_prints_literally(text):
    sheet = make_sheet(Paragraph(text, user_field="notes"), Bullets((text,)), TickBoxes((text,)),
                       Glossary(((text, text),)),
                       OptionTable(text, (text,), ((text, (text,)),)))
    flat = all_text(render(sheet, created=CREATED))
    assert flat.count(norm(text)) >= 6


# --------------------------------------------------------------------------- unprintable


@pytest.mark.parametrize("value, bad", [
    ("Ann 😀", ("😀",)),
    ("Ann ❤️", ("\ufe0f",)),
    ("Done ✅ ⌚ ⭐", ("✅", "⌚", "⭐")),
    ("Tenzin བསྟན", ("བ", "ས", "\u0f9f", "ན")),  # Tibetan: no bundled font
    ("Bell\x07", ("\x07",)),
    ("Private \ue000", ("\ue000",)),
])
@pytest.mark.hazard("H11")
def test_unprintable_characters_raise_naming_the_field(value, bad):
    with pytest.raises(UnprintableText) as caught:
        render(make_sheet(name=value), created=CREATED)
    assert caught.value.field == "patient_name"
    assert caught.value.characters == bad
    assert str(caught.value).startswith(
        "The patient name contains characters the sheet cannot print: ")


def test_unprintable_content_text_is_named_content():
    with pytest.raises(UnprintableText) as caught:
        render(make_sheet(Bullets(("ok", "not ok 🙂"))), created=CREATED)
    assert caught.value.field == "content"
    assert caught.value.characters == ("🙂",)


def test_unprintable_user_field_is_reported_before_content():
    sheet = make_sheet(Paragraph("content 😀"), Paragraph("notes 🙂", user_field="notes"))
    with pytest.raises(UnprintableText) as caught:
        render(sheet, created=CREATED)
    assert caught.value.field == "notes"


def test_printable_helper_matches_preflight():
    assert fonts.printable("Nguyễn 王秀英 محمد ✓ ✔ ★ ☐ → ≥ ≤ µ ± × ⁹ …")
    assert not fonts.printable("😀")


# --------------------------------------------------------------------------- privacy


def test_metadata_has_no_patient_data():
    name = "Zoë Canary-Name"
    data = render(make_sheet(*typical_blocks(), name=name), created=CREATED)
    reader = PdfReader(io.BytesIO(data))
    meta = reader.metadata
    assert meta.title == "Discussion sheet"
    assert meta.author is None and meta.subject is None and meta.get("/Keywords") is None
    assert meta.creation_date == CREATED
    assert reader.trailer["/Root"]["/Lang"] == "en-CA"
    for value in meta.values():
        assert "Canary" not in str(value)
    assert b"Canary" not in data  # text is stored as glyph ids, never as plain strings
    assert "Canary" not in str(reader.outline)


@pytest.mark.hazard("H17")
def test_no_resource_access_and_no_log_record_with_user_text(caplog):
    caplog.set_level(logging.DEBUG)
    names = ["王秀英", "Zoë Ünïcödé", "محمد", "देवनागरी"]
    for name in names:
        render(make_sheet(*typical_blocks(), name=name), created=CREATED)
    assert caplog.records  # fontTools and fpdf2 do log at DEBUG: check what they log
    for record in caplog.records:
        message = record.getMessage()
        assert "missing" not in message.lower()
        assert "Glyph names" not in message
        for name in names:
            assert not {c for c in name if ord(c) > 127} & set(message), (record.name, message)
            assert not any(f"{ord(c):04X}" in message.upper() for c in name if ord(c) > 127)
    sheet = make_sheet()
    document = pdf_module._SheetPDF(sheet, pdf_module._preflight(sheet))
    assert document.resource_access_policy == ResourceAccessPolicy.NONE


# --------------------------------------------------------------------------- determinism


def test_same_sheet_and_date_give_identical_bytes():
    sheet = make_sheet(*typical_blocks(), name="محمد عبد الله")
    first = render(sheet, created=CREATED)
    render(make_sheet(*typical_blocks(), name="王秀英"), created=CREATED)  # other fonts between
    assert render(sheet, created=CREATED) == first
    naive = render(sheet, created=CREATED.replace(tzinfo=None))
    assert naive == first  # a naive date is taken as UTC, not as the server's local time


@pytest.mark.hazard("H07")
def test_concurrent_renders_match_sequential_ones():
    sheets = [make_sheet(*typical_blocks(), name=n) for n in ("Zoë", "王秀英", "محمد", "שרה")]
    expected = [render(s, created=CREATED) for s in sheets]
    results: dict[int, bytes] = {}

    def work(i: int) -> None:
        results[i] = render(sheets[i % 4], created=CREATED)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[i] == expected[i % 4] for i in range(12))


@pytest.mark.hazard("H54")
def test_a_font_file_is_read_only_when_its_script_is_on_the_page(monkeypatch):
    """Lazy fonts: a Latin sheet reads no script font; a Korean name reads only Nanum."""
    read = []
    original = fonts._Cmaps.of

    def counting(self, file_name):
        read.append(file_name)
        return original(self, file_name)

    monkeypatch.setattr(fonts, "_CMAPS", fonts._Cmaps())
    monkeypatch.setattr(fonts._Cmaps, "of", counting)
    for cached in (fonts._main_codes, fonts._family_codes, fonts._sorted_codes):
        cached.cache_clear()
    render(make_sheet(*typical_blocks()), created=CREATED)
    assert set(read) == {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"}
    read.clear()
    render(make_sheet(name="김민준"), created=CREATED)
    assert set(read) - {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"} == {"NanumSquareR.ttf"}


def test_only_needed_fonts_are_embedded():
    latin = embedded_fonts(render(make_sheet(*typical_blocks()), created=CREATED))
    assert latin == {"DejaVuSansBook", "DejaVuSansBold"}
    arabic = embedded_fonts(render(make_sheet(name="محمد"), created=CREATED))
    assert arabic == latin | {"NotoSansArabic", "NotoSansArabicBold"}
    cjk = embedded_fonts(render(make_sheet(name="王秀英"), created=CREATED))
    assert cjk == latin | {"DroidSansFallback"}


# --------------------------------------------------------------------------- paper and print


@pytest.mark.hazard("H09")
@pytest.mark.parametrize("paper, size", [("a4", (595.28, 841.89)), ("letter", (612.0, 792.0))])
def test_paper_sizes(paper, size):
    reader = PdfReader(io.BytesIO(render(make_sheet(*typical_blocks(), paper=paper),
                                         created=CREATED)))
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(size,
                                                                                        abs=0.1)


def test_unknown_paper_is_refused():
    with pytest.raises(ValueError):
        render(make_sheet(paper="a5"), created=CREATED)


@pytest.mark.hazard("H20")
@pytest.mark.parametrize("large, minimum", [(False, 9.5), (True, 16)])
def test_print_sizes(large, minimum):
    """Large print: every text but the one-line footer is 16 pt or more (standard print: never
    below the compact sizes); the title and headings are clearly larger."""
    data = render(make_sheet(*typical_blocks(), large_print=large), created=CREATED)
    sizes = font_sizes(data)
    steps = pdf_module._LARGE_STEPS if large else pdf_module._STANDARD_STEPS
    footers = {step.footer for step in steps}
    assert min(sizes - footers) >= minimum
    assert min(sizes & footers) >= 8.5
    assert max(sizes) >= minimum + 5


def test_large_print_makes_more_pages_and_keeps_every_word():
    standard = render(make_sheet(*typical_blocks()), created=CREATED)
    large = render(make_sheet(*typical_blocks(), large_print=True), created=CREATED)
    assert len(pages_text(large)) > len(pages_text(standard))
    words = set(re.findall(r"\w+", all_text(standard))) - {"1", "2", "3", "4", "of", "Page"}
    assert words <= set(re.findall(r"\w+", all_text(large)))


# --------------------------------------------------------------------------- pixels


def _png_pixels(path) -> tuple[int, int, bytes, int]:
    """Width, height, raw pixel bytes and bytes per pixel of an 8-bit RGB/grey PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:8], "big")
    bit_depth, colour = header[8], header[9]
    assert bit_depth == 8 and colour in (0, 2)
    bpp = 3 if colour == 2 else 1
    raw, stride = zlib.decompress(idat), width * bpp
    out, previous = bytearray(), bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 255
        out += line
        previous = line
    return width, height, bytes(out), bpp


def test_rendered_page_is_not_blank(tmp_path):
    pdftoppm = require_tool("pdftoppm", "poppler-utils")
    source = tmp_path / "sheet.pdf"
    source.write_bytes(render(make_sheet(*typical_blocks(), name="王秀英"), created=CREATED))
    subprocess.run([pdftoppm, "-r", "40", "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(source), str(tmp_path / "page")], check=True, timeout=60)
    width, height, pixels, bpp = _png_pixels(tmp_path / "page.png")
    assert (width, height) == (340, 440)  # Letter (the default) at 40 dpi
    dark = sum(1 for i in range(0, len(pixels), bpp) if pixels[i] < 128)
    assert 0.01 < dark / (width * height) < 0.5
    # Ink in the top, middle and footer bands: title, body and footer were all drawn.
    rows_with_ink = {i // bpp // width * 10 // height for i in range(0, len(pixels), bpp)
                     if pixels[i] < 128}
    assert {0, 5, 9} <= rows_with_ink


# ----------------------------------------------------------------- real sheets, looked at as pages

@pytest.mark.hazard("H51")
@pytest.mark.parametrize("large_print,paper", [(False, "a4"), (True, "letter"), (True, "a4")])
def test_no_heading_is_left_alone_at_the_bottom_of_a_page(large_print, paper):
    """Found by looking at a large-print sheet: 'What matters most to you' ended a page."""
    from dashboard.core.document import Heading
    from dashboard.core.engine import assess
    from dashboard.core.loader import load_content
    from dashboard.core.sheet import SheetChoices, build_sheet, discussable
    from tests.conftest import make_factors

    content = load_content()
    assessment = assess(make_factors(cirrhosis=True), content)
    sheet = build_sheet(assessment, content,
                        SheetChoices(discussable(assessment)[:4], large_print=large_print,
                                     paper=paper, notes="See you Thursday."),
                        today=datetime(2026, 11, 26).date())
    headings = {" ".join(b.text.split()) for b in sheet.blocks if isinstance(b, Heading)}
    footer = {" ".join(line.split()) for line in sheet.footer_lines}
    reader = PdfReader(io.BytesIO(render(sheet, created=datetime(2026, 11, 26, 9, 0))))

    for number, page in enumerate(reader.pages, start=1):
        lines = [" ".join(t.split()) for t in page.extract_text().splitlines() if t.strip()]
        body = [t for t in lines if t not in footer and not t.startswith("Page ")
                and not any(t in f or f in t for f in footer)]
        assert body, number
        assert body[-1] not in headings, (number, body[-1])


@pytest.mark.hazard("H51")
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_lead_line_of_more_about_each_option_ends_a_page(lang):
    """Found by looking at a French sheet with "More about each option": the lead line "Séjour à
    l'hôpital et récupération" ended page 3 and its text began page 4."""
    from dashboard.core.document import Paragraph
    from dashboard.core.engine import assess
    from dashboard.core.loader import load_content
    from dashboard.core.sheet import SheetChoices, build_sheet
    from tests.conftest import make_factors

    content = load_content()
    factors = make_factors(liver_tumour_count=4, largest_tumour_cm=4.0, child_pugh_score=7,
                           ecog=1, cirrhosis=True)
    sheet = build_sheet(assess(factors, content), content,
                        SheetChoices(("tace", "tare", "systemic"), more_about_options=True,
                                     include_not_fitting=True),
                        today=datetime(2026, 12, 1).date(), lang=lang)
    leads = {" ".join(b.text.split()) for b in sheet.blocks
             if isinstance(b, Paragraph) and b.style == "lead"}
    footer = {" ".join(line.split()) for line in sheet.footer_lines}
    reader = PdfReader(io.BytesIO(render(sheet, created=datetime(2026, 12, 1, 9, 0))))

    assert len(reader.pages) >= 4
    for number, page in enumerate(reader.pages, start=1):
        lines = [" ".join(t.split()) for t in page.extract_text().splitlines() if t.strip()]
        body = [t for t in lines if not any(t in f or f in t for f in footer)
                and not t.startswith(("Page ", "Check code", "Code de"))]
        assert body and body[-1] not in leads, (number, body[-1])


def _sheet_texts_en_fr() -> list[str]:
    from dashboard.core.engine import assess
    from dashboard.core.loader import load_content
    from dashboard.core.sheet import SheetChoices, build_sheet, discussable
    from tests.conftest import make_factors

    content = load_content()
    assessment = assess(make_factors(liver_tumour_count=2, ecog=None), content)
    texts = []
    for lang in ("en", "fr"):
        sheet = build_sheet(assessment, content, SheetChoices(
            discussable(assessment), notes="Ligne 1\nLigne 2 : « à jeun »",
            include_not_fitting=True, full_sources=True), today=datetime(2026, 12, 1).date(),
            lang=lang)
        texts += [text for _field, text in pdf_module.strings(sheet)]
    return texts


@pytest.mark.slow
def test_the_running_width_sum_is_fpdf2s_width_exactly_so_every_line_breaks_the_same():
    """_SummedFragment keeps a line's width as a running sum (fpdf2 sums the whole line again
    for every character): widths equal to the last bit, and the same lines as plain fpdf2 for
    every text of an English and a French sheet, at each print size and several widths."""
    from fpdf import FPDF
    from fpdf.enums import MethodReturnValue
    from fpdf.line_break import Fragment

    texts = list(dict.fromkeys(t for t in _sheet_texts_en_fr() if t.strip()))
    sheet = make_sheet(Paragraph(" ".join(texts)))
    plan = pdf_module._preflight(sheet)
    ours = pdf_module._SheetPDF(sheet, plan)
    plain = FPDF(unit="mm", format="Letter")
    fonts.register(plain, plan)
    for pdf in (ours, plain):
        pdf.add_page()
    checked = 0
    for size, style in ((9.5, ""), (16, "B")):
        for pdf in (ours, plain):
            pdf.set_font(fonts.MAIN_FAMILY, style, size)
        for text in texts:
            fragment = next(iter(plain._parse_chars(text, False)))
            summed = pdf_module._SummedFragment.of(fragment.clone(""))
            assert type(summed) is pdf_module._SummedFragment
            growing = Fragment("", fragment.graphics_state, fragment.k)
            for char in fragment.characters[:80]:
                summed.characters.append(char)
                growing.characters.append(char)
                assert summed.get_width() == growing.get_width()
            for line in (summed, growing):  # a line cut back at a space, then written on
                line.trim(len(line.characters) // 2)
                line.characters.extend(fragment.characters[::-1][:90])
            assert summed.get_width() == growing.get_width()
            for width in (33.3, 183.9):
                lines = [list(pdf.multi_cell(width, 5, text, dry_run=True, markdown=False,
                                             output=MethodReturnValue.LINES))
                         for pdf in (ours, plain)]
                assert lines[0] == lines[1], (text[:40], width, size)
                checked += 1
    assert checked > 500
