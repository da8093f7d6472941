"""The "Prepare a clinic day" page under AppTest: upload (CSV only, in memory, limited), summary,
problems with row, field and message, and the ZIP download (hazard H90)."""

from __future__ import annotations

import csv
import io
import os

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.adapters import clinic_csv
from dashboard.core import intake
from dashboard.screen import clinic_day
from tests.conftest import BASELINE, ROOT
from tests.safety_support import new_marker

APP = str(ROOT / "dashboard" / "screen" / "app.py")


def _cells(**changes) -> dict[str, str]:
    words = {True: "yes", False: "no", None: ""}
    cells = {k: words[v] if isinstance(v, bool) or v is None else str(v)
             for k, v in BASELINE.items()}
    return {**cells, **changes}


def _list(content, rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, intake.template_columns(content), restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    return at.switch_page("clinic_day.py").run()


def _upload(at: AppTest, data: bytes, name: str = "day.csv") -> AppTest:
    return at.file_uploader(key="day_upload").upload(name, data, "text/csv").run()


def _all_text(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("markdown", "caption", "error", "warning", "info",
                                       "success", "title") for e in at.get(kind)]
    return "\n".join(parts).replace("\\", "")


@pytest.mark.hazard("H90")
def test_the_page_is_registered_and_states_the_upload_limit(content):
    at = _page()
    assert not at.exception
    assert [t.value for t in at.title] == ["Prepare a clinic day"]
    uploader = at.file_uploader(key="day_upload")
    assert uploader.allowed_type == [".csv"] or uploader.allowed_type == ["csv"]
    assert f"{intake.MAX_BYTES // 1000} kB" in _all_text(at)
    assert f"{intake.MAX_ROWS} patients" in _all_text(at)
    assert "never saved" in _all_text(at)
    labels = [d.label for d in at.get("download_button")]
    assert labels == ["Download the template (CSV)"]  # no ZIP before a list is prepared


@pytest.mark.hazard("H92")
def test_a_list_gives_the_summary_the_problems_and_the_zip(content):
    marker = new_marker("Day")
    rows = [_cells(name=f"{marker}A", id="V1"), _cells(name=f"{marker}B", ecog="2,5"),
            _cells(name="NA", patient_goal="wants_everything"), _cells(name=f"{marker}C")]
    at = _upload(_page(), _list(content, rows))
    assert not at.exception and not at.get("download_button")[1:]
    at.button(key="day_prepare").click().run()
    assert not at.exception
    summary = at.dataframe[0].value
    assert list(summary["Row"]) == ["2", "5"] and list(summary["Patient"]) == ["V1", "D"]
    resection = "Resection"  # the short heading of content/clinic_day.toml
    assert all(cell.split(" ", 1)[1] in {"May be discussed", "Consider with caution",
                                         "Not applicable now"} for cell in summary[resection])
    assert all(cell[0] in "✓⚠✗" for cell in summary[resection])
    problems = at.table[0].value.map(lambda cell: str(cell).replace("\\", ""))
    assert [tuple(r) for r in problems[["Row", "Field"]].itertuples(index=False)] == [
        ("3", "ecog"), ("4", "patient_goal")]
    assert marker not in " ".join(problems["Problem"])
    assert [d.label for d in at.get("download_button")] == [
        "Download the template (CSV)", "Download all sheets (ZIP)"]
    prepared = at.session_state[clinic_day.PREPARED]
    import zipfile
    names = zipfile.ZipFile(io.BytesIO(prepared["zip"])).namelist()
    assert names[:2] == ["002-V1.pdf", "005-D.pdf"]
    assert "summary.csv" in names and not any(marker in n for n in names)


@pytest.mark.hazard("H95")
def test_changing_a_choice_after_preparing_withdraws_the_zip(content):
    at = _upload(_page(), _list(content, [_cells(name="Ann Lee")]))
    at.button(key="day_prepare").click().run()
    assert clinic_day.PREPARED in at.session_state
    at.checkbox(key="day_large_print").check().run()
    assert clinic_day.PREPARED not in at.session_state
    assert [d.label for d in at.get("download_button")] == ["Download the template (CSV)"]


@pytest.mark.parametrize("data, words", [
    (b"\x89PNG\r\n\x1a\n\x00\x00", "UTF-8"),
    (b"name;ecog\nAnn;1\n", "semicolons"),
])
@pytest.mark.hazard("H90")
def test_a_file_that_is_not_a_list_is_refused_with_a_reason(content, data, words):
    at = _upload(_page(), data)
    assert not at.exception
    assert any(words in e.value.replace("\\", "") for e in at.error)
    assert not [b for b in at.button if b.key == "day_prepare"]
    assert len(at.get("download_button")) == 1


@pytest.mark.hazard("H90")
@pytest.mark.bad_input_case(37)
def test_the_upload_limit_is_enforced_on_the_bytes_as_well(content):
    big = _list(content, [_cells()]) + b"," * intake.MAX_BYTES
    at = _upload(_page(), big)
    assert any("larger than" in e.value for e in at.error)
    assert clinic_day.UPLOAD_MB * 1_000_000 >= intake.MAX_BYTES  # the widget never allows less


@pytest.mark.hazard("H90")
def test_the_upload_is_never_written_to_disk(content, tmp_path, monkeypatch):
    """The upload, the sheets and the ZIP stay in memory: no file appears anywhere we can see
    (the working folder, the temp folder, the home folder) while a day is prepared."""
    marker = new_marker("Disk")
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    watched = [tmp_path / "tmp", ROOT]
    before = {p: set(os.listdir(p)) for p in watched}
    at = _upload(_page(), _list(content, [_cells(name=f"{marker} Lee")]))
    at.button(key="day_prepare").click().run()
    assert not at.exception and clinic_day.PREPARED in at.session_state
    assert {p: set(os.listdir(p)) for p in watched} == before
    assert not [p for p in ROOT.rglob("*") if marker in p.name]


def test_the_template_offered_on_screen_is_the_documented_template(content):
    at = _page()
    button = at.get("download_button")[0]
    assert button.proto.label == "Download the template (CSV)"
    assert clinic_csv.template_csv(content).startswith(b"\xef\xbb\xbfid,name,")
