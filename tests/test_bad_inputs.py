"""The forty bad-input and fault cases of the safety case (safety.md section 5), outside the UI.

Each test is named after its case number. These tests drive the clinical core, the sheet
builder, the PDF renderer (text read back with pypdf) and the command line. Cases that only
exist on screen (and the screen half of mixed cases) are in tests/test_bad_inputs_ui.py
(AppTest) and tests/test_bad_inputs_browser.py (Playwright); docs/safety/hazard-log.md maps
every case to its tests.
"""

from __future__ import annotations

import ast
import builtins
import io
import json
import logging
import math
import os
import shutil
import socket
import subprocess
import threading
import tomllib
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import cli
from dashboard.adapters.pdf import UnprintableText, load_fonts, render
from dashboard.core import usertext
from dashboard.core.assessment import Verdict
from dashboard.core.document import LabelledValue
from dashboard.core.engine import assess
from dashboard.core.loader import ContentError, load_content
from dashboard.core.sheet import FILE_NAME, SheetInputError
from tests.conftest import ROOT, make_factors, require_tool
from tests.safety_support import (
    CREATED,
    Sandbox,
    label_value,
    new_marker,
    pdf_for,
    pdf_pages,
    pdf_text,
    sheet_for,
    text_chunks,
)

NAME = "Name"  # the sheet's label for the name line (content/sheet.toml label_name)
CONTROL_CHARS = "\x00\x1b\x07\r\t\x7f\x85"
BIDI_CONTROLS = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E,
                                  0x200F, 0x061C]))
INVISIBLE = "\u200b\u200c\u200d\ufeff\u00ad"


def _name_value(content, name: str) -> str:
    return label_value(pdf_text(pdf_for(content, patient_name=name)), NAME)


def _patient_json(name: str = "", **patient) -> str:
    return json.dumps({**make_factors(), "patient": {"name": name, **patient}})


def _sheet_cli(tmp_path, payload: str, *extra: str):
    box = Sandbox(tmp_path / "box").make()
    out = box.work / "sheet.pdf"
    result = box.run_cli("sheet", "-", "-o", str(out), *extra, stdin=payload)
    return result, out, box


# --------------------------------------------------------------------------- 1-3 names


@pytest.mark.bad_input_case(1)
def test_case_01_empty_name_prints_a_blank_name_line_and_results_are_unchanged(content):
    blank = sheet_for(content, patient_name="")
    named = sheet_for(content, patient_name="Ann Lee")

    header = next(b for b in blank.blocks if isinstance(b, LabelledValue))
    assert (header.label, header.value) == (f"{NAME}:", "")  # label + separator
    # everything but the name line is identical: the name never changes a result
    assert [b for b in blank.blocks if not isinstance(b, LabelledValue)] == \
        [b for b in named.blocks if not isinstance(b, LabelledValue)]
    assert blank.footer_lines == named.footer_lines
    text = pdf_text(pdf_for(content, patient_name=""))
    assert label_value(text, NAME) == ""  # the line is there (labelled_line), its value blank


@pytest.mark.bad_input_case(2)
def test_case_02_whitespace_only_name_is_empty_and_prints_the_same_pdf(content):
    assert usertext.clean(" \t \u00a0 \u3000 ") == ""
    assert pdf_for(content, patient_name=" \t \u00a0 \u3000 ") == pdf_for(content, patient_name="")


@pytest.mark.hazard("H10")
@pytest.mark.bad_input_case(3)
def test_case_03_a_ten_thousand_character_name_is_refused_naming_the_limit(content, tmp_path):
    long_name = "Aé" * 5000
    with pytest.raises(SheetInputError) as caught:
        sheet_for(content, patient_name=long_name)
    assert caught.value.field == "patient_name"
    assert "at most 100 characters" in str(caught.value)
    assert long_name[:20] not in str(caught.value)

    result, out, _ = _sheet_cli(tmp_path, _patient_json(long_name))
    assert result.returncode == 2
    assert "at most 100 characters" in result.stderr and "Traceback" not in result.stderr
    assert long_name[:20] not in result.stderr + result.stdout
    assert not out.exists()


@pytest.mark.hazard("H10")
@pytest.mark.bad_input_case(3)
def test_case_03_a_hundred_character_name_is_printed_whole_inside_the_page(content, tmp_path):
    pdftoppm = require_tool("pdftoppm", "poppler-utils")
    name = "W" * 100  # one unbroken word of the widest letter
    data = pdf_for(content, patient_name=name)
    text = pdf_text(data)
    assert name in "".join(text.split())
    # Nothing drawn in the right margin of page 1 (an overflowing cell would run into it).
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(data)
    subprocess.run([pdftoppm, "-r", "60", "-f", "1", "-l", "1", "-gray", "-singlefile",
                    str(pdf), str(tmp_path / "p1")], check=True, timeout=60)
    from PIL import Image

    page = Image.open(tmp_path / "p1.pgm")
    width, height = page.size
    margin = page.crop((int(width * 0.94), int(height * 0.06), width, int(height * 0.85)))
    assert margin.getextrema()[0] > 200, "ink in the right margin: text overflowed"


# --------------------------------------------------------------------------- 4-12 Unicode

ACCENTED = ["Zoë", "José", "Nguyễn Thị Ánh", "Łukasz Żółć", "Søren Ærø", "François Œuvre"]


@pytest.mark.hazard("H11")
@pytest.mark.bad_input_case(4)
@pytest.mark.parametrize("name", ACCENTED)
def test_case_04_accented_latin_prints_exactly_as_typed(content, name):
    assert _name_value(content, name) == unicodedata.normalize("NFC", name)


@pytest.mark.hazard("H11")
@pytest.mark.bad_input_case(5)
def test_case_05_nfd_accents_give_the_same_pdf_bytes(content):
    nfc = "Zoë Nguyễn Ánh"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert usertext.clean(nfd) == nfc
    assert pdf_for(content, patient_name=nfd, notes=nfd) == pdf_for(content, patient_name=nfc,
                                                                    notes=nfc)


@pytest.mark.bad_input_case(6)
@pytest.mark.parametrize("name", ["O’Brien", "O'Brien", "Smith–Jones", "Anne-Marie “Nan” O’Neil"])
def test_case_06_typographic_apostrophes_and_dashes_print(content, name):
    assert _name_value(content, name) == name


@pytest.mark.bad_input_case(7)
@pytest.mark.parametrize("name", ["王小明", "佐藤 花子", "陳大文 Chan"])
def test_case_07_cjk_names_print_with_the_bundled_font(content, name, caplog):
    caplog.set_level(logging.DEBUG)
    assert _name_value(content, name) == name
    _assert_no_log_mentions(caplog, name)


@pytest.mark.hazard("H11", "H27")
@pytest.mark.bad_input_case(7)
def test_case_07_a_script_without_a_glyph_is_blocked_with_a_message_never_silent(content, tmp_path,
                                                                            caplog):
    caplog.set_level(logging.DEBUG)
    name = "བསན"  # Tibetan: no bundled font has it (Korean is printed since issue #10)
    with pytest.raises(UnprintableText) as caught:
        pdf_for(content, patient_name=name)
    assert caught.value.field == "patient_name"
    assert "cannot print" in str(caught.value)
    assert set(caught.value.characters) == set(name)
    _assert_no_log_mentions(caplog, name)

    result, out, _ = _sheet_cli(tmp_path, _patient_json(name))
    assert result.returncode == 2 and "cannot print" in result.stderr
    assert "patient name" in result.stderr and "3 character(s)" in result.stderr
    assert not set(name) & set(result.stderr + result.stdout)  # H27: no name fragments echoed
    assert "Traceback" not in result.stderr and not out.exists()


def _assert_no_log_mentions(caplog, text: str) -> None:
    for record in caplog.records:
        message = record.getMessage()
        assert text not in message, (record.name, message)
        for char in {c for c in text if ord(c) > 0x7F}:
            assert char not in message, (record.name, message)
            assert f"uni{ord(char):04X}" not in message, (record.name, message)


@pytest.mark.hazard("H11", "H26")
@pytest.mark.bad_input_case(8)
@pytest.mark.parametrize("name", ["שלום כהן", "محمد علي", "नमस्ते राम"])
def test_case_08_right_to_left_and_complex_scripts_extract_in_logical_order(content, name):
    assert _name_value(content, name) == name


@pytest.mark.hazard("H26")
@pytest.mark.bad_input_case(8)
@pytest.mark.parametrize("words,digits", [("محمد علي", "123"), ("שלום כהן", "45")])
def test_case_08_rtl_name_with_digits_is_drawn_in_bidi_visual_order(content, words, digits):
    """In a left-to-right line, "<RTL words> <digits>" shows the digits to the left of the words
    (Unicode bidi algorithm); without shaping they would follow the words on the right."""
    data = pdf_for(content, patient_name=f"{words} {digits}")
    label_y = next(y for x, y, t in text_chunks(data) if t.strip() == f"{NAME}:")
    line = [(x, t) for x, y, t in text_chunks(data) if abs(y - label_y) < 1]
    x_digits = next(x for x, t in line if t.strip() == digits)
    x_words = next(x for x, t in line if t.strip() == words)
    assert x_digits < x_words


@pytest.mark.bad_input_case(9)
@pytest.mark.parametrize("name", ["Ann 😀", "Ann ❤️", "👍🏽"])
def test_case_09_emoji_are_blocked_with_a_message_and_no_crash(content, name):
    with pytest.raises(UnprintableText) as caught:
        pdf_for(content, patient_name=name)
    assert caught.value.field == "patient_name"
    assert "cannot print" in str(caught.value)
    with pytest.raises(UnprintableText) as in_notes:
        pdf_for(content, notes=f"Likes {name}")
    assert in_notes.value.field == "notes"


@pytest.mark.bad_input_case(10)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60), st.booleans())
def test_case_10_11_12_normaliser_removes_controls_bidi_and_invisible_characters(text, multi):
    out = usertext.clean(text, multiline=multi)
    for char in out:
        category = unicodedata.category(char)
        assert category not in ("Cc", "Cs", "Co", "Cn") or (char == "\n" and multi)
        assert char not in BIDI_CONTROLS + INVISIBLE
    assert out == unicodedata.normalize("NFC", out)
    assert out == out.strip()
    assert usertext.clean(out, multiline=multi) == out  # idempotent


@pytest.mark.bad_input_case(10)
def test_case_10_control_characters_never_reach_the_pdf_or_the_log(content, caplog):
    caplog.set_level(logging.DEBUG)
    typed = "A\x00n\x1bn\x07\r\tLee\x7f"
    assert _name_value(content, typed) == "Ann Lee"
    assert pdf_for(content, patient_name=typed) == pdf_for(content, patient_name="Ann Lee")
    for record in caplog.records:
        assert not set(record.getMessage()) & set(CONTROL_CHARS.replace("\t", "")), record.name


@pytest.mark.bad_input_case(11)
def test_case_11_bidi_overrides_are_stripped_so_the_name_cannot_be_spoofed(content):
    spoofed = "Ann\u202eeeL\u202c \u2067x\u2069"
    assert usertext.clean(spoofed) == "AnneeL x"
    assert pdf_for(content, patient_name=spoofed) == pdf_for(content, patient_name="AnneeL x")


@pytest.mark.bad_input_case(12)
def test_case_12_zero_width_characters_and_bom_are_stripped_consistently(content):
    typed = "\ufeffAnn\u200bLee\u200d\u00ad"
    assert usertext.clean(typed) == "AnnLee"
    assert pdf_for(content, patient_name=typed) == pdf_for(content, patient_name="AnnLee")


# --------------------------------------------------------------------------- 13-18 injection

INJECTION = [
    "<script>alert(1)</script>",  # 13
    "<img src=x onerror=alert(1)>",  # 13
    "**Bob** :smile: email:a@b.ca",  # 14
    "$x$ costs $5",  # 15
    "[x](javascript:alert(1))",  # 16
    "![](http://example.invalid/p.png)",  # 16
    "**A** --B-- __C__ ~~D~~",  # 18
]


@pytest.mark.parametrize("case,text", [(13, INJECTION[0]), (13, INJECTION[1]),
                                       (14, INJECTION[2]), (15, INJECTION[3]),
                                       (16, INJECTION[4]), (16, INJECTION[5]),
                                       (18, INJECTION[6])])
@pytest.mark.hazard("H12")
@pytest.mark.bad_input_case(13, 14, 15)
def test_case_13_14_15_16_18_markup_in_user_text_prints_literally(content, case, text):
    data = pdf_for(content, patient_name=text, notes=f"Note: {text}\nend", clinician=text)
    printed = pdf_text(data)
    # A long value may wrap in its half of the header (at a space, or inside an unbroken run
    # like a URL): its first line follows the label, and the whole text is there, literally.
    flat = "".join(printed.split())
    for label in (NAME, "Care team"):
        first = label_value(printed, label)
        assert first and text.startswith(first), (label, first)
        assert "".join(f"{label}:{text}".split()) in flat
    assert f"Note: {text}" in printed


@pytest.mark.bad_input_case(16)
def test_case_16_links_and_remote_images_in_user_text_open_no_connection(content, monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    data = pdf_for(content, patient_name=INJECTION[5], notes=" ".join(INJECTION))

    assert attempts == []
    assert b"/URI" not in data and b"/Launch" not in data and b"/JavaScript" not in data


@pytest.mark.hazard("H25")
@pytest.mark.bad_input_case(17)
def test_case_17_path_like_names_never_reach_a_path_or_a_file_name(content, tmp_path,
                                                                    monkeypatch):
    marker = new_marker()
    names = [f"../../{marker}.txt", f"CON{marker}", f"a/{marker}/b", f"%2e%2e%2f{marker}",
             f"..\\..\\{marker}"]
    load_fonts()
    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def recording_open(file, *args, **kwargs):
        opened.append(os.fspath(file) if not isinstance(file, int) else f"fd:{file}")
        return real_open(file, *args, **kwargs)

    def recording_os_open(path, *args, **kwargs):
        opened.append(os.fspath(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", recording_open)
    monkeypatch.setattr(io, "open", recording_open)
    monkeypatch.setattr(os, "open", recording_os_open)
    for name in names:
        sheet = sheet_for(content, patient_name=name, notes=name, clinician=name)
        assert sheet.file_name == FILE_NAME
        render(sheet, created=CREATED)
        payload = tmp_path / "with-patient.json"
        with real_open(payload, "w", encoding="utf-8") as f:
            json.dump({**make_factors(), "patient": {"name": name, "notes": name}}, f)
        out = tmp_path / "out.pdf"
        assert cli.main(["sheet", str(payload), "-o", str(out), "--select", "resection"]) == 0
    monkeypatch.undo()

    assert opened, "the recorder saw no file at all"
    assert not [p for p in opened if marker in p]
    allowed = (str(ROOT / "content"), str(ROOT / "dashboard"), str(tmp_path))
    assert [p for p in opened if not p.startswith(allowed) and not p.startswith("fd:")] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf", "with-patient.json"]


@pytest.mark.hazard("H12")
@pytest.mark.bad_input_case(18)
def test_case_18_fpdf2_markup_characters_print_literally_without_a_font_error(content):
    name = "**Smith** --Jr-- __Ann__"
    assert _name_value(content, name) == name
    assert "Tumour 2--3 cm __init__" in pdf_text(pdf_for(content, notes="Tumour 2--3 cm __init__"))


# --------------------------------------------------------------------------- 19-25 values

ABSURD = [
    ("bilirubin_umol_l", -1.37, "E5"),
    ("albumin_g_l", 0.004, "RANGE"),
    ("inr", 99.25, "RANGE"),
    ("ecog", 7, "E1"),
    ("largest_tumour_cm", 31.5, "RANGE"),
]


@pytest.mark.bad_input_case(19)
@pytest.mark.parametrize("field,value,code", ABSURD)
def test_case_19_absurd_values_give_an_error_naming_the_field_not_the_value(run, content, field,
                                                                            value, code):
    assessment = run(make_factors(**{field: value}))

    assert assessment.results == () and assessment.fingerprint == ""
    issue = next(e for e in assessment.errors if e.code == code)
    fields = set(content.rule(code).fields) if code[0] in "EW" else {issue.field}
    assert field in fields
    assert str(value) not in issue.message
    label = content.factor(field).label["en"]
    assert label.split()[0].lower() in issue.message.lower()


@pytest.mark.bad_input_case(19)
def test_case_19_the_command_line_reports_absurd_values_without_results(tmp_path):
    box = Sandbox(tmp_path).make()
    result = box.run_cli("assess", "-", stdin=json.dumps(make_factors(inr=99.25, ecog=7)))
    record = json.loads(result.stdout)
    assert result.returncode == 2 and record["verdicts"] == {}
    assert {e["field"] for e in record["errors"]} == {"inr", "ecog"}
    assert "99.25" not in json.dumps(record["errors"])


NUMERIC = ["liver_tumour_count", "largest_tumour_cm", "child_pugh_score", "ecog",
           "bilirubin_umol_l", "months_since_last_curative_treatment", "albumin_g_l", "inr",
           "afp_ng_ml", "platelets_e9_l", "egfr_ml_min", "meld"]


@settings(max_examples=150, deadline=None)
@given(field=st.sampled_from(NUMERIC),
       value=st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**30, 10**30))
@pytest.mark.hazard("H16")
@pytest.mark.bad_input_case(20)
def test_case_20_any_number_is_assessed_or_refused_never_crashes(content, field, value):
    assessment = assess(make_factors(**{field: value}), content)
    if isinstance(value, float) and not math.isfinite(value):
        assert not assessment.ok and assessment.results == ()
        assert any(e.field == field and e.code == "TYPE" for e in assessment.errors)
    elif assessment.ok:
        assert len(assessment.results) == len(content.options)
    else:
        assert assessment.results == ()


@pytest.mark.hazard("H21")
@pytest.mark.bad_input_case(20)
@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e309", '""', '"12"'])
def test_case_20_nan_inf_overflow_and_text_in_json_are_refused(tmp_path, raw):
    box = Sandbox(tmp_path).make()
    payload = json.dumps(make_factors()).replace('"bilirubin_umol_l": 12',
                                                  f'"bilirubin_umol_l": {raw}')
    assert raw in payload
    result = box.run_cli("assess", "-", stdin=payload)

    assert result.returncode == 2 and "Traceback" not in result.stderr
    if result.stdout:
        record = json.loads(result.stdout)
        assert record["verdicts"] == {}
        assert [e["field"] for e in record["errors"]] == ["bilirubin_umol_l"]
    else:
        assert "not allowed" in result.stderr


@pytest.mark.hazard("H03")
@pytest.mark.bad_input_case(20)
def test_case_20_an_empty_numeric_value_is_not_yet_known_never_zero(run, content):
    assessment = run(make_factors(bilirubin_umol_l=None))
    baseline = run(make_factors())
    assert assessment.ok
    changed = [r for r, b in zip(assessment.results, baseline.results) if r.verdict != b.verdict]
    assert changed, "an unknown bilirubin changed nothing: was it read as a number?"
    for result in changed:
        assert result.verdict is Verdict.CAUTION
        assert any("bilirubin_umol_l" in f.unknown for f in result.findings)
    assert all(r.verdict is not Verdict.APPLICABLE or b.verdict is Verdict.APPLICABLE
               for r, b in zip(assessment.results, baseline.results))


@pytest.mark.parametrize("field,typed", [("largest_tumour_cm", "1,5"), ("inr", "1,5"),
                                         ("bilirubin_umol_l", "1.234,5"), ("albumin_g_l", "35,0"),
                                         ("afp_ng_ml", "1,500")])
@pytest.mark.hazard("H04", "H21")
@pytest.mark.bad_input_case(21)
def test_case_21_decimal_comma_is_refused_never_read_as_a_bigger_number(run, field, typed):
    assert usertext.parse_number(typed) == typed  # the text field hands it on unread
    assessment = run(make_factors(**{field: typed}))
    assert assessment.results == ()
    assert [(e.code, e.field) for e in assessment.errors] == [("TYPE", field)]
    assert "decimal point" in assessment.errors[0].message
    assert typed not in assessment.errors[0].message


@pytest.mark.hazard("H21")
@pytest.mark.bad_input_case(21)
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.,-+eE naif \u0665\u066b", max_size=12))
def test_case_21_the_number_parser_reads_only_plain_decimal_numbers(text):
    value = usertext.parse_number(text)
    cleaned = text.strip()
    if not cleaned:
        assert value is None
    elif isinstance(value, float):
        assert set(cleaned) <= set("0123456789.+-") and cleaned.count(".") <= 1
        assert value == float(cleaned)
    else:
        assert value == cleaned  # handed on unchanged: the engine refuses it


@pytest.mark.parametrize("overrides,flagged", [
    (dict(bilirubin_umol_l=None, bilirubin_mg_dl=40), True),  # µmol/L value typed as mg/dL
    (dict(bilirubin_umol_l=1.2), True),  # mg/dL value typed as µmol/L
    (dict(bilirubin_umol_l=None, bilirubin_mg_dl=1.2), False),
    (dict(bilirubin_umol_l=40), False),
])
@pytest.mark.hazard("H04")
@pytest.mark.bad_input_case(22)
def test_case_22_bilirubin_in_the_wrong_unit_gets_a_plausibility_warning(run, overrides, flagged):
    assessment = run(make_factors(**overrides))
    warning = [w for w in assessment.warnings if w.code == "W6"]
    assert bool(warning) is flagged
    if flagged:
        assert "unit" in warning[0].message


@pytest.mark.hazard("H01")
@pytest.mark.bad_input_case(23)
def test_case_23_values_on_thresholds_classify_the_same_in_both_unit_systems(run):
    for umol, mg in [(34, 2.0), (51, 3.0), (21, 1.2)]:
        in_umol = run(make_factors(bilirubin_umol_l=umol))
        in_mg = run(make_factors(bilirubin_umol_l=None, bilirubin_mg_dl=mg))
        assert [r.verdict for r in in_umol.results] == [r.verdict for r in in_mg.results]
        assert in_mg.derived.bilirubin_umol_l == umol
    labs = dict(child_pugh_score=None, ascites="none", encephalopathy="none", bilirubin_umol_l=20)
    points = lambda **o: run(make_factors(**labs, **o)).derived.child_pugh_points  # noqa: E731
    # albumin 3.5 g/dL = 35 g/L: 2 points in both units (band 28-35 g/L inclusive)
    assert points(albumin_g_l=35, inr=1.0)["albumin_g_l"] == 2
    assert points(albumin_g_dl=3.5, inr=1.0)["albumin_g_l"] == 2
    assert points(albumin_g_l=35.1, inr=1.0)["albumin_g_l"] == 1
    # INR 1.7 is the first value of the 2-point band
    assert [points(albumin_g_l=40, inr=i)["inr"] for i in (1.69, 1.7, 2.3, 2.31)] == [1, 2, 2, 3]


@pytest.mark.hazard("H03")
@pytest.mark.bad_input_case(24)
def test_case_24_a_missing_factor_gives_caution_naming_it_and_others_are_still_assessed(run,
                                                                                         content):
    baseline = run(make_factors())
    assessment = run(make_factors(ecog=None))
    assert assessment.ok and len(assessment.results) == len(content.options)
    unchanged = 0
    for result, before in zip(assessment.results, baseline.results):
        if result.verdict == before.verdict:
            unchanged += 1
            continue
        assert result.verdict is Verdict.CAUTION
        finding = next(f for f in result.findings if "ecog" in f.unknown)
        from dashboard.core.explain import finding_text
        assert finding_text(finding, content) == "Not yet known: ECOG performance status"
    assert 0 < unchanged < len(content.options)


@pytest.mark.parametrize("overrides,code", [
    (dict(painful_bone_metastases=True), "E7"),  # liver only + bone metastases
    (dict(recurrence_site="extrahepatic_only"), "E4"),  # outside the liver + liver tumour
    (dict(liver_tumour_count=2, largest_tumour_cm=0), "E6"),
])
@pytest.mark.bad_input_case(25)
def test_case_25_contradictory_inputs_are_flagged_and_results_withheld(run, content, overrides,
                                                                       code):
    assessment = run(make_factors(**overrides))
    assert [e.code for e in assessment.errors] == [code]
    assert assessment.results == () and not assessment.ok
    assert len(content.rule(code).fields) >= 2  # the message sits beside every field involved
    with pytest.raises(SheetInputError):
        sheet_for(content, make_factors(**overrides))


# --------------------------------------------------------------------------- 26-29 content


def _copy_of_the_program(tmp_path: Path) -> Path:
    """The dashboard package and its content, to break one file without touching the repo."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "dashboard", root / "dashboard",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "content", root / "content")
    return root


def _run_copy(root: Path, tmp_path: Path, *args: str, stdin: str) -> subprocess.CompletedProcess:
    box = Sandbox(tmp_path / "box").make()
    env = box.env() | {"PYTHONPATH": str(root)}
    return subprocess.run([os.sys.executable, "-m", "dashboard", *args], cwd=box.work, env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


@pytest.mark.hazard("H02")
@pytest.mark.bad_input_case(26)
def test_case_26_missing_content_file_stops_with_a_clear_error_and_no_results(tmp_path):
    root = _copy_of_the_program(tmp_path)
    (root / "content" / "factors.toml").unlink()

    result = _run_copy(root, tmp_path, "assess", "-", stdin=json.dumps(make_factors()))

    assert result.returncode == 1
    assert "factors.toml: file is missing" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.hazard("H16")
@pytest.mark.bad_input_case(27)
def test_case_27_malformed_content_fails_fast_naming_file_and_problem(tmp_path):
    root = _copy_of_the_program(tmp_path)
    option = root / "content" / "options" / "tace.toml"
    option.write_text(option.read_text(encoding="utf-8") + "\n[[rules]\n", encoding="utf-8")

    result = _run_copy(root, tmp_path, "assess", "-", stdin=json.dumps(make_factors()))

    assert result.returncode == 1
    assert "options/tace.toml: not valid TOML" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.hazard("H02")
@pytest.mark.bad_input_case(28)
def test_case_28_labels_na_and_none_load_as_literal_text_and_empty_is_refused(tmp_path):
    root = _copy_of_the_program(tmp_path) / "content"
    option = root / "options" / "pei.toml"
    text = option.read_text(encoding="utf-8")
    name_line = next(line for line in text.splitlines() if line.startswith("name.en"))
    summary_line = next(line for line in text.splitlines() if line.startswith("summary.en"))
    option.write_text(text.replace(name_line, 'name.en = "NA"')
                      .replace(summary_line, 'summary.en = "None"'), encoding="utf-8")

    loaded = load_content(root)
    assert loaded.option("pei").name() == "NA"
    assert loaded.option("pei").text["summary"]["en"] == "None"
    sheet = sheet_for(loaded, selected=("pei",))
    assert "NA" in [c for b in sheet.blocks if hasattr(b, "columns") for c in b.columns]

    option.write_text(text.replace(name_line, 'name.en = ""'), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(root)
    assert "options/pei.toml -> name.en: text is missing or empty" in caught.value.problems


@pytest.mark.hazard("H06")
@pytest.mark.bad_input_case(29)
def test_case_29_content_past_review_prints_a_warning_on_every_page(content):
    due = content.review_dates[1]
    from dashboard.core.sheet import SheetChoices, build_sheet

    assessment = assess(make_factors(), content)
    for today, overdue in [(due, False), (due + timedelta(days=1), True)]:
        sheet = build_sheet(assessment, content, SheetChoices(selected=("resection", "rfa")),
                            today=today)
        pages = pdf_pages(render(sheet, created=CREATED))
        assert len(pages) >= 2
        warning = content.string("sheet.status_overdue").split("(")[0].strip()
        assert all((warning in " ".join(p.split())) is overdue for p in pages)


# --------------------------------------------------------------------------- 30-36 faults


@pytest.mark.hazard("H07")
@pytest.mark.bad_input_case(30)
def test_case_30_sheets_rendered_at_the_same_moment_never_mix_patients(content):
    """Threads share the process (fonts, caches) as Streamlit sessions do."""
    names = [f"Patient{new_marker('')}" for _ in range(8)]
    results: dict[str, bytes] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(len(names))

    def work(name: str) -> None:
        try:
            start.wait()
            results[name] = pdf_for(content, patient_name=name, notes=f"Notes for {name}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    for name, data in results.items():
        text = pdf_text(data)
        assert label_value(text, NAME) == name
        assert [n for n in names if n in text] == [name]
        assert data == pdf_for(content, patient_name=name, notes=f"Notes for {name}")


@pytest.mark.hazard("H08")
@pytest.mark.bad_input_case(34)
def test_case_34_the_sheet_is_deterministic_and_carries_the_on_screen_check_code(content):
    assessment = assess(make_factors(ecog=1), content)
    first = pdf_for(content, make_factors(ecog=1), patient_name="Ann")
    second = pdf_for(content, make_factors(ecog=1), patient_name="Ann")
    assert first == second
    assert assessment.fingerprint and all(assessment.fingerprint in p for p in pdf_pages(first))


@pytest.mark.hazard("H09", "H15")
@pytest.mark.bad_input_case(35)
def test_case_35_a_failure_inside_pdf_generation_writes_no_file(tmp_path, monkeypatch, capsys):
    import dashboard.adapters.pdf as pdf

    def broken(*args, **kwargs):
        raise RuntimeError("simulated renderer failure")

    monkeypatch.setattr(pdf, "render", broken)
    monkeypatch.setattr(pdf, "render_counted", broken)  # what the service calls
    payload = tmp_path / "p.json"
    payload.write_text(_patient_json("Ann Lee"), encoding="utf-8")
    out = tmp_path / "sheet.pdf"
    assert cli.main(["sheet", str(payload), "-o", str(out)]) == 2
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]
    err = capsys.readouterr().err
    assert "code PDF-RuntimeError" in err and "simulated" not in err and "Traceback" not in err


@pytest.mark.hazard("H25")
@pytest.mark.bad_input_case(35)
def test_case_35_an_unwritable_output_path_is_a_clear_error_without_traceback(tmp_path):
    box = Sandbox(tmp_path).make()
    for target in [box.work / "no-such-folder" / "sheet.pdf", box.work]:
        result = box.run_cli("sheet", "-", "-o", str(target), "--select", "resection",
                             stdin=_patient_json("Ann"))
        assert result.returncode == 2, result.stderr
        assert "cannot write" in result.stderr and "Traceback" not in result.stderr
    assert [p.name for p in box.work.iterdir()] == []


@pytest.mark.hazard("H16")
@pytest.mark.bad_input_case(36)
def test_case_36_a_missing_or_corrupt_font_fails_the_start_up_self_test(tmp_path, monkeypatch):
    from dashboard.adapters.pdf import fonts

    monkeypatch.setattr(fonts, "FONT_DIR", tmp_path / "empty")
    with pytest.raises(FileNotFoundError) as missing:
        fonts._Cmaps().of("DejaVuSans.ttf")
    assert "DejaVuSans.ttf" in str(missing.value)

    broken = tmp_path / "broken"
    shutil.copytree(ROOT / "dashboard" / "assets" / "fonts", broken)
    (broken / "NotoSansHebrew-Regular.ttf").write_bytes(b"\x00\x01\x00\x00" + os.urandom(512))
    monkeypatch.setattr(fonts, "FONT_DIR", broken)
    with pytest.raises(Exception):  # noqa: B017 - any error: the self-test must not pass
        fonts._Cmaps().of("NotoSansHebrew-Regular.ttf")


# --------------------------------------------------------------------------- 37-39 surfaces

UPLOAD_WIDGETS = {"file_uploader", "camera_input", "audio_input", "data_editor"}


@pytest.mark.bad_input_case(37)
def test_case_37_only_the_clinic_day_page_accepts_an_upload_one_small_csv_file():
    """The one upload of the dashboard is the clinic day's patient list (hazard H90): CSV only,
    one file, with its own small size limit; no other module has an upload widget."""
    sources = sorted((ROOT / "dashboard").rglob("*.py"))
    assert any(p.name == "document.py" for p in sources)
    uploads = []
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        if path.relative_to(ROOT).as_posix() == "dashboard/screen/clinic_day.py":
            uploads = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                       and getattr(n.func, "attr", "") == "file_uploader"]
            used -= {"file_uploader"}
        assert not used & UPLOAD_WIDGETS, path.name
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and getattr(n.func, "attr", "") == "chat_input"]
        assert all(not any(k.arg == "accept_file" for k in c.keywords) for c in calls)
    upload, = uploads
    keywords = {k.arg: k.value for k in upload.keywords}
    assert ast.literal_eval(keywords["type"]) == ["csv"]
    assert "accept_multiple_files" not in keywords and "max_upload_size" in keywords
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert 0 < config["server"]["maxUploadSize"] <= 5
