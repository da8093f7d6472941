"""`python -m dashboard assess`: object, array, standard input, errors, malformed JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, make_factors

OPTION_IDS = ["resection", "transplant", "rfa", "mwa", "pei", "tace", "tare", "sbrt",
              "systemic", "supportive_care", "clinical_trial"]


def _cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_assess_one_object_from_a_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(make_factors(recurrence_site="liver_and_extrahepatic",
                                            months_since_last_curative_treatment=10)))

    out = _cli("assess", str(path))

    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert list(record["verdicts"]) == OPTION_IDS
    assert record["verdicts"]["resection"] == "not_applicable"
    assert {"rule": "RES-2"}.items() <= record["reasons"]["resection"][0].items()
    assert record["reasons"]["resection"][0]["sources"] == ["S1"]
    assert record["errors"] == [] and record["content_version"]
    assert record["labels"][0].lower().startswith("early recurrence")


def test_assess_an_array_from_standard_input_keeps_order_and_flags_errors():
    items = [make_factors(), make_factors(ecog=7), make_factors(portal_vein_invasion="main")]

    out = _cli("assess", "-", stdin=json.dumps(items))

    assert out.returncode == 2
    records = json.loads(out.stdout)
    assert len(records) == 3
    assert records[0]["errors"] == [] and records[2]["verdicts"]["tace"] == "not_applicable"
    assert records[1]["verdicts"] == {}
    assert records[1]["errors"] == [{"code": "E1", "field": "ecog",
                                     "message": records[1]["errors"][0]["message"]}]


def test_assess_reports_warnings_and_still_classifies():
    out = _cli("assess", "-", stdin=json.dumps(make_factors(child_pugh_score=7)))

    record = json.loads(out.stdout)
    assert out.returncode == 0
    assert [w["code"] for w in record["warnings"]] == ["W1"]
    assert record["verdicts"]


def test_unknown_key_gives_exit_2_and_names_the_key():
    out = _cli("assess", "-", stdin=json.dumps(make_factors(colour="blue")))

    assert out.returncode == 2
    assert json.loads(out.stdout)["errors"][0]["field"] == "colour"


def test_malformed_json_gives_one_line_and_exit_2_without_traceback():
    out = _cli("assess", "-", stdin='{"ecog": 1,')

    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_nan_in_json_is_refused():
    out = _cli("assess", "-", stdin='{"ecog": NaN}')

    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_missing_file_is_a_clear_error():
    out = _cli("assess", "/nonexistent/p.json")

    assert out.returncode == 2 and "cannot read" in out.stderr and "Traceback" not in out.stderr


def test_sheet_writes_a_pdf_with_the_name_and_a_generic_metadata_title(tmp_path):
    from pypdf import PdfReader

    data = make_factors()
    data["patient"] = {"name": "Zoë O’Brien-Nguyễn", "notes": "See you **Thursday** -- 10:00"}
    path, out_pdf = tmp_path / "p.json", tmp_path / "out.pdf"
    path.write_text(json.dumps(data), encoding="utf-8")

    out = _cli("sheet", str(path), "-o", str(out_pdf), "--select", "rfa,tace", "--paper", "letter")

    assert out.returncode == 0, out.stderr
    reader = PdfReader(str(out_pdf))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Zoë O’Brien-Nguyễn" in text and "**Thursday** -- 10:00" in text
    assert "Zoë" not in (reader.metadata.title or "") and "Zoë" not in out.stdout


def test_sheet_for_a_clinic_day_writes_one_file_per_patient_named_by_position(tmp_path):
    from pypdf import PdfReader

    day = [make_factors(), make_factors(ecog=9), make_factors(portal_vein_invasion="main")]
    for number, item in enumerate(day, start=1):
        item["patient"] = {"name": f"Patient Canary{number}"}
    path = tmp_path / "day.json"
    path.write_text(json.dumps(day), encoding="utf-8")

    out = _cli("sheet", str(path), "-o", str(tmp_path / "day"))

    assert out.returncode == 2  # the second patient has an input error
    assert sorted(p.name for p in (tmp_path / "day").iterdir()) == ["sheet-001.pdf",
                                                                    "sheet-003.pdf"]
    third_pdf = PdfReader(str(tmp_path / "day" / "sheet-003.pdf"))
    third = " ".join(p.extract_text() for p in third_pdf.pages)
    assert "Canary3" in third and "Canary1" not in third
    assert "2: not written: E1" in out.stderr
    assert "Canary" not in out.stdout + out.stderr


def test_sheet_with_input_errors_exits_2_without_a_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(make_factors(ecog=9)))

    out = _cli("sheet", str(path), "-o", str(tmp_path / "x.pdf"))

    assert out.returncode == 2 and not (tmp_path / "x.pdf").exists()
    assert "E1" in out.stderr and "Traceback" not in out.stderr
