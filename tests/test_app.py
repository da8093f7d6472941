"""The consultation screen under Streamlit's AppTest: form -> verdict cards -> sheet download."""

from __future__ import annotations

import io
import re

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.core.engine import assess
from dashboard.screen.view import esc
from tests.conftest import BASELINE, ROOT, make_factors

APP = str(ROOT / "dashboard" / "screen" / "app.py")
WORDS = {"applicable": "May be discussed", "caution": "Consider with caution",
         "not_applicable": "Not applicable now"}


@pytest.mark.hazard("H28")
def test_new_patient_asks_first_and_keeping_the_values_clears_nothing(app, content):
    submit(fill(app, content, BASELINE))
    before = card_verdicts(app, content)
    question = esc(content.string("ui.new_patient_question"))

    app.button(key="new_patient_ask").click().run()
    assert question in texts(app) and app.button(key="new_patient")
    app.button(key="new_patient_keep").click().run()

    assert question not in texts(app)
    assert all(b.key != "new_patient" for b in app.button)
    assert card_verdicts(app, content) == before


# --------------------------------------------------------------------------- helpers


def start() -> AppTest:
    return AppTest.from_file(APP, default_timeout=30).run()


def fill(at: AppTest, content, data: dict) -> AppTest:
    """Enter an engine input dict through the widgets, as a clinician would."""
    for factor in content.factors:
        if factor.id not in data:
            continue
        value, key = data[factor.id], "f_" + (factor.alias_of or factor.id)
        if factor.alias_of:
            at.radio(key="u_" + factor.alias_of).set_value(factor.unit)
            at.text_input(key=key).set_value(_typed(value))
        elif factor.kind == "yes_no" and factor.core:
            at.radio(key=key).set_value({True: "yes", False: "no", None: None}[value])
        elif factor.kind == "yes_no":
            at.checkbox(key=key).set_value(bool(value))
        elif factor.kind in ("choice", "count") or factor.value_labels:
            at.get_by_key(key).set_value(value)  # a radio (up to 5 choices) or a selectbox
        else:
            at.text_input(key=key).set_value(_typed(value))
    return at


def _typed(value) -> str:
    """A number as a clinician types it into the (text) number field; None leaves it empty."""
    return "" if value is None else str(value)


def submit(at: AppTest) -> AppTest:
    """The form is live: the options follow the values at the next run (no button)."""
    return at.run()


def card_verdicts(at: AppTest, content) -> dict[str, str]:
    """Option id -> the verdict words shown on its card."""
    out = {}
    for option in content.options:
        card = at.get_by_key(f"card_{option.id}")
        heading = card.markdown[0].value
        out[option.id] = next(words for words in WORDS.values() if words in heading)
    return out


def texts(at: AppTest) -> list[str]:
    return [e.value for kind in ("markdown", "error", "warning", "info", "success", "text")
            for e in getattr(at, kind)]


def index_in_page(at: AppTest, predicate) -> int:
    """Position (document order) of the first element that satisfies `predicate`."""
    for i, node in enumerate(at.main):
        if predicate(node):
            return i
    raise AssertionError("no such element")


def results_shown(at: AppTest) -> bool:
    """Whether option cards are on screen."""
    try:
        at.get_by_key("card_resection")
    except KeyError:
        return False
    return True


def open_expanders(at: AppTest, content) -> AppTest:
    """Open every expander whose content is drawn only while open ("Why?", help, About, the
    comparison table, the sheet section, its chart note), as a clinician clicking each
    would, and run."""
    from dashboard.screen import form, frame, results, sheet_panel

    keys = [frame.ABOUT, results.COMPARE, sheet_panel.OPEN, sheet_panel.NOTE,
            *(results.WHY + o.id for o in content.options),
            form.HELP]
    for key in keys:
        at.session_state[key] = True
    return at.run()


def open_sheet(at: AppTest) -> AppTest:
    """Open the sheet section, as a clinician clicking its heading (the panel is drawn only
    while it is open), and run."""
    from dashboard.screen import sheet_panel

    at.session_state[sheet_panel.OPEN] = True
    return at.run()


def prepare(at: AppTest, name: str = "") -> AppTest:
    """Open the sheet section, tick the suggested options, type the name, tick the review
    box, press Prepare."""
    open_sheet(at)
    at.button(key="tick_suggested").click().run()
    at.text_input(key="s_name").set_value(name)
    at.checkbox(key="s_confirmed").check()
    at.run()
    at.button(key="prepare").click()
    return at.run()


@pytest.fixture
def app() -> AppTest:
    return start()


# --------------------------------------------------------------------------- start-up


def test_the_app_starts_without_an_exception_and_asks_for_factors(app):
    assert not app.exception
    assert any("appear here as you type" in i.value.replace("\\", "") for i in app.info)
    assert not results_shown(app)


@pytest.mark.hazard("H03")
def test_every_input_starts_empty(app, content):
    for factor in content.factors:
        if factor.alias_of:
            continue
        widget = app.get_by_key("f_" + factor.id)
        if factor.kind == "yes_no" and not factor.core:
            assert widget.value is False, factor.id  # a visible, unticked box
        else:
            assert widget.value in (None, ""), factor.id


@pytest.mark.hazard("H13")
def test_about_this_tool_states_intended_use_and_content_version(app, content):
    open_expanders(app, content)
    about = app.expander[0]
    text = " ".join(m.value for m in about.markdown)
    assert about.label == content.string("ui.intended_use_heading")
    assert "Intended users" in text and "What it does not do" in text
    assert content.version.replace("+", r"\+") in text or content.version in text.replace("\\", "")


# --------------------------------------------------------------------------- results


@pytest.mark.parametrize("factors", [
    BASELINE,
    make_factors(recurrence_site="extrahepatic_only", liver_tumour_count=0, largest_tumour_cm=0,
                 painful_bone_metastases=True, ecog=1),
    make_factors(child_pugh_score=None, bilirubin_umol_l=None, cirrhosis=None),
], ids=["small single liver tumour", "extrahepatic with painful bone metastases",
        "liver function not yet known"])
@pytest.mark.hazard("H01")
def test_a_scenario_shows_the_engines_verdict_words_on_every_card(app, content, factors):
    expected = {r.option_id: WORDS[r.verdict.value] for r in assess(factors, content).results}

    submit(fill(app, content, factors))

    assert not app.exception
    assert card_verdicts(app, content) == expected


def test_the_baseline_scenario_reads_as_expected(app, content):
    submit(fill(app, content, BASELINE))

    verdicts = card_verdicts(app, content)
    assert verdicts["resection"] == "May be discussed"
    assert verdicts["pei"] == "Consider with caution"
    assert verdicts["systemic"] == "Consider with caution"


@pytest.mark.hazard("H02", "H14")
def test_cards_keep_the_content_order_and_each_has_a_why_panel(app, content):
    submit(fill(app, content, BASELINE))

    labels = [e.label for e in app.expander if e.label.startswith("Why?")]
    assert len(labels) == len(content.options)
    positions = [index_in_page(app, lambda n, o=o: getattr(n, "key", None) == f"card_{o.id}")
                 for o in content.options]
    assert positions == sorted(positions)


@pytest.mark.hazard("H13", "H61")
def test_why_lists_every_rule_with_its_source_and_evidence_tag(app, content):
    factors = make_factors(liver_tumour_count=2, largest_tumour_cm=2.5, remnant_adequate="unknown")
    result = assess(factors, content).result("resection")
    open_expanders(submit(fill(app, content, factors)), content)

    why = " ".join(m.value for m in app.get_by_key("card_resection").expander[0].markdown)
    plain = why.replace("\\", "")
    for finding in result.findings:
        rule = content.rule(finding.rule_id)
        assert finding.rule_id in plain
        assert content.string(f"ui.tag_{rule.tag}") in plain
        for ref in rule.sources:
            assert content.reference(ref).citation in plain
    assert "Values read" in plain and "Number of liver tumours: **2**" in plain


def test_unknown_values_are_shown_as_not_yet_known(app, content):
    submit(fill(app, content, make_factors(cirrhosis=None)))

    assert any("Not yet known" in t and "Cirrhosis" in t for t in texts(app))


def test_the_systemic_card_shows_its_line_of_therapy_and_agent_notes(app, content):
    submit(fill(app, content, make_factors(prior_liver_transplant=True,
                                           transplant_candidate=False)))
    open_expanders(app, content)

    card = " ".join(m.value for m in app.get_by_key("card_systemic").markdown).replace("\\", "")
    assert content.string("ui.line_heading_first") in card
    assert "SYS-N1" in card and content.string("ui.notes_heading") in card


@pytest.mark.hazard("H65")
def test_child_pugh_is_computed_from_labs_in_either_unit(app, content):
    factors = make_factors(child_pugh_score=None, bilirubin_umol_l=None, bilirubin_mg_dl=1.2,
                           albumin_g_dl=3.4, inr=1.2, ascites="none", encephalopathy="none")
    submit(fill(app, content, factors))

    shown = " ".join(texts(app)).replace("\\", "")
    assert "Child-Pugh from labs: 6 points, class A" in shown
    assert "1.2 mg/dL = 21 µmol/L → 1 point" in shown
    assert "3.4 g/dL = 34 g/L → 2 points" in shown
    assert "ALBI from labs" in shown


def test_the_comparison_table_switches_between_chosen_and_all_options(app, content):
    submit(fill(app, content, make_factors(recurrence_site="extrahepatic_only",
                                           liver_tumour_count=0, largest_tumour_cm=0)))
    open_expanders(app, content)
    chosen = app.table[0].value

    app.button_group(key="table_scope").set_value("All options").run()
    every = app.table[0].value

    assert len(every) == len(content.options)
    assert len(chosen) < len(every)
    assert not every.isna().any().any()
    assert "nan" not in every.to_string().lower().split()


def test_the_tumour_board_note_stands_under_the_options_as_on_the_board_list(app, content):
    submit(fill(app, content, BASELINE))
    note = esc(content.string("clinic_day.board_mdt_note", "en"))  # shown through Markdown

    assert note in texts(app)
    assert index_in_page(app, lambda e: getattr(e, "value", None) == note) > index_in_page(
        app, lambda e: "card_" in str(getattr(e, "key", "") or ""))


@pytest.mark.hazard("H14")
def test_no_ranking_words_appear_on_the_screen(app, content):
    open_expanders(submit(fill(app, content, BASELINE)), content)

    shown = " ".join(texts(app)).lower()
    assert "recommended" not in shown and not re.search(r"\bbest\b", shown)


# --------------------------------------------------------------------------- errors, warnings


@pytest.mark.hazard("H121")
def test_a_contradiction_shows_its_message_beside_the_field_and_no_results(app, content):
    submit(fill(app, content, make_factors(liver_tumour_count=0)))

    message = content.rule("E3").clinician["en"]
    slot = app.get_by_key("msg_liver_tumour_count")
    assert any(message.split(":")[0] in e.value.replace("\\", "") for e in slot.error)
    assert _precedes(app, "msg_liver_tumour_count", "f_liver_tumour_count")
    assert not results_shown(app)
    assert not app.get("download_button")


def test_the_form_keeps_every_value_on_error(app, content):
    submit(fill(app, content, make_factors(liver_tumour_count=0)))

    assert app.get_by_key("f_recurrence_site").value == "liver_only"
    assert app.text_input(key="f_largest_tumour_cm").value == "2.5"
    assert app.radio(key="f_cirrhosis").value == "no"


@pytest.mark.hazard("H142")
def test_the_number_of_tumours_is_a_row_of_choices_and_not_known_sets_it_back(app, content):
    """Every count is in view at once (a row of choices, not a list box), and a count chosen
    by mistake can be taken back: "Not known" gives the options of an unknown count, as an
    emptied list box did, never those of the count first chosen."""
    submit(fill(app, content, dict(BASELINE, liver_tumour_count=3)))
    count = app.radio(key="f_liver_tumour_count")
    factor = content.factor("liver_tumour_count")
    assert count.options == [*map(str, range(int(factor.minimum), int(factor.maximum) + 1)),
                             content.string("ui.value_count_diffuse"),
                             content.string("ui.value_unknown_choice")]
    assert not app.get("selectbox")  # no list box on the form (none at load: no fetch)
    three = assess(dict(BASELINE, liver_tumour_count=3), content).fingerprint

    count.set_value("unknown").run()

    unknown = assess(dict(BASELINE, liver_tumour_count=None), content)
    shown = " ".join(texts(app)).replace("\\", "")
    assert unknown.fingerprint in shown and three not in shown
    assert card_verdicts(app, content) == {r.option_id: WORDS[r.verdict.value]
                                           for r in unknown.results}
    assert WORDS["applicable"] not in card_verdicts(app, content)["resection"]


def test_a_warning_is_shown_above_the_results(app, content):
    submit(fill(app, content, make_factors(child_pugh_score=7, cirrhosis=False)))

    heading = index_in_page(app, lambda n: n in app.header and "side by side" in n.value)
    first_card = index_in_page(app, lambda n: getattr(n, "key", None) == "card_resection")
    words = content.rule("W1").clinician["en"][:30]
    warnings = [i for i, n in enumerate(app.main) if n in app.warning
                and words in n.value.replace("\\", "")]
    assert results_shown(app)
    assert any(heading < i < first_card for i in warnings)
    assert len(app.get_by_key("msg_child_pugh_score").warning) == 1  # and beside the field


# --------------------------------------------------------------------------- sheet


def test_the_download_appears_only_after_preparing(app, content):
    submit(fill(app, content, BASELINE))
    open_sheet(app)
    assert not app.get("download_button")
    assert app.button(key="prepare").disabled  # the review box is not ticked yet

    prepare(app, name="Zoë O’Brien")

    buttons = app.get("download_button")
    assert not app.exception
    assert len(buttons) == 1
    assert buttons[0].proto.ignore_rerun  # on_click="ignore"
    assert "Zo" not in buttons[0].proto.url


@pytest.mark.hazard("H08")
def test_the_prepared_sheet_matches_the_screen(app, content):
    from pypdf import PdfReader

    submit(fill(app, content, BASELINE))
    prepare(app, name="Zoë O’Brien")

    prepared = app.session_state["sheet_prepared"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(prepared["data"])).pages)
    on_screen = re.search(r"Check code \*\*([0-9A-F]{4}\\?-[0-9A-F]{4})\*\*",
                          " ".join(texts(app)))
    assert on_screen, "the screen shows no check code"
    assert prepared["data"].startswith(b"%PDF")
    assert isinstance(prepared["data"], bytes)
    assert "Zoë O’Brien" in text
    assert on_screen.group(1).replace("\\", "") in text
    assert "Zo" not in prepared["file_name"]


@pytest.mark.hazard("H08")
def test_changing_an_input_after_preparing_withdraws_the_download(app, content):
    submit(fill(app, content, BASELINE))
    prepare(app, name="Ann Smith")

    app.text_input(key="s_name").set_value("Anne Smith").run()

    assert not app.get("download_button")
    assert any("withdrawn" in i.value for i in app.info)


def test_changing_a_factor_after_preparing_withdraws_the_download(app, content):
    submit(fill(app, content, BASELINE))
    prepare(app)

    app.text_input(key="f_largest_tumour_cm").set_value("4.0")
    submit(app)

    assert not app.get("download_button")


def test_a_slip_in_the_form_keeps_everything_typed_for_the_sheet(app, content):
    """A letter typed in a number field hides the options and the sheet panel until it is
    fixed; the ticks, name, notes, language and open note are all still there afterwards."""
    from dashboard.screen import sheet_panel

    submit(fill(app, content, BASELINE))

    open_sheet(app)
    app.checkbox(key="s_opt_tace").check().run()
    app.text_input(key="s_name").set_value("Ann Smith")
    app.text_area(key="s_notes").set_value("Bring the scan")
    app.radio(key="s_lang").set_value("fr")
    app.session_state[sheet_panel.NOTE] = True
    app.run()

    app.text_input(key="f_largest_tumour_cm").set_value("2.5cm").run()
    assert not results_shown(app)
    app.text_input(key="f_largest_tumour_cm").set_value("2.5").run()

    assert app.checkbox(key="s_opt_tace").value
    assert app.text_input(key="s_name").value == "Ann Smith"
    assert app.text_area(key="s_notes").value == "Bring the scan"
    assert app.radio(key="s_lang").value == "fr"
    assert app.get_by_key(sheet_panel.NOTE).code  # the note is still open: its text drawn


def _close_sheet(at: AppTest) -> AppTest:
    from dashboard.screen import sheet_panel

    at.session_state[sheet_panel.OPEN] = False
    return at.run()


@pytest.mark.hazard("H122")
def test_the_sheet_panel_is_drawn_only_once_its_section_is_opened(app, content):
    """Closed at first: the options come without the panel's forty-odd elements (the screen's
    speed), and a click on the section draws it from the values then on screen."""
    from dashboard.screen import sheet_panel

    submit(fill(app, content, BASELINE))
    assert results_shown(app)
    section = app.get_by_key(sheet_panel.OPEN)
    assert not section.children  # nothing of the panel drawn while closed
    assert not [b for b in app.button if b.key in ("tick_suggested", "prepare")]
    assert not [c for c in app.checkbox if c.key.startswith("s_")]

    open_sheet(app)

    assert app.get_by_key(sheet_panel.OPEN).button(key="prepare").disabled
    labels = [app.checkbox(key=f"s_opt_{r.option_id}").label.replace("\\", "")
              for r in assess(BASELINE, content).results]
    assert all(verdict_word in label for verdict_word, label in zip(
        (WORDS[r.verdict.value] for r in assess(BASELINE, content).results), labels))


@pytest.mark.hazard("H60", "H122")
def test_closing_the_sheet_section_keeps_what_was_typed_and_offers_no_download(app, content):
    """Ticks, name, notes and language survive the section being closed, a slip in the form
    while it is closed, and its reopening; a sheet prepared before is not offered while the
    section is closed, and after a value changed meanwhile it is withdrawn."""
    submit(fill(app, content, BASELINE))
    prepare(app, name="Ann Smith")
    app.checkbox(key="s_opt_tace").check()
    app.text_area(key="s_notes").set_value("Bring the scan")
    app.radio(key="s_lang").set_value("fr").run()
    app.checkbox(key="s_confirmed").check().run()
    app.button(key="prepare").click().run()
    assert app.get("download_button")

    _close_sheet(app)
    assert not app.get("download_button")  # nothing can be downloaded while it is closed
    app.text_input(key="f_largest_tumour_cm").set_value("2.5cm").run()  # a slip: no options
    assert not results_shown(app)
    app.text_input(key="f_largest_tumour_cm").set_value("3.5").run()
    assert not app.get("download_button")
    open_sheet(app)

    assert app.checkbox(key="s_opt_tace").value
    assert app.text_input(key="s_name").value == "Ann Smith"
    assert app.text_area(key="s_notes").value == "Bring the scan"
    assert app.radio(key="s_lang").value == "fr"
    assert not app.get("download_button") and "sheet_prepared" not in app.session_state
    assert app.checkbox(key="s_confirmed").value is False  # new options: the review again
    assert app.button(key="prepare").disabled


def test_a_name_the_sheet_cannot_print_gives_a_clear_error_naming_the_field(app, content):
    submit(fill(app, content, BASELINE))

    prepare(app, name="Ann 😀")

    assert not app.exception
    assert any("patient name" in e.value for e in app.error)
    assert not app.get("download_button")


def test_user_text_is_never_rendered_as_markdown(app, content):
    submit(fill(app, content, BASELINE))

    prepare(app, name="**Bob** [x](http://example.org)")

    assert not any("**Bob**" in m.value for m in app.markdown)


def test_no_option_is_ticked_until_the_clinician_chooses(app, content):
    submit(fill(app, content, make_factors(portal_vein_invasion="lobar")))
    open_sheet(app)

    assert not any(app.checkbox(key=f"s_opt_{o.id}").value for o in content.options)
    assert app.button(key="prepare").disabled


def test_the_suggestion_ticks_at_most_three_options_that_may_fit(app, content):
    factors = make_factors(portal_vein_invasion="lobar")
    submit(fill(app, content, factors))
    open_sheet(app)

    app.button(key="tick_suggested").click().run()

    verdicts = {r.option_id: r.verdict.value for r in assess(factors, content).results}
    ticked = [o.id for o in content.options if app.checkbox(key=f"s_opt_{o.id}").value]
    assert 1 <= len(ticked) <= 3
    assert all(verdicts[o] != "not_applicable" for o in ticked)
    applicable = [o for o, v in verdicts.items() if v == "applicable"]
    assert set(applicable[:3]) <= set(ticked)  # those that may be discussed come first


# --------------------------------------------------------------------------- language, pages


def _pdf_pages(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages]


def _pages_shown(at: AppTest) -> str:
    """The page count beside Prepare, as read (Markdown escapes removed)."""
    return next(m.value for m in at.markdown
                if re.search(r"\d+ pages?, in ", m.value)).replace("\\", "")


@pytest.mark.hazard("H66")
def test_the_sheet_language_is_a_choice_and_every_label_about_the_sheet_says_it(app, content):
    submit(fill(app, content, BASELINE))
    open_sheet(app)
    assert app.radio(key="s_lang").value == "en"  # English unless the clinician chooses
    assert "English" in app.button(key="prepare").label

    app.radio(key="s_lang").set_value("fr")
    prepare(app)

    french = content.string("locale.name", "fr")
    assert french in app.button(key="prepare").label
    assert french in _pages_shown(app)
    assert any(french in s.value.replace("\\", "") and "Sheet ready" in s.value
               for s in app.success)
    assert french in app.get("download_button")[0].proto.label
    text = " ".join(_pdf_pages(app.session_state["sheet_prepared"]["data"]))
    assert " ".join(content.string("sheet.footer_disclaimer", "fr").split()) in text
    assert " ".join(content.string("sheet.footer_disclaimer", "en").split()) not in text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_sheet_the_screen_prepares_by_default_is_two_pages(app, content, lang):
    """Tick the suggested options and prepare, changing nothing else: two pages (issue #10),
    as the page count beside Prepare says. The optional sections start unticked and the notes
    box holds no more than two pages print."""
    from dashboard.core.limits import SHEET_NOTES_MAX

    submit(fill(app, content, BASELINE))

    open_sheet(app)
    assert app.checkbox(key="s_not_fitting").value is False
    assert app.text_area(key="s_notes").proto.max_chars == SHEET_NOTES_MAX
    app.radio(key="s_lang").set_value(lang)
    prepare(app)
    pages = _pdf_pages(app.session_state["sheet_prepared"]["data"])
    assert len(pages) == 2 and _pages_shown(app).startswith("2 pages")


@pytest.mark.hazard("H66")
def test_changing_the_sheet_language_withdraws_a_prepared_sheet(app, content):
    submit(fill(app, content, BASELINE))
    prepare(app)
    assert app.get("download_button")

    app.radio(key="s_lang").set_value("fr").run()

    assert not app.get("download_button")
    assert "sheet_prepared" not in app.session_state


@pytest.mark.hazard("H66")
def test_a_pseudo_language_goes_through_the_screens_sheet_choices_to_every_page(monkeypatch,
                                                                                content):
    """Issue #14: a language the code has never seen ('xx', every English text marked) is
    offered on screen, named in the panel's labels, and reaches every page of the sheet through
    the one pipeline: the screen's sheet is the service's sheet for the same choices."""
    import dataclasses

    import streamlit as st

    from dashboard import service
    from dashboard.core import loader
    from tests.test_sheet import MARK, _mark, _pseudo

    pseudo = _pseudo(content)
    pseudo = dataclasses.replace(pseudo, languages=(*content.languages, "xx"), strings={
        **pseudo.strings, "xx": {k: "xx" if k in ("sheet.lang_tag", "locale.tag") else _mark(v)
                                 for k, v in content.strings["en"].items()}})
    monkeypatch.setattr(loader, "load_content", lambda *args: pseudo)
    st.cache_resource.clear()
    try:
        at = submit(fill(start(), content, BASELINE))
        open_sheet(at)
        at.radio(key="s_lang").set_value("xx")
        prepare(at)
        prepared = at.session_state["sheet_prepared"]
        label = at.button(key="prepare").label
        ticked = tuple(o.id for o in content.options if at.checkbox(key=f"s_opt_{o.id}").value)
    finally:
        st.cache_resource.clear()

    assert MARK + "English" in label  # the pseudo language's own name, from its locale
    pages = _pdf_pages(prepared["data"])
    expected = service.prepare_sheet(BASELINE, service.Choices(
        selected=ticked, include_not_fitting=False, language="xx"), pseudo)
    assert pages == _pdf_pages(expected.pdf)  # the screen's sheet is the pipeline's
    footer = " ".join(content.string("sheet.footer_disclaimer", "en").split())
    assert all(MARK in page for page in pages)
    text = " ".join(pages)
    assert text.count(footer) == text.count(MARK + footer) == len(pages)


def test_the_page_count_beside_prepare_is_the_sheets_and_follows_every_choice(app, content):
    submit(fill(app, content, BASELINE))
    prepare(app)
    shown = _pages_shown(app)
    pages = len(_pdf_pages(app.session_state["sheet_prepared"]["data"]))
    assert shown.startswith(f"{pages} page")

    app.checkbox(key="s_large_print").check()
    app.checkbox(key="s_confirmed").check()  # still ticked: nothing asked again
    app.run()
    app.button(key="prepare").click().run()

    larger = len(_pdf_pages(app.session_state["sheet_prepared"]["data"]))
    assert _pages_shown(app).startswith(f"{larger} page")
    assert larger > pages  # the count followed the change (large print needs more pages)


# --------------------------------------------------------------------------- drawn ahead


def _ready(at: AppTest, content, name: str = "Ann Smith") -> AppTest:
    """Everything for Prepare given (ticks, name, review), Prepare not pressed."""
    submit(fill(at, content, BASELINE))
    open_sheet(at)
    at.button(key="tick_suggested").click().run()
    at.text_input(key="s_name").set_value(name)
    at.checkbox(key="s_confirmed").check()
    return at.run()


def _ahead(at: AppTest) -> dict | None:
    from dashboard.screen import sheet_panel

    return at.session_state.get(sheet_panel.AHEAD)


@pytest.mark.hazard("H123")
def test_the_sheet_drawn_before_prepare_is_the_one_offered_and_holds_what_is_on_screen(
        app, content):
    """Once Prepare can be pressed the sheet is drawn (the page count needs its layout);
    Prepare then offers that very sheet, and nothing reaches a download before Prepare."""
    from dashboard import service

    _ready(app, content)
    ahead = _ahead(app)
    assert ahead is not None and not app.get("download_button")
    assert "sheet_prepared" not in app.session_state
    text = " ".join(_pdf_pages(ahead["prepared"]["data"]))
    ticked = tuple(o.id for o in content.options if app.checkbox(key=f"s_opt_{o.id}").value)
    fresh = service.prepare_sheet(BASELINE, service.Choices(selected=ticked,
                                                            include_not_fitting=False),
                                  content, patient=service.PatientDetails(name="Ann Smith"))
    assert _pdf_pages(ahead["prepared"]["data"]) == _pdf_pages(fresh.pdf)
    pages = ahead["prepared"]["pages"]
    assert "Ann Smith" in text and pages == 2 and _pages_shown(app).startswith(f"{pages} page")

    app.button(key="prepare").click().run()

    assert app.session_state["sheet_prepared"]["data"] is ahead["prepared"]["data"]
    assert app.get("download_button") and _ahead(app) is None  # kept once, as the prepared


CHANGES = {  # a change of one thing printed -> what the new sheet must show
    "name": (lambda at: at.text_input(key="s_name").set_value("Anne Smyth"),
             lambda text, data, content: "Anne Smyth" in text and "Ann Smith" not in text),
    "notes": (lambda at: at.text_area(key="s_notes").set_value("Bring your pill box"),
              lambda text, data, content: "Bring your pill box" in text),
    "clinician": (lambda at: at.text_input(key="s_clinician").set_value("Dr Okafor"),
                  lambda text, data, content: "Dr Okafor" in text),
    "language": (lambda at: at.radio(key="s_lang").set_value("fr"),
                 lambda text, data, content: " ".join(
                     content.string("sheet.footer_disclaimer", "fr").split()) in text),
    "paper": (lambda at: at.radio(key="s_paper").set_value("a4"),
              lambda text, data, content: b"/MediaBox [0 0 595.28 841.89]" in data),
    "large print": (lambda at: at.checkbox(key="s_large_print").check(),
                    lambda text, data, content: len(_pdf_pages(data)) > 2),
    "an option": (lambda at: at.checkbox(key="s_opt_supportive_care").check(),
                  lambda text, data, content: "Supportive care" in text),
}


@pytest.mark.hazard("H123")
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_sheet_drawn_ahead_is_dropped_when_anything_printed_changes(app, content, change):
    """Any change of what the sheet prints, after it was drawn ahead, drops it at once: the
    sheet kept and the one Prepare offers are drawn from the new values, never the old."""
    from dashboard.screen import sheet_panel

    _ready(app, content)
    before = _ahead(app)
    assert before is not None
    alter, shows = CHANGES[change]
    alter(app)
    app.run()

    after = _ahead(app)
    assert after is not None and after["key"] != before["key"]
    assert after["prepared"]["signature"] != before["prepared"]["signature"]
    app.button(key="prepare").click().run()
    data = app.session_state["sheet_prepared"]["data"]
    assert data is after["prepared"]["data"] and data != before["prepared"]["data"]
    assert shows(" ".join(_pdf_pages(data)), data, content)
    assert sheet_panel.AHEAD not in app.session_state


@pytest.mark.hazard("H123")
def test_a_factor_changed_after_the_sheet_was_drawn_ahead_leaves_nothing_to_offer(app,
                                                                                  content):
    _ready(app, content)
    assert _ahead(app) is not None

    app.text_input(key="f_largest_tumour_cm").set_value("4.0")
    submit(app)

    assert _ahead(app) is None  # the review is asked again: nothing drawn, nothing kept
    assert app.button(key="prepare").disabled and not app.get("download_button")
    app.checkbox(key="s_confirmed").check().run()
    code = assess({**BASELINE, "largest_tumour_cm": 4.0}, content).fingerprint
    assert _ahead(app)["prepared"]["fingerprint"] == code  # drawn again, for the new values


@pytest.mark.hazard("H123")
@pytest.mark.parametrize("why", ["too old", "another day", "other content"])
def test_a_sheet_drawn_ahead_too_long_ago_on_another_day_or_content_is_drawn_again(
        app, content, monkeypatch, why):
    """The sheet prints its date and the content's version: one drawn ahead yesterday, for
    other content, or longer ago than the server allows is not offered; Prepare draws anew."""
    import datetime as dt

    from dashboard.screen import sheet_panel

    _ready(app, content)
    before = _ahead(app)
    if why == "too old":
        before["made"] -= sheet_panel.AHEAD_SECONDS + 1
    elif why == "another day":
        class Tomorrow(dt.date):
            @classmethod
            def today(cls):
                return dt.date.today() + dt.timedelta(days=1)
        monkeypatch.setattr(sheet_panel, "date", Tomorrow)
    else:  # as if drawn by a server that had loaded other content
        other = type("Other", (), {"version": content.version + "-other"})()
        before["key"] = sheet_panel._ahead_key(other, before["prepared"]["signature"])

    app.button(key="prepare").click().run()

    data = app.session_state["sheet_prepared"]["data"]
    assert data is not before["prepared"]["data"] and app.get("download_button")


@pytest.mark.hazard("H124")
@pytest.mark.parametrize("end", ["new patient", "section closed", "review unticked"])
def test_a_sheet_drawn_ahead_goes_with_its_patient_and_is_never_handed_out_unasked(
        app, content, end):
    """The sheet drawn ahead stays in this session's memory only, with no download (no media
    file, no link) until Prepare and Download; New patient, closing the section or unticking
    the review drops it."""
    _ready(app, content, name="Ann Gone")
    assert _ahead(app) is not None and not app.get("download_button")
    if end == "new patient":
        app.button(key="new_patient_ask").click().run()
        app.button(key="new_patient").click().run()
    elif end == "section closed":
        _close_sheet(app)
    else:
        app.checkbox(key="s_confirmed").uncheck().run()
    assert _ahead(app) is None and "sheet_prepared" not in app.session_state
    assert not app.get("download_button")


@pytest.mark.hazard("H124")
def test_two_sessions_drawing_ahead_each_keep_their_own_patients_sheet(content):
    first, second = _ready(start(), content, name="Ann First"), _ready(start(), content,
                                                                       name="Bea Second")
    for at, mine, other in ((first, "Ann First", "Bea Second"),
                            (second, "Bea Second", "Ann First")):
        text = " ".join(_pdf_pages(_ahead(at)["prepared"]["data"]))
        assert mine in text and other not in text
        at.button(key="prepare").click().run()
        text = " ".join(_pdf_pages(at.session_state["sheet_prepared"]["data"]))
        assert mine in text and other not in text


@pytest.mark.hazard("H123")
def test_a_prepare_run_drawn_from_other_choices_than_the_sessions_offers_nothing(app, content,
                                                                               monkeypatch):
    """Prepare and the download are a fragment of their own, rerun alone by a click, with the
    panel's last choices: when the session's choices differ from those (a click that came with
    a change) it prepares and offers nothing, reruns the page once, and never loops."""
    from dashboard.screen import sheet_panel

    _ready(app, content)
    assert not app.button(key="prepare").disabled
    real = sheet_panel._signature_now
    monkeypatch.setattr(sheet_panel, "_signature_now", lambda *args: "other choices")
    app.button(key="prepare").click().run()

    assert not app.exception and not app.get("download_button")
    assert "sheet_prepared" not in app.session_state
    assert app.button(key="prepare").disabled  # and the run ended: no rerun without end
    assert app.session_state[sheet_panel.RERUN_FOR] == "other choices"

    monkeypatch.setattr(sheet_panel, "_signature_now", real)
    app.run()
    app.button(key="prepare").click().run()
    assert app.get("download_button")


@pytest.mark.hazard("H123")
def test_with_drawing_ahead_off_prepare_draws_the_sheet_and_counts_its_pages(app, content,
                                                                            monkeypatch):
    from dashboard.screen import sheet_panel

    monkeypatch.setattr(sheet_panel, "AHEAD_SECONDS", 0)
    _ready(app, content)
    assert _ahead(app) is None and _pages_shown(app).startswith("2 pages")
    app.button(key="prepare").click().run()
    assert len(_pdf_pages(app.session_state["sheet_prepared"]["data"])) == 2


def test_the_ahead_setting_is_bounded(monkeypatch):
    from dashboard.screen import sheet_panel

    for raw, seconds in (("", 600), ("0", 0), ("90", 90), ("3600", 3600), ("3601", 600),
                         ("-5", 600), ("ten", 600)):
        monkeypatch.setenv("PREP_SHEET_AHEAD_SECONDS", raw)
        assert sheet_panel._ahead_seconds() == seconds, raw


def test_the_screen_prints_on_the_same_paper_as_the_command_line_unless_asked(app, content):
    from dashboard import service

    submit(fill(app, content, BASELINE))

    open_sheet(app)
    assert app.radio(key="s_paper").value == service.Choices().paper == "letter"
    prepare(app)
    assert b"/MediaBox [0 0 612.00 792.00]" in app.session_state["sheet_prepared"]["data"]
    assert "US Letter" in _pages_shown(app)


# --------------------------------------------------------------------------- new patient


@pytest.mark.hazard("H28")
def test_new_patient_clears_every_value(app, content):
    submit(fill(app, content, make_factors(ablation_site_risky=True)))
    prepare(app, name="Ann Smith")

    app.button(key="new_patient_ask").click().run()
    app.button(key="new_patient").click().run()

    assert not app.exception
    assert not results_shown(app)
    assert not app.get("download_button")
    assert "sheet_prepared" not in app.session_state
    for factor in content.factors:
        if not factor.alias_of:
            widget = app.get_by_key("f_" + factor.id)
            assert widget.value in (None, False, ""), factor.id


# --------------------------------------------------------------------------- helpers


def _precedes(at: AppTest, slot_key: str, widget_key: str) -> bool:
    """True when the message slot is the element right before the widget in its column (a
    link to the message then shows the field under it, H121)."""
    for node in at.main:
        children = getattr(node, "children", None)
        if not children:
            continue
        keys = [getattr(children[i], "key", None) for i in sorted(children)]
        if widget_key in keys:
            return keys.index(widget_key) > 0 and keys[keys.index(widget_key) - 1] == slot_key
    return False


def test_an_implausible_value_must_be_confirmed_before_options_are_shown(app, content):
    if "W6" not in {code.id for code in content.validation}:
        pytest.skip("content has no W6 plausibility code")
    submit(fill(app, content, make_factors(bilirubin_umol_l=None, bilirubin_mg_dl=40)))
    assert not results_shown(app)
    confirm = next(c for c in app.checkbox if c.key.startswith("confirm_W6_"))

    confirm.check().run()

    assert results_shown(app)


def test_a_confirmation_is_asked_again_when_the_inputs_change(app, content):
    if "W6" not in {code.id for code in content.validation}:
        pytest.skip("content has no W6 plausibility code")
    submit(fill(app, content, make_factors(bilirubin_umol_l=None, bilirubin_mg_dl=40)))
    next(c for c in app.checkbox if c.key.startswith("confirm_W6_")).check().run()

    app.text_input(key="f_bilirubin_umol_l").set_value("41.0")
    submit(app)

    assert not results_shown(app)


# --------------------------------------------------------------------------- never stale (H60)


@pytest.mark.hazard("H60")
def test_changing_values_after_results_updates_every_card_and_withdraws_the_sheet(app, content):
    """Issue #11: ECOG 0 -> 3 and 'wants treatment' -> 'declines' after the options and a
    prepared sheet. No old verdict stays on screen and no sheet for the old values is offered."""
    submit(fill(app, content, BASELINE))
    prepare(app, name="Ann Lee")
    old = assess(BASELINE, content)
    assert app.get("download_button")

    changed = make_factors(ecog=3, patient_goal="declines_active")
    app.get_by_key("f_ecog").set_value(3)
    app.get_by_key("f_patient_goal").set_value("declines_active").run()

    new = assess(changed, content)
    assert new.fingerprint != old.fingerprint
    assert card_verdicts(app, content) == {r.option_id: WORDS[r.verdict.value]
                                           for r in new.results}
    shown = " ".join(texts(app)).replace("\\", "")
    assert new.fingerprint in shown and old.fingerprint not in shown
    assert not app.get("download_button") and "sheet_prepared" not in app.session_state
    assert app.checkbox(key="s_confirmed").value is False  # the review is asked again
    assert app.button(key="prepare").disabled
    app.checkbox(key="s_confirmed").check().run()
    app.button(key="prepare").click().run()
    from pypdf import PdfReader
    data = app.session_state["sheet_prepared"]["data"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert new.fingerprint in text and old.fingerprint not in text


@pytest.mark.hazard("H60")
def test_an_error_after_results_removes_every_card_and_the_sheet(app, content):
    submit(fill(app, content, BASELINE))
    prepare(app)

    app.text_input(key="f_largest_tumour_cm").set_value("big").run()

    assert not results_shown(app)
    assert not app.get("download_button")
    assert not [b for b in app.button if b.key == "prepare"]


@pytest.mark.hazard("H60")
def test_an_open_why_panel_and_table_follow_a_value_changed_after_they_were_opened(app,
                                                                                 content):
    """Closed expanders draw nothing (their content is drawn only while open); one opened
    before a change shows the rules and values read of the new values, never the old ones."""
    submit(fill(app, content, BASELINE))
    closed = app.get_by_key("card_resection").expander[0]
    assert not closed.markdown and not app.table  # nothing drawn while closed

    open_expanders(app, content)
    app.get_by_key("f_ecog").set_value(3).run()

    why = " ".join(m.value for m in app.get_by_key("card_resection").expander[0].markdown)
    plain = why.replace("\\", "")
    new = assess(make_factors(ecog=3), content).result("resection")
    assert new.main_finding.rule_id in plain and "ECOG performance status: **3" in plain
    assert "ECOG performance status: **0" not in plain
    rows = [name.replace("\\", "") for name in app.table[0].value.index]
    fitting = assess(make_factors(ecog=3), content).results
    assert rows == [content.option(r.option_id).name("en") for r in fitting
                    if r.verdict.value != "not_applicable"]  # the new values' options only
    assert content.option("resection").name("en") not in rows


# --------------------------------------------------------------------------- the name line (H120)


def _name_line(at: AppTest) -> str:
    return " ".join(t.value for t in at.get_by_key("sheet_name_line").text)


@pytest.mark.hazard("H120")
def test_the_panel_says_which_name_the_sheet_prints_before_and_after_preparing(app, content):
    submit(fill(app, content, BASELINE))
    open_sheet(app)
    assert _name_line(app) == content.string("ui.sheet_will_print_no_name")

    prepare(app, name=" Zoë O’Brien ")
    printed = content.string("ui.sheet_prints_name").format(name="Zoë O’Brien")
    assert _name_line(app) == printed  # as the sheet prints it (outer spaces gone)
    from pypdf import PdfReader
    data = app.session_state["sheet_prepared"]["data"]
    assert "Zoë O’Brien" in " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)

    app.text_input(key="s_name").set_value("").run()  # the sheet is withdrawn: no name now
    assert _name_line(app) == content.string("ui.sheet_will_print_no_name")
    app.checkbox(key="s_confirmed").check().run()
    app.button(key="prepare").click().run()
    assert _name_line(app) == content.string("ui.sheet_prints_no_name")


# --------------------------------------------------------------------------- the error list (H121)


@pytest.mark.hazard("H121", "H128")
def test_each_error_beside_its_field_carries_the_anchor_its_list_link_names(app, content):
    from dashboard.screen import form

    submit(fill(app, content, BASELINE))
    app.text_input(key="f_largest_tumour_cm").set_value("big")
    app.text_input(key="f_afp_ng_ml").set_value("lots").run()

    listed = next(e.value for e in app.error if "](#" in e.value)
    for number, field in enumerate(("largest_tumour_cm", "afp_ng_ml"), 1):
        anchor = form.problem_anchor(content, number, 2)
        heading = content.string("ui.problem_heading").format(number=number, total=2)
        assert anchor == heading.lower().replace(" ", "-")  # the slug the browser gives it
        assert f"(#{anchor})" in listed
        beside = app.get_by_key(f"msg_{field}")
        assert [m.value for m in beside.markdown] == [f"#### {heading}"]  # the anchor
        assert len(beside.error) == 1  # and the message under it
    assert "#group-" not in listed  # to the field's own message, not to its group


@pytest.mark.hazard("H60")
def test_options_ticked_that_no_longer_fit_after_a_change_are_named_in_the_panel(app, content):
    submit(fill(app, content, BASELINE))
    open_sheet(app)
    app.button(key="tick_suggested").click().run()
    ticked = [o.id for o in content.options if app.checkbox(key=f"s_opt_{o.id}").value]
    assert ticked and not [w for w in app.warning if "not applicable now" in w.value]

    app.get_by_key("f_ecog").set_value(3).run()  # ECOG 3: most of them no longer fit

    now = assess(make_factors(ecog=3), content)
    gone = [content.option(o).name("en") for o in ticked
            if now.result(o).verdict.value == "not_applicable"]
    assert gone
    warning = next(w.value for w in app.warning if "not applicable now" in w.value)
    plain = warning.replace("\\", "")
    assert all(name in plain for name in gone)
    assert app.button(key="prepare").disabled  # and the review is asked again


# --------------------------------------------------------------------------- stable places (H120)


def _places(node, prefix=()) -> dict[str, tuple[int, ...]]:
    """Widget key -> its place in the page (the index path Streamlit draws it at)."""
    out: dict[str, tuple[int, ...]] = {}
    for index, child in getattr(node, "children", {}).items():
        key = getattr(child, "key", None) if not hasattr(child, "children") else None
        if key:
            out[key] = (*prefix, index)
        out.update(_places(child, (*prefix, index)))
    return out


SHEET_WIDGETS = ("s_name", "s_date", "s_clinician", "s_phone", "s_notes", "s_confirmed",
                 "prepare")


@pytest.mark.hazard("H120")
def test_the_sheet_fields_and_prepare_keep_their_place_when_a_panel_message_comes_or_goes(
        app, content):
    # Streamlit places an element by its position among its siblings. A message that comes
    # and goes above the name field would move it, and while a run is under way the browser
    # shows the last run's copy of the fields and Prepare beside the new ones (a name typed
    # into the old copy is lost).
    submit(fill(app, content, BASELINE))
    open_sheet(app)
    before = {k: v for k, v in _places(app._tree).items() if k in SHEET_WIDGETS}
    assert app.info and set(before) == set(SHEET_WIDGETS)  # "tick at least one option"
    app.button(key="tick_suggested").click().run()  # the message goes
    app.text_input(key="s_phone").set_value("\u200b613").run()  # "the sheet prints ..." comes
    app.checkbox(key="s_confirmed").check().run()  # the review hint goes
    app.button(key="prepare").click().run()  # "Sheet ready" comes
    app.text_input(key="s_clinician").set_value("Dr. A").run()  # "withdrawn" comes
    after = {k: v for k, v in _places(app._tree).items() if k in SHEET_WIDGETS}
    assert after == before
