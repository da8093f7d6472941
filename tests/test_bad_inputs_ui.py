"""The forty bad-input and fault cases on the consultation screen, under Streamlit's AppTest.

Companion of tests/test_bad_inputs.py (core, command line, PDF) and
tests/test_bad_inputs_browser.py (a real Chromium). Each test is named after its case number;
docs/safety/hazard-log.md maps every case to its tests. Expected everywhere: a clear message,
no exception on screen, the rest of the form kept, nothing of the patient's text in any element
other than the widget it was typed into (or the "will print as" echo).
"""

from __future__ import annotations

import dataclasses
import io
import logging
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
import streamlit as st
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

import dashboard.core.loader as loader
from dashboard import selftest
from dashboard.core.engine import assess
from dashboard.screen import form
from tests.conftest import BASELINE, ROOT, make_factors
from tests.safety_support import label_value, new_marker
from tests.test_app import (
    fill,
    open_expanders,
    open_sheet,
    prepare,
    results_shown,
    start,
    submit,
)

INJECTION = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
             "**Bob** :smile: email:a@b.ca", "$x$ costs $5", "[x](javascript:alert(1))",
             "![](http://example.invalid/p.png)"]


@pytest.fixture(autouse=True)
def fresh_process_caches():
    """Start-up self-test and content are cached per process: start and leave them clean."""
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def app() -> AppTest:
    return start()


def _pdf_text(at: AppTest) -> str:
    data = at.session_state["sheet_prepared"]["data"]
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _all_text(at: AppTest) -> str:
    """Every string the screen shows outside input widgets (labels and values of elements),
    except the fields' help (content, the same for every patient) and the line that says which
    name the sheet prints (st.text, shown literally: it echoes the name on purpose). Every
    expander is opened first (their content is drawn only while open), so nothing shown on a
    click is missed."""
    open_expanders(at, loader.load_content())
    kinds = ("markdown", "error", "warning", "info", "success", "text", "code", "caption",
             "title", "header", "subheader", "exception")
    try:  # the form's help box (content: the same for every patient)
        help_text = {m.value for m in at.get_by_key(form.HELP).markdown}
    except KeyError:
        help_text = set()
    try:  # the line saying which name the sheet prints (H120): plain text, meant to echo it
        name_line = {id(t) for t in at.get_by_key("sheet_name_line").text}
    except KeyError:
        name_line = set()
    out = [str(e.value) for kind in kinds for e in getattr(at, kind)
           if not (kind == "markdown" and e.value in help_text) and id(e) not in name_line]
    out += [e.label for e in at.expander] + [str(t.value) for t in at.table]
    return "\n".join(out)


def _clinical_screen_shown(at: AppTest) -> bool:
    return bool(at.get("text_input") or at.get("selectbox") or at.get("radio")) or any(
        "Patient factors" in h.value for h in at.header)


def _with_content(monkeypatch, root: Path) -> None:
    """The app loads content from `root` (a changed copy) instead of content/."""
    real = loader.load_content
    monkeypatch.setattr(loader, "load_content", lambda *args: real(root))


def _content_copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    return root


# --------------------------------------------------------------------------- 1-3, 12-16 names


@pytest.mark.bad_input_case(1)
def test_case_01_an_empty_name_gives_a_sheet_with_a_blank_name_line(app, content):
    submit(fill(app, content, BASELINE))
    prepare(app, name="")

    assert not app.exception and app.get("download_button")
    assert label_value(_pdf_text(app), "Name") == ""
    assert app.session_state["sheet_prepared"]["fingerprint"] == assess(BASELINE,
                                                                          content).fingerprint


@pytest.mark.bad_input_case(2)
def test_case_02_a_whitespace_only_name_prints_as_empty(app, content):
    submit(fill(app, content, BASELINE))
    prepare(app, name="  \t  \u3000 ")

    assert not app.exception
    assert label_value(_pdf_text(app), "Name") == ""


@pytest.mark.hazard("H10")
@pytest.mark.bad_input_case(3)
def test_case_03_a_ten_thousand_character_name_never_reaches_the_sheet_whole(app, content):
    """Streamlit cuts a widget value at max_chars on the server too (a paste or an injected
    session value alike), so at most 100 characters reach the sheet builder, which re-checks
    the limit after normalisation (tests/test_bad_inputs.py, case 3)."""
    submit(fill(app, content, BASELINE))
    prepare(app, name="Ann")
    assert app.get("download_button")

    app.text_input(key="s_name").set_value("Zoë" * 3400).run()
    assert len(app.text_input(key="s_name").value) == 100
    assert not app.get("download_button")  # the sheet prepared for "Ann" was withdrawn
    app.session_state["s_name"] = "Q" * 10_000  # direct injection
    app.run()
    assert len(app.text_input(key="s_name").value) == 100

    app.button(key="prepare").click().run()
    assert not app.exception
    printed = "".join(_pdf_text(app).split())
    assert "Q" * 100 in printed and "Q" * 101 not in printed
    assert app.text_input(key="f_largest_tumour_cm").value == "2.5"  # the form is kept
    assert "QQQQ" not in _all_text(app)


@pytest.mark.hazard("H11")
@pytest.mark.bad_input_case(12)
def test_case_12_the_screen_shows_what_the_sheet_will_print(app, content):
    submit(fill(app, content, BASELINE))
    prepare(app, name="\ufeffAnn\u200b Lee\u202e")

    assert "Patient name will print as: Ann Lee" in [t.value for t in app.text]
    assert label_value(_pdf_text(app), "Name") == "Ann Lee"


@pytest.mark.hazard("H12")
@pytest.mark.bad_input_case(13, 14)
@pytest.mark.parametrize("text", INJECTION)
def test_case_13_14_15_16_user_text_is_never_rendered_as_markup_on_screen(app, content, text):
    open_sheet(submit(fill(app, content, BASELINE)))
    app.text_input(key="s_clinician").set_value(text)
    app.text_input(key="s_phone").set_value(text)
    app.text_area(key="s_notes").set_value(f"{text}\n{text}")
    prepare(app, name=text)

    assert not app.exception and app.get("download_button")
    assert text not in _all_text(app)  # only inside the input widgets themselves
    assert app.text_input(key="s_name").value == text
    assert label_value(_pdf_text(app), "Name") == text


# --------------------------------------------------------------------------- 19-25 values


@pytest.mark.parametrize("field,typed,code", [("inr", "99.25", "RANGE"),
                                             ("bilirubin_umol_l", "-1.37", "E5"),
                                             ("albumin_g_l", "0.004", "RANGE"),
                                             ("child_pugh_score", "17", "E2")])
@pytest.mark.bad_input_case(19)
def test_case_19_an_absurd_value_is_an_error_beside_its_field_without_the_value(app, content,
                                                                               field, typed,
                                                                               code):
    fill(app, content, BASELINE).text_input(key=f"f_{field}").set_value(typed)
    submit(app)

    assert not app.exception and not results_shown(app)
    beside = " ".join(e.value for e in app.get_by_key(f"msg_{field}").error)
    assert beside and typed not in beside
    assert app.text_input(key=f"f_{field}").value == typed  # kept for correction
    assert typed not in _all_text(app)


@pytest.mark.hazard("H21")
@pytest.mark.bad_input_case(20)
@pytest.mark.parametrize("typed", ["nan", "inf", "-inf", "1e309", "1e3", "NaN", "0x1A", "½"])
def test_case_20_nan_infinity_exponents_and_odd_numbers_are_refused(app, content, typed):
    fill(app, content, BASELINE).text_input(key="f_bilirubin_umol_l").set_value(typed)
    submit(app)

    assert not app.exception and not results_shown(app)
    beside = " ".join(e.value for e in app.get_by_key("msg_bilirubin_umol_l").error)
    assert "number" in beside


@pytest.mark.hazard("H03")
@pytest.mark.bad_input_case(20)
def test_case_20_an_empty_number_is_not_yet_known_never_zero(app, content):
    submit(fill(app, content, make_factors(bilirubin_umol_l=None)))

    assert results_shown(app)
    shown = _all_text(app).replace("\\", "")
    assert "Not yet known" in shown and "Bilirubin" in shown


@pytest.mark.parametrize("field,typed", [("largest_tumour_cm", "2,5"), ("inr", "1,25"),
                                         ("bilirubin_umol_l", "1,5"), ("afp_ng_ml", "1,500")])
@pytest.mark.hazard("H21")
@pytest.mark.bad_input_case(21)
def test_case_21_a_decimal_comma_is_refused_and_never_read_as_a_bigger_number(app, content,
                                                                             field, typed):
    fill(app, content, BASELINE).text_input(key=f"f_{field}").set_value(typed)
    submit(app)

    assert not app.exception and not results_shown(app)
    beside = " ".join(e.value for e in app.get_by_key(f"msg_{field}").error)
    assert "decimal point" in beside
    assert app.text_input(key=f"f_{field}").value == typed


@pytest.mark.hazard("H04", "H62")
@pytest.mark.bad_input_case(22)
def test_case_22_bilirubin_in_the_wrong_unit_holds_back_results_until_confirmed(app, content):
    factors = make_factors(bilirubin_umol_l=None, bilirubin_mg_dl=40)
    submit(fill(app, content, factors))

    assert not app.exception and not results_shown(app)
    said = "40 mg/dL looks like µmol/L: 40 µmol/L is 2.3 mg/dL"  # what was typed, what it may mean
    assert any(said in w.value.replace("\\", "") for w in app.warning)
    confirm = next(c for c in app.checkbox if c.key and c.key.startswith("confirm_W6"))
    confirm.check().run()
    assert results_shown(app)

    app.radio(key="u_bilirubin_umol_l").set_value("µmol/L")  # the unit was the mistake
    submit(app)
    assert results_shown(app) and not any("looks like" in w.value for w in app.warning)


@pytest.mark.hazard("H03")
@pytest.mark.bad_input_case(24)
def test_case_24_an_unknown_factor_names_itself_on_the_cards_that_depend_on_it(app, content):
    expected = assess(make_factors(ecog=None), content)
    open_expanders(submit(fill(app, content, make_factors(ecog=None))), content)

    assert results_shown(app)
    dependent = [r.option_id for r in expected.results
                 if any("ecog" in f.unknown for f in r.findings)]
    assert dependent
    for option_id in dependent:
        card = app.get_by_key(f"card_{option_id}")
        why = " ".join(m.value for e in card.expander for m in e.markdown).replace("\\", "")
        assert "Not yet known: ECOG performance status" in why, option_id


@pytest.mark.hazard("H15")
@pytest.mark.bad_input_case(25)
def test_case_25_contradictory_inputs_withhold_results_and_keep_every_value(app, content):
    submit(fill(app, content, make_factors(painful_bone_metastases=True)))

    assert not results_shown(app) and not app.get("download_button")
    assert any(content.rule("E7").clinician["en"][:40] in e.value.replace("\\", "")
               for e in app.error)
    assert app.get_by_key("f_recurrence_site").value == "liver_only"
    assert app.checkbox(key="f_painful_bone_metastases").value is True


# --------------------------------------------------------------------------- 26-29 content


@pytest.mark.hazard("H02")
@pytest.mark.bad_input_case(26)
def test_case_26_missing_content_shows_an_error_and_no_clinical_screen(monkeypatch, tmp_path):
    root = _content_copy(tmp_path)
    (root / "factors.toml").unlink()
    _with_content(monkeypatch, root)

    at = start()

    assert not at.exception
    assert any("content failed its checks" in e.value for e in at.error)
    assert any("factors.toml: file is missing" in c.value for c in at.code)
    assert not _clinical_screen_shown(at)


@pytest.mark.hazard("H16")
@pytest.mark.bad_input_case(27)
def test_case_27_malformed_content_names_the_file_and_shows_no_clinical_screen(monkeypatch,
                                                                               tmp_path):
    root = _content_copy(tmp_path)
    with (root / "options" / "tace.toml").open("a", encoding="utf-8") as f:
        f.write("\n[[rules]\n")
    _with_content(monkeypatch, root)

    at = start()

    assert not at.exception
    assert any("options/tace.toml: not valid TOML" in c.value for c in at.code)
    assert not _clinical_screen_shown(at)


@pytest.mark.hazard("H02")
@pytest.mark.bad_input_case(28)
def test_case_28_an_option_named_na_stays_literal_on_cards_and_in_the_table(monkeypatch,
                                                                            tmp_path, content):
    root = _content_copy(tmp_path)
    path = root / "options" / "pei.toml"
    text = path.read_text(encoding="utf-8")
    name_line = next(line for line in text.splitlines() if line.startswith("name.en"))
    path.write_text(text.replace(name_line, 'name.en = "NA"'), encoding="utf-8")
    _with_content(monkeypatch, root)

    at = open_expanders(submit(fill(start(), content, BASELINE)), content)
    at.button_group(key="table_scope").set_value("All options").run()

    assert "**NA**" in " ".join(m.value for m in at.get_by_key("card_pei").markdown)
    table = at.table[0].value
    assert "NA" in list(table.index) and not table.isna().any().any()


@pytest.mark.hazard("H06")
@pytest.mark.bad_input_case(29)
def test_case_29_content_past_its_review_date_shows_a_banner(monkeypatch, tmp_path):
    root = _content_copy(tmp_path)
    path = root / "options" / "pei.toml"
    text = path.read_text(encoding="utf-8")
    review = next(line for line in text.splitlines() if line.startswith("next_review"))
    last = next(line for line in text.splitlines() if line.startswith("last_reviewed"))
    past = date.today() - timedelta(days=1)
    path.write_text(text.replace(review, f"next_review = {past.isoformat()}")
                    .replace(last, f"last_reviewed = {(past - timedelta(days=365)).isoformat()}"),
                    encoding="utf-8")
    _with_content(monkeypatch, root)

    at = start()

    assert any("past its review date" in w.value and past.isoformat() in w.value.replace("\\", "")
               for w in at.warning)


# --------------------------------------------------------------------------- 31-32 sessions


@pytest.mark.hazard("H07")
@pytest.mark.bad_input_case(31)
def test_case_31_two_sessions_in_one_process_never_share_a_patient(content):
    """Two sessions (two tabs) share the process, its caches and module state, as on a server."""
    first, second = new_marker("Ann"), new_marker("Bob")
    a = submit(fill(start(), content, BASELINE))
    b = submit(fill(start(), content, make_factors(ecog=1)))
    prepare(a, name=first)
    prepare(b, name=second)
    a.run()  # rerun A after B worked

    text_a, text_b = _pdf_text(a), _pdf_text(b)
    assert first in text_a and second not in text_a
    assert second in text_b and first not in text_b
    assert a.session_state["sheet_prepared"]["fingerprint"] != \
        b.session_state["sheet_prepared"]["fingerprint"]
    assert second not in _all_text(a) and first not in _all_text(b)
    assert _cached_strings_with(first) == [] and _cached_strings_with(second) == []


@pytest.mark.hazard("H28")
@pytest.mark.bad_input_case(32)
def test_case_32_new_patient_after_an_export_clears_every_patient_value(app, content):
    marker = new_marker()
    open_sheet(submit(fill(app, content, make_factors(ecog=1))))
    app.text_area(key="s_notes").set_value(f"notes {marker}")
    prepare(app, name=marker)
    assert app.get("download_button")

    app.button(key="new_patient_ask").click().run()
    app.button(key="new_patient").click().run()

    assert not app.exception and not app.get("download_button") and not results_shown(app)
    leftovers = {k: v for k, v in app.session_state.to_dict().items()
                 if marker in str(v) or (v not in (None, False, "") and k.startswith(("f_", "s_")))}
    assert leftovers == {}
    assert marker not in _all_text(app)


# --------------------------------------------------------------------------- 35-37 faults


@pytest.mark.hazard("H09", "H17")
@pytest.mark.bad_input_case(35)
def test_case_35_a_failure_inside_pdf_generation_shows_a_code_and_the_app_stays_usable(
        app, content, monkeypatch, caplog):
    import dashboard.adapters.pdf as pdf

    marker = new_marker()

    def broken(*args, **kwargs):
        raise RuntimeError(f"simulated failure while drawing {marker}")

    caplog.set_level(logging.DEBUG)
    submit(fill(app, content, BASELINE))
    monkeypatch.setattr(pdf, "render_counted", broken)  # what the screen's sheets are drawn by
    prepare(app, name=marker)

    assert not app.exception and not app.get("download_button")
    assert any("code PDF-RuntimeError" in e.value.replace("\\", "") for e in app.error)
    assert marker not in _all_text(app).replace(app.text_input(key="s_name").value, "")
    assert any("PDF-RuntimeError" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if marker in r.getMessage()
                or (r.exc_info and marker in str(r.exc_info[1]))]

    monkeypatch.undo()
    app.button(key="prepare").click().run()
    assert app.get("download_button") and marker in _pdf_text(app)


@pytest.mark.hazard("H16")
@pytest.mark.bad_input_case(35)
def test_case_35_an_unexpected_error_anywhere_shows_a_code_not_a_traceback(
        app, content, monkeypatch, caplog):
    import dashboard.screen.results as results

    marker = new_marker()

    def broken(*args, **kwargs):
        raise ValueError(f"unexpected {marker}")

    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(results, "show_results", broken)
    submit(fill(app, content, BASELINE))

    assert not app.exception
    assert any("code APP-ValueError" in e.value.replace("\\", "") for e in app.error)
    assert marker not in _all_text(app)
    assert not [r for r in caplog.records if marker in r.getMessage()]
    assert app.text_input(key="f_largest_tumour_cm").value == "2.5"  # nothing lost


@pytest.mark.hazard("H16")
@pytest.mark.bad_input_case(36)
def test_case_36_a_missing_or_damaged_font_stops_the_app_at_start_up(monkeypatch, tmp_path):
    monkeypatch.setattr(selftest, "FONT_DIR", tmp_path / "no-fonts")
    at = start()
    assert not at.exception and not _clinical_screen_shown(at)
    assert any("cannot print discussion sheets" in e.value for e in at.error)
    assert "DejaVuSans.ttf: missing" in " ".join(c.value for c in at.code)

    st.cache_resource.clear()
    damaged = tmp_path / "damaged"
    shutil.copytree(ROOT / "dashboard" / "assets" / "fonts", damaged)
    font = damaged / "NotoSansHebrew-Bold.ttf"
    font.write_bytes(font.read_bytes()[: font.stat().st_size // 3])
    monkeypatch.setattr(selftest, "FONT_DIR", damaged)
    at = start()
    assert not _clinical_screen_shown(at)
    assert "NotoSansHebrew-Bold.ttf" in " ".join(c.value for c in at.code)


@pytest.mark.bad_input_case(36)
def test_case_36_the_self_test_checks_exactly_the_fonts_the_renderer_uses():
    from dashboard.adapters.pdf import fonts

    assert set(selftest.FONT_FILES) == set(fonts.font_files())
    assert selftest.FONT_DIR == fonts.FONT_DIR
    assert selftest.font_problems() == []


@pytest.mark.bad_input_case(37)
def test_case_37_no_upload_widget_exists_in_any_state_of_the_screen(app, content):
    states = [app, submit(fill(app, content, BASELINE))]
    states.append(prepare(app, name="Ann"))
    for at in states:
        for kind in ("file_uploader", "camera_input", "audio_input", "chat_input",
                     "data_editor"):
            assert not at.get(kind), kind


# --------------------------------------------------------------------------- 39 sign-in

AUTH = {"auth": {"redirect_uri": "https://prep.hospital.example/oauth2callback",
                 "cookie_secret": "x" * 64, "client_id": "id", "client_secret": "secret",
                 "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}}


@pytest.mark.hazard("H18")
@pytest.mark.bad_input_case(39)
def test_case_39_a_signed_out_visitor_sees_the_sign_in_prompt_only():
    at = AppTest.from_file(str(ROOT / "dashboard" / "screen" / "app.py"), default_timeout=30)
    at.secrets = AUTH
    at.user = {"is_logged_in": False}
    at.run()

    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not _clinical_screen_shown(at)
    shown = _all_text(at)
    assert "Intended users" not in shown and "Show options" not in shown


@pytest.mark.bad_input_case(39)
def test_case_39_a_signed_in_clinician_gets_the_dashboard_and_can_sign_out(content):
    at = AppTest.from_file(str(ROOT / "dashboard" / "screen" / "app.py"), default_timeout=30)
    at.secrets = AUTH
    at.user = {"is_logged_in": True, "email": "dr.lee@hospital.example", "name": "Dr Lee"}
    at.run()

    assert not at.exception and _clinical_screen_shown(at)
    assert "Signed in: dr.lee@hospital.example" in [t.value for t in at.text]
    assert at.button(key="sign_out")
    submit(fill(at, content, BASELINE))
    assert results_shown(at)


@pytest.mark.bad_input_case(39)
def test_case_39_laptop_mode_without_an_auth_section_needs_no_sign_in(app):
    assert _clinical_screen_shown(app)
    assert not [b for b in app.button if b.label in ("Sign in", "Sign out")]


# --------------------------------------------------------------------------- helpers


def _cached_strings_with(marker: str) -> list[str]:
    """Strings or bytes holding `marker` anywhere in Streamlit's process-wide caches."""
    from streamlit.runtime.caching.cache_data_api import _data_caches
    from streamlit.runtime.caching.cache_resource_api import _resource_caches

    found: list[str] = []
    seen: set[int] = set()

    def walk(value, depth: int = 0) -> None:
        if id(value) in seen or depth > 12:
            return
        seen.add(id(value))
        if isinstance(value, str):
            if marker in value:
                found.append(value[:80])
        elif isinstance(value, (bytes, bytearray)):
            if marker.encode() in value:
                found.append(repr(value[:80]))
        elif isinstance(value, dict) or hasattr(value, "items"):
            try:
                for key, item in list(value.items()):
                    walk(key, depth + 1)
                    walk(item, depth + 1)
            except Exception:  # noqa: BLE001 - not a mapping after all
                pass
        elif isinstance(value, (list, tuple, set, frozenset)):
            for item in value:
                walk(item, depth + 1)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                walk(getattr(value, item.name, None), depth + 1)
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            for item in vars(value).values():
                walk(item, depth + 1)
        elif hasattr(value, "__slots__"):
            for name in value.__slots__:
                walk(getattr(value, name, None), depth + 1)

    walk(_resource_caches._function_caches)
    walk(_data_caches._function_caches)
    return found
