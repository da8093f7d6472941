"""A clinic day: a patient list in, a summary, a tumour-board list and every sheet out (#13).

The 50-row list has a few bad rows of every kind the issue names; the rest must each get the
sheet of their own patient, and nothing else.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile

import pytest

from dashboard import service
from dashboard.adapters import clinic_csv
from dashboard.adapters.archive import BOARD, SUMMARY, day_archive
from dashboard.adapters.tumour_board import board_pdf
from dashboard.core import intake
from dashboard.core.clinic_day import file_stem, initials
from dashboard.core.intake import cell_value, read_csv, read_json
from dashboard.service import Choices, ErrorKind, PatientDetails, prepare_clinic_day, prepare_sheet
from tests.conftest import BASELINE, ROOT, make_factors
from tests.safety_support import CREATED, label_value, new_marker, pdf_text

QUICK = Choices(selected=("resection",), leave_out_not_fitting=True)  # small sheets, quick test
EPOCH = str(int(CREATED.timestamp()))

# Bad rows of the 50-row list: spreadsheet row -> (column, cell, the field reported).
BAD = {
    8: ("patient_goal", "wants_everything", "patient_goal"),  # not one of the choices
    14: ("largest_tumour_cm", "2,5", "largest_tumour_cm"),  # a decimal comma
    20: ("liver_tumour_count", "0", "liver_tumour_count"),  # liver_only with no tumour (E3)
    26: ("tumor_size", "3", "tumor_size"),  # a column the list does not have
    32: ("name", "Ann 😀", "patient_name"),  # a name the sheet cannot print
}
NA_ROW = 41  # a patient whose name is the text "NA"


def _cells(factors: dict) -> dict[str, str]:
    """A patient's factors as a spreadsheet would hold them: text, with yes/no words."""
    words = {True: "Yes", False: "no", None: ""}
    return {k: words[v] if isinstance(v, bool) or v is None else str(v)
            for k, v in factors.items()}


def _list_csv(rows: list[dict[str, str]], extra: tuple[str, ...] = ()) -> bytes:
    columns = [*intake.template_columns(_content()), *extra]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _content():
    from dashboard.core.loader import load_content
    return load_content()


@pytest.fixture(scope="module")
def marker():
    return new_marker("Pat")


def _fifty(marker: str) -> list[dict[str, str]]:
    rows = []
    for row in range(2, 52):  # spreadsheet rows: the column names are row 1
        cells = _cells(make_factors(ecog=row % 3, months_since_last_curative_treatment=row))
        cells["name"] = f"{marker}{row:02d} Lee"
        if row % 2:
            cells["id"] = f"V{row:04d}"
        if row in BAD:
            column, value, _ = BAD[row]
            cells[column] = value
        if row == NA_ROW:
            cells["name"] = "NA"
        rows.append(cells)
    return rows


@pytest.fixture(scope="module")
def day(marker):
    content = _content()
    patients = read_csv(_list_csv(_fifty(marker), extra=("tumor_size",)), content)
    return content, patients, prepare_clinic_day(patients, QUICK, content, created=CREATED)


# --------------------------------------------------------------------------- one intake


@pytest.mark.parametrize("kind_field, text, expected", [
    ("cirrhosis", "YES", True), ("cirrhosis", "no", False), ("cirrhosis", " True ", True),
    ("cirrhosis", "False", False), ("cirrhosis", "", None), ("cirrhosis", "maybe", "maybe"),
    ("largest_tumour_cm", "2.5", 2.5), ("largest_tumour_cm", "2,5", "2,5"),
    ("largest_tumour_cm", "1e3", "1e3"), ("largest_tumour_cm", "nan", "nan"),
    ("largest_tumour_cm", "   ", None), ("liver_tumour_count", "Diffuse", "diffuse"),
    ("patient_goal", "unsure", "unsure"), ("remnant_adequate", "yes", "yes"),
])
@pytest.mark.hazard("H92")
def test_a_cell_is_read_with_the_screens_rules(content, kind_field, text, expected):
    assert cell_value(content.factor(kind_field), text) == expected


@pytest.mark.hazard("H92")
def test_text_columns_are_never_interpreted(content):
    for word in ("NA", "None", "null", "N/A", "nan", "TRUE", "=1+1"):
        cells = {**_cells(BASELINE), "name": word, "notes": word, "clinician": word}
        row, = read_csv(_list_csv([cells]), content).rows
        assert row.details == PatientDetails(name=word, clinician=word, notes=word)


def test_the_template_is_every_column_and_its_example_row_makes_a_sheet(content):
    template = clinic_csv.template_csv(content)
    header = next(csv.reader(io.StringIO(template.decode("utf-8-sig"))))
    assert set(header) == {f.id for f in content.factors} | set(intake.TEXT_COLUMNS)
    patients = read_csv(template, content)
    assert patients.ok and not patients.unknown_columns and not patients.missing_columns
    outcome = prepare_clinic_day(patients, QUICK, content, created=CREATED)
    assert [p.row for p in outcome.made] == [2] and not outcome.failed


def test_the_same_list_as_json_gives_the_same_sheets(content):
    people = [{**make_factors(ecog=1), "name": "Ann Lee", "id": "A1"},
              {**make_factors(cirrhosis=None), "patient": {"name": "Bo Chan"}}]
    from_json = prepare_clinic_day(read_json(json.dumps(people), content), QUICK, content,
                                   created=CREATED)
    as_csv = [{**_cells(make_factors(ecog=1)), "name": "Ann Lee", "id": "A1"},
              {**_cells(make_factors(cirrhosis=None)), "name": "Bo Chan"}]
    from_csv = prepare_clinic_day(read_csv(_list_csv(as_csv), content), QUICK, content,
                                  created=CREATED)
    assert [p.sheet.pdf for p in from_json.patients] == [p.sheet.pdf for p in from_csv.patients]
    assert [p.file_name for p in from_json.patients] == ["001-A1.pdf", "002-BC.pdf"]


def test_a_missing_column_counts_as_not_yet_known(content):
    cells = {k: v for k, v in _cells(BASELINE).items() if k != "ecog"}
    patients = read_csv(_list_csv([cells]).replace(b",ecog,", b",,"), content)
    assert patients.missing_columns == ("ecog",)
    assert patients.rows[0].factors["ecog"] is None


@pytest.mark.parametrize("data, words", [
    (b"", "empty"), (b"name;ecog\nAnn;1\n", "semicolons"),
    ("name,ecog\nAnn,1\n".encode("utf-16"), "UTF-8"),
    (b"name,ecog,ecog\nAnn,1,2\n", "twice"), (b"a,b\n1,2\n", "column names"),
    (b'name,ecog\n"Ann,1\n', "readable"), (b"name,ecog\nA\x00nn,1\n", "UTF-8"),
])
@pytest.mark.hazard("H90")
def test_a_list_that_cannot_be_read_says_why(content, data, words):
    patients = read_csv(data, content)
    assert not patients.ok and not patients.rows and words in " ".join(patients.problems)


@pytest.mark.hazard("H90")
def test_the_upload_limits_are_enforced(content):
    big = _list_csv([_cells(BASELINE)]) + b"," * (intake.MAX_BYTES + 1)
    assert "larger than" in read_csv(big, content).problems[0]
    many = _list_csv([_cells(BASELINE)] * (intake.MAX_ROWS + 1))
    assert len(many) < intake.MAX_BYTES
    assert f"at most {intake.MAX_ROWS}" in read_csv(many, content).problems[0]
    long_notes = {**_cells(BASELINE), "notes": "x" * (intake.MAX_CELL + 1)}
    row, = read_csv(_list_csv([long_notes]), content).rows
    assert [(i.code, i.field) for i in row.issues] == [("TOO_LONG", "notes")]
    assert "larger than" in read_json(b"[" + b" " * intake.MAX_BYTES + b"]", content).problems[0]


# --------------------------------------------------------------------------- the 50-row day


@pytest.mark.hazard("H92")
def test_exactly_the_valid_rows_get_sheets_and_the_bad_rows_are_reported(day):
    _content, patients, outcome = day
    assert len(patients.rows) == 50 and patients.unknown_columns == ("tumor_size",)
    assert {p.row for p in outcome.failed} == set(BAD)
    assert [p.row for p in outcome.made] == [r for r in range(2, 52) if r not in BAD]
    for patient in outcome.failed:
        _column, _, field = BAD[patient.row]
        assert field in {e.field for e in patient.errors}, (patient.row, patient.errors)
        assert patient.sheet is None or patient.sheet.pdf is None
    unprintable, = list(outcome.patients[32 - 2].errors)
    assert unprintable.kind is ErrorKind.UNPRINTABLE and "😀" not in unprintable.quiet_message


@pytest.mark.hazard("H91")
def test_each_sheet_has_its_own_patient_and_nobody_elses(day, marker):
    _, _, outcome = day
    for patient in outcome.made:
        text = pdf_text(patient.sheet.pdf)
        others = [r for r in range(2, 52) if r != patient.row and f"{marker}{r:02d}" in text]
        assert others == [], patient.row
        if patient.row != NA_ROW:
            assert label_value(text, "Name") == f"{marker}{patient.row:02d} Lee"
        assert patient.sheet.check_code in text


@pytest.mark.hazard("H92")
def test_na_as_a_name_stays_na(day):
    _, _, outcome = day
    na, = [p for p in outcome.made if p.row == NA_ROW]
    assert label_value(pdf_text(na.sheet.pdf), "Name") == "NA"
    assert na.file_name == f"{NA_ROW:03d}-V{NA_ROW:04d}.pdf"


@pytest.mark.hazard("H95")
def test_a_sheet_in_a_day_is_byte_for_byte_the_single_sheet(day, marker):
    content, patients, outcome = day
    for row in (patients.rows[0], patients.rows[NA_ROW - 2]):
        single = prepare_sheet(row.factors, QUICK, content, patient=row.details,
                               created=CREATED)
        assert outcome.patients[row.row - 2].sheet.pdf == single.pdf


@pytest.mark.hazard("H91", "H94")
def test_summary_and_zip_hold_exactly_the_valid_rows_named_by_row_and_id_or_initials(day,
                                                                                     marker):
    content, _, outcome = day
    archive = zipfile.ZipFile(io.BytesIO(day_archive(outcome, content,
                                                     board_pdf(outcome, content))))
    names = archive.namelist()
    valid = [r for r in range(2, 52) if r not in BAD]
    expected = [f"{r:03d}-V{r:04d}.pdf" if r % 2 else f"{r:03d}-{marker[0]}L.pdf"
                for r in valid]
    assert names == [*expected, SUMMARY, BOARD]
    assert not any(marker in n or "Lee" in n for n in names)
    summary = list(csv.reader(io.StringIO(archive.read(SUMMARY).decode("utf-8-sig"))))
    assert [int(r[0]) for r in summary[1:]] == valid
    assert all(marker not in cell for r in summary for cell in r)
    board = pdf_text(archive.read(BOARD))
    assert marker not in board and "V0003" in board
    assert content.string("sheet.status_draft") in " ".join(board.split())  # the draft status


def test_the_tumour_board_list_has_one_line_per_patient_with_each_verdict(day):
    content, _, outcome = day
    from pypdf import PdfReader

    data = board_pdf(outcome, content)
    assert len(PdfReader(io.BytesIO(data)).pages) <= 2
    text = pdf_text(data)
    for patient in outcome.made:
        assert patient.summary.check_code in text
    assert ", ".join(str(r) for r in sorted(BAD)) in text  # the rows with no sheet


@pytest.mark.hazard("H93")
def test_formula_looking_cells_are_escaped_in_the_summary(content):
    rows = [{**_cells(BASELINE), "id": ident} for ident in ("=1+1", "+A1", "-2", "@SUM(A1)")]
    outcome = prepare_clinic_day(read_csv(_list_csv(rows), content), QUICK, content,
                                 created=CREATED)
    summary = list(csv.reader(io.StringIO(
        clinic_csv.summary_csv(outcome, content).decode("utf-8-sig"))))
    assert [r[1] for r in summary[1:]] == ["'=1+1", "'+A1", "'-2", "'@SUM(A1)"]
    assert clinic_csv.safe_cell("\tx") == "'\tx" and clinic_csv.safe_cell("a=b") == "a=b"
    assert [p.file_name for p in outcome.made] == ["002-1_1.pdf", "003-A1.pdf", "004-2.pdf",
                                                   "005-SUM_A1.pdf"]


@pytest.mark.hazard("H94")
def test_file_names_never_carry_the_full_name():
    assert file_stem(7, "", "Zoë O’Brien-Nguyễn") == "007-ZO"
    assert file_stem(7, "", "张伟") == "007"
    assert file_stem(12, "../../etc/passwd", "Ann") == "012-etc_passwd"
    assert initials("anne marie de la cruz") == "AMD"


# --------------------------------------------------------------------------- the command line


def _batch(tmp_path, *args, stdin=None):
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "dashboard", "batch", *args], cwd=tmp_path,
                          input=stdin, capture_output=True, env=env, timeout=300,
                          text=True)


@pytest.mark.hazard("H92", "H95")
def test_batch_reports_bad_rows_makes_good_ones_and_matches_the_sheet_command(tmp_path, marker):
    rows = [{**_cells(make_factors()), "name": f"{marker}A", "id": "X1"},
            {**_cells(make_factors()), "name": f"{marker}B", "largest_tumour_cm": "2,5"},
            {**_cells(make_factors(ecog=2)), "name": f"Mia {marker}C"}]
    (tmp_path / "day.csv").write_bytes(_list_csv(rows))
    out = _batch(tmp_path, "day.csv", "-o", "day.zip", "--select", "resection",
                 "--leave-out-not-fitting", "--workers", "1")
    assert out.returncode == 2, out.stderr
    assert "row 3: largest_tumour_cm:" in out.stderr and "comma" in out.stderr
    assert marker not in out.stdout + out.stderr and "Traceback" not in out.stderr
    archive = zipfile.ZipFile(tmp_path / "day.zip")
    assert archive.namelist() == ["002-X1.pdf", "004-MP.pdf", SUMMARY, BOARD]

    single = {**make_factors(ecog=2), "patient": {"name": f"Mia {marker}C"}}
    (tmp_path / "c.json").write_text(json.dumps(single), encoding="utf-8")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    subprocess.run([sys.executable, "-m", "dashboard", "sheet", "c.json", "-o", "c.pdf",
                    "--select", "resection", "--leave-out-not-fitting"], cwd=tmp_path,
                   env={**env, "PYTHONPATH": str(ROOT)}, check=True, capture_output=True)
    assert archive.read("004-MP.pdf") == (tmp_path / "c.pdf").read_bytes()


@pytest.mark.hazard("H91")
def test_a_rerun_into_the_same_place_never_mixes_two_days(tmp_path, marker):
    monday = [{**_cells(make_factors()), "name": f"{marker}Mon{i}"} for i in range(3)]
    tuesday = [{**_cells(make_factors()), "name": f"{marker}Tue{i}"} for i in range(2)]
    (tmp_path / "mon.csv").write_bytes(_list_csv(monday))
    (tmp_path / "tue.csv").write_bytes(_list_csv(tuesday))
    args = ("-o", "out/day.zip", "--select", "resection", "--leave-out-not-fitting")
    (tmp_path / "out").mkdir()
    assert _batch(tmp_path, "mon.csv", *args).returncode == 0
    assert _batch(tmp_path, "tue.csv", *args).returncode == 0
    assert os.listdir(tmp_path / "out") == ["day.zip"]  # no temporary file left
    archive = zipfile.ZipFile(tmp_path / "out" / "day.zip")
    text = " ".join(pdf_text(archive.read(n)) for n in archive.namelist() if n[0].isdigit())
    assert "Tue0" in text and "Tue1" in text and "Mon" not in text
    (tmp_path / "bad.csv").write_bytes(b"not,a,list\n")
    before = (tmp_path / "out" / "day.zip").read_bytes()
    assert _batch(tmp_path, "bad.csv", *args).returncode == 2
    assert (tmp_path / "out" / "day.zip").read_bytes() == before
    assert os.listdir(tmp_path / "out") == ["day.zip"]


def test_batch_refuses_a_list_over_the_limit_and_an_unknown_option(tmp_path):
    (tmp_path / "big.csv").write_bytes(b"name,ecog\n" + b"x" * intake.MAX_BYTES)
    out = _batch(tmp_path, "big.csv", "-o", "x.zip")
    assert out.returncode == 2 and "larger than" in out.stderr
    (tmp_path / "one.csv").write_bytes(_list_csv([_cells(BASELINE)]))
    out = _batch(tmp_path, "one.csv", "-o", "x.zip", "--select", "resection,nope")
    assert out.returncode == 2 and "nope" in out.stderr
    assert sorted(os.listdir(tmp_path)) == ["big.csv", "one.csv"]



@pytest.mark.hazard("H91")
def test_sheets_drawn_by_worker_processes_are_the_same_and_in_row_order(content, marker):
    rows = [{**_cells(make_factors(ecog=i % 3)), "name": f"{marker}W{i} Lee"} for i in range(8)]
    patients = read_csv(_list_csv(rows), content)
    assert len(patients.rows) >= service.PARALLEL_FROM
    here = prepare_clinic_day(patients, QUICK, content, created=CREATED)
    seen = []
    workers = prepare_clinic_day(patients, QUICK, content, created=CREATED, workers=2,
                                 on_progress=lambda done, total: seen.append((done, total)))
    assert [p.sheet.pdf for p in workers.patients] == [p.sheet.pdf for p in here.patients]
    for i, patient in enumerate(workers.patients):
        assert f"{marker}W{i} Lee" in pdf_text(patient.sheet.pdf)
    assert seen[-1] == (8, 8) and [d for d, _ in seen] == sorted(d for d, _ in seen)
