"""The consultation screen by keyboard alone, in Chromium (issue #11, hazard H127-H129).

A whole patient is entered with Tab, Shift+Tab, the arrow keys, Space, Enter and typing only:
no mouse, no `fill`, no `.click()`. The tests assert what the clinician sees (which element has
the focus, the values shown, the verdicts, the check code) and never how long anything took;
each key that changes a value is followed by a bounded wait for the script run it starts
(`_Runs`), so a Tab never races the rerun of the value before it.
"""

from __future__ import annotations

import base64
import colorsys
import io
import re
import time
from pathlib import Path

import pytest

from dashboard.core.engine import assess
from dashboard.screen import sheet_panel, view
from tests.browser_support import (
    PREPARE,
    download_sheet,
    enter_factors,
    pick_radio,
    ready_to_prepare,
    type_text,
    wait_for_app,
    wait_for_check_code,
)
from tests.conftest import BASELINE
from tests.safety_support import pdf_text
from tests.test_screen_browser import _IN_VIEW, WORDS, _cards, _screen_code

pytestmark = pytest.mark.browser

WIDTHS = {1440: 900, 1024: 768, 820: 1180}

# What has the focus: the widget key of the innermost keyed element around it, and what the
# clinician would see or hear of it.
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body)
    return {key: '', tag: 'BODY', type: '', role: '', name: '', value: '', checked: null,
            href: '', open: null};
  const keyed = e.closest('[class*="st-key-"]');
  const key = keyed ? [...keyed.classList].find(c => c.startsWith('st-key-')).slice(7) : '';
  const label = e.closest('label');
  const details = e.closest('details');
  return {key, tag: e.tagName, type: e.type || '', role: e.getAttribute('role') || '',
          name: e.getAttribute('aria-label') || (label ? label.innerText : '') ||
                (e.innerText || '').slice(0, 60),
          value: e.value ?? '', checked: e.checked ?? null, href: e.getAttribute('href') || '',
          open: details ? details.open : null};
}"""


# --------------------------------------------------------------------------- keyboard driver


class _Runs:
    """Counts the script runs the server has finished for this page, from the messages it
    sends (read through Chromium's DevTools protocol, as Streamlit's own protobuf): a key that
    changes a value starts a run, and the next key waits (bounded) for it to end."""

    def __init__(self, page) -> None:
        self.finished = 0
        self._cdp = page.context.new_cdp_session(page)
        self._cdp.send("Network.enable")
        self._cdp.on("Network.webSocketFrameReceived", self._frame)

    def _frame(self, event: dict) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        frame = event["response"]
        message = ForwardMsg()
        try:
            message.ParseFromString(base64.b64decode(frame["payloadData"])
                                    if frame["opcode"] == 2 else frame["payloadData"].encode())
        except Exception:  # noqa: BLE001 - not one of Streamlit's messages
            return
        if message.WhichOneof("type") == "script_finished":
            self.finished += 1

    def wait_after(self, page, before: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.finished <= before:
            if time.monotonic() > deadline:
                pytest.fail(f"no script run ended after the key press (focus: {_focused(page)})")
            page.wait_for_timeout(20)  # lets Playwright deliver the protocol's events
        wait_for_app(page)


RUNS: dict[int, _Runs] = {}  # id(page) -> its run counter


def _keyboard_page(browser, server, width: int):
    context = browser.new_context(accept_downloads=True,
                                  viewport={"width": width, "height": WIDTHS[width]})
    page = context.new_page()
    RUNS[id(page)] = _Runs(page)
    page.goto(server.url)
    wait_for_app(page)
    page.locator(".st-key-f_recurrence_site input").first.wait_for(state="visible")
    return context, page


def _focused(page) -> dict:
    return page.evaluate(FOCUSED)


def _press(page, keys: str, *, reruns: bool = True) -> None:
    """Press `keys`; with `reruns`, wait (bounded) until the run the press starts has ended."""
    runs = RUNS[id(page)]
    before = runs.finished
    page.keyboard.press(keys)
    if reruns:
        runs.wait_after(page, before)
    wait_for_app(page)


def _tab_to(page, key: str, *, limit: int = 12, back: bool = False) -> int:
    """Tab (or Shift+Tab) until the focus is in the widget `key`; fail, naming the stops passed,
    if it takes more than `limit` presses (a lost focus starts again from the top)."""
    if _focused(page)["key"] == key:  # already there (Tab applied the value before)
        return 0
    passed = []
    for stops in range(1, limit + 1):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        now = _focused(page)
        if now["key"] == key:
            return stops
        passed.append(f"{now['key'] or now['tag']}:{now['name'][:30]}")
    pytest.fail(f"{limit} {'Shift+' if back else ''}Tab presses did not reach {key}: {passed}")


def _radio(page, key: str) -> tuple[list[str], int | None, int | None]:
    """The radio group's choices as shown, the checked one, and the focused one."""
    return page.evaluate("""key => {
      const inputs = [...document.querySelectorAll(`.st-key-${key} input[type=radio]`)];
      const words = inputs.map(i => i.closest('label').innerText.trim());
      const at = i => i < 0 ? null : i;
      return [words, at(inputs.findIndex(i => i.checked)),
              at(inputs.indexOf(document.activeElement))];
    }""", key)


def _choose(page, key: str, words: str) -> None:
    """With the focus in the radio group `key`, choose `words` with the arrow keys (or Space on
    the first choice of a group with none chosen): each choice is a value change."""
    choices, checked, at = _radio(page, key)
    target = choices.index(words)
    for _ in range(len(choices) + 1):
        if checked == target:
            break
        assert at is not None, f"the focus left {key}"
        if at == target:
            _press(page, "Space")
        else:
            _press(page, "ArrowDown" if at < target else "ArrowUp")
        choices, checked, at = _radio(page, key)
    assert (checked, at) == (target, target), (key, words, choices, checked, at)


def _select(page, key: str, words: str) -> None:
    """With the focus in the selectbox `key`, type the choice's words and press Enter."""
    page.keyboard.type(words)
    page.get_by_role("option", name=words, exact=True).wait_for(state="visible")
    _press(page, "Enter")
    assert page.locator(f".st-key-{key} input").input_value() == words


def _type(page, key: str, text: str, apply: str = "Enter") -> None:
    """With the focus in the text field `key`, type `text` and apply it with Enter (the focus
    stays) or Tab (the focus moves on, and stays on the next stop through the rerun)."""
    page.keyboard.type(text)
    _press(page, apply)
    now = _focused(page)
    if apply == "Enter":
        assert now["key"] == key, now
    else:
        assert now["key"] not in ("", key), now  # on the next stop, not lost to the page
    assert page.locator(f".st-key-{key} input").input_value() == text


def _tick(page, key: str) -> None:
    """With the focus on the tick box `key`, tick it with Space."""
    _press(page, "Space")
    now = _focused(page)
    assert (now["key"], now["checked"]) == (key, True), now


def _yes_no(content, value: bool | None) -> str:
    return content.string({True: "ui.value_yes", False: "ui.value_no"}.get(value,
                                                                         "ui.value_unknown_choice"))


def _enter_by_keyboard(page, content, steps: list[tuple[str, object]],
                       apply: str = "Enter") -> None:
    """Enter `steps` (field id or unit switch `u_<id>`, value), in the form's Tab order, by
    keyboard only. A value of a field with a unit is typed as shown; its unit switch is its own
    step (the words of the unit). A field id after "<" is reached back with Shift+Tab. Typed
    numbers are applied with `apply` (Enter, or Tab as most clinicians do)."""
    first = True
    for step, value in steps:
        back, field_id = step.startswith("<"), step.lstrip("<")
        if back:
            _tab_to(page, "f_" + field_id, limit=2, back=True)
        if field_id.startswith("u_"):
            key = field_id
            _tab_to(page, key, limit=2)
            _choose(page, key, str(value))
            continue
        factor = content.factor(field_id)
        key = "f_" + field_id
        if first:  # from the top of the page, through the header, into the form
            _tab_to(page, key, limit=20)
            first = False
        elif not back:
            _tab_to(page, key)
        if factor.kind == "yes_no" and factor.core:
            _choose(page, key, _yes_no(content, value))
        elif factor.kind == "yes_no":
            if value:
                _tick(page, key)
        elif factor.kind == "count":  # a row of choices
            _choose(page, key, str(value))
        elif factor.kind == "choice" or factor.value_labels:
            shown = view.format_value(content, factor, value)
            if page.locator(f".st-key-{key} input[type=radio]").count():
                _choose(page, key, shown)
            else:
                _select(page, key, shown)
        else:
            _type(page, key, str(value), apply)


def _engine_input(content, steps: list[tuple[str, object]]) -> dict:
    """The engine's input the screen builds from these steps (core fields always present; a
    value typed with another unit goes to that unit's field)."""
    data: dict = {f.id: None for f in content.factors if f.core and not f.alias_of}
    steps = [(step.lstrip("<"), value) for step, value in steps]
    units = {k[2:]: v for k, v in steps if k.startswith("u_")}
    for field_id, value in steps:
        if field_id.startswith("u_"):
            continue
        factor = content.factor(field_id)
        if factor.kind in ("number", "integer") and not factor.value_labels:
            typed = str(value)
            value = float(typed) if "." in typed else int(typed)  # noqa: PLW2901 - as read
        alias = next((a for a in content.aliases_of(field_id)
                      if content.factor(a).unit == units.get(field_id)), None)
        if alias:
            data[field_id] = None if factor.core else data.pop(field_id, None)
            data[alias] = value
        else:
            data[field_id] = value
    return {k: v for k, v in data.items() if v is not None or content.factor(k).core}


def _reach_sheet_panel_by_keyboard(page) -> None:
    """From the options, Tab on into the sheet panel until the focus is on its first control
    ("Tick the … that may fit best"), opening the closed section that holds the panel
    ("3. Prepare a discussion sheet for the patient") with Enter on the way: the keyboard's
    `open_sheet_panel`, and the one place these tests go through to reach the panel."""
    passed = []
    for _ in range(60):
        page.keyboard.press("Tab")
        now = _focused(page)
        if now["key"] == "tick_suggested":
            return
        if now["key"] == sheet_panel.OPEN and now["tag"] == "SUMMARY" and not now["open"]:
            _press(page, "Enter")  # open the section: the page reruns and draws the panel
            now = _focused(page)
            assert (now["key"], now["open"]) == (sheet_panel.OPEN, True), now  # focus kept
        passed.append(f"{now['key'] or now['tag']}:{now['name'][:30]}")
    pytest.fail(f"Tab did not reach the sheet panel: {passed}")


# --------------------------------------------------------------------------- patients

# Two patients a liver clinic meets, in the form's Tab order, as a clinician types them.
# Liver-only recurrence, two small tumours, cirrhosis, labs from a US laboratory: bilirubin is
# typed before its unit is switched (the unit switch comes after the field), so for a moment
# the form flags 1.2 umol/L; for albumin the clinician sets the unit first and goes back.
TWO_SMALL_TUMOURS = [
    ("recurrence_site", "liver_only"),
    ("liver_tumour_count", 2),
    ("largest_tumour_cm", "2.8"),
    ("remnant_adequate", "unknown"),
    ("completely_resectable", "yes"),
    ("portal_vein_invasion", "none"),
    ("cirrhosis", True),
    ("portal_hypertension", False),
    ("bilirubin_umol_l", "1.2"),
    ("u_bilirubin_umol_l", "mg/dL"),
    ("u_albumin_g_l", "g/dL"),  # this time the unit first (Tab passes the empty field)
    ("<albumin_g_l", "3.4"),  # then Shift+Tab back to the field
    ("inr", "1.2"),
    ("ascites", "none"),
    ("encephalopathy", "none"),
    ("ecog", 1),
    ("fit_for_major_surgery", True),
    ("transplant_candidate", False),
    ("prior_liver_transplant", False),
    ("months_since_last_curative_treatment", "14"),
    ("patient_goal", "wants_active"),
    ("afp_ng_ml", "45"),
]

# Jaundiced, decompensated cirrhosis, painful bone metastases, unsure what they want: the
# bilirubin of 22 mg/dL is flagged as very unusual (W6) and the options show only once the
# clinician confirms it (a tick box beside the warning, reached with Tab).
JAUNDICED_WITH_BONE_PAIN = [
    ("recurrence_site", "liver_and_extrahepatic"),
    ("painful_bone_metastases", True),
    ("liver_tumour_count", 3),
    ("largest_tumour_cm", "6.5"),
    ("portal_vein_invasion", "segmental"),
    ("cirrhosis", True),
    ("portal_hypertension", True),
    ("bilirubin_umol_l", "22"),
    ("u_bilirubin_umol_l", "mg/dL"),
    ("albumin_g_l", "2.6"),
    ("u_albumin_g_l", "g/dL"),
    ("inr", "1.9"),
    ("ascites", "moderate_severe"),
    ("encephalopathy", "grade_1_2"),
    ("ecog", 3),
    ("fit_for_major_surgery", False),
    ("transplant_candidate", False),
    ("prior_liver_transplant", False),
    ("months_since_last_curative_treatment", "8"),
    ("patient_goal", "unsure"),
]


# --------------------------------------------------------------------------- whole patient


@pytest.mark.hazard("H127", "H142")
@pytest.mark.parametrize("width,steps,asks,apply", [
    (1440, TWO_SMALL_TUMOURS, False, "Enter"), (1024, TWO_SMALL_TUMOURS, False, "Tab"),
    (820, JAUNDICED_WITH_BONE_PAIN, True, "Tab")],
    ids=["1440-two-small-tumours", "1024-two-small-tumours", "820-jaundiced-with-bone-pain"])
def test_a_whole_patient_is_entered_and_a_sheet_taken_by_keyboard_alone(browser, server,
                                                                        content, width, steps,
                                                                        asks, apply):
    expected = assess(_engine_input(content, steps), content)
    context, page = _keyboard_page(browser, server, width)
    try:
        _enter_by_keyboard(page, content, steps, apply)
        confirm = page.locator("[class*=st-key-confirm_]")
        assert confirm.count() == asks  # the form asks to confirm a flagged value
        if asks:  # Tab on from the last field to the tick box beside the warning, and tick it
            key = confirm.first.evaluate(
                "e => [...e.classList].find(c => c.startsWith('st-key-')).slice(7)")
            _tab_to(page, key, limit=12)
            _tick(page, key)
        wait_for_check_code(page, expected.fingerprint)
        assert _screen_code(page) == expected.fingerprint
        assert _cards(page, content) == {r.option_id: WORDS[r.verdict.value]
                                         for r in expected.results}

        # Why? of the first card, by keyboard: the focus stays on it as it opens
        first = content.options[0].id
        _tab_to(page, f"why_{first}", limit=6)
        _press(page, "Enter")
        now = _focused(page)
        assert (now["key"], now["open"]) == (f"why_{first}", True), now
        why = page.locator(f".st-key-why_{first}").inner_text()
        assert content.string("ui.why_deciding") in why

        _reach_sheet_panel_by_keyboard(page)
        fitting = [r.option_id for r in expected.results if r.verdict.value != "not_applicable"]
        ticked = fitting[:2]
        for option_id in ticked:
            _tab_to(page, f"s_opt_{option_id}", limit=len(content.options) + 1)
            _tick(page, f"s_opt_{option_id}")
        _tab_to(page, "s_confirmed", limit=40)
        _tick(page, "s_confirmed")
        _tab_to(page, "prepare", limit=4)
        _press(page, "Enter")
        page.locator(".st-key-download button").wait_for(state="visible", timeout=30_000)
        wait_for_app(page)
        _tab_to(page, "download", limit=4)
        with page.expect_download() as info:
            page.keyboard.press("Enter")
        sheet = pdf_text(Path(info.value.path()).read_bytes())
        assert expected.fingerprint in sheet
        assert all(content.option(o).name("en") in " ".join(sheet.split()) for o in ticked)
    finally:
        context.close()


# --------------------------------------------------------------------------- the error list


def _four_problems(page) -> set[str]:
    """A tick box, a list and two typed numbers in error at once; the fields the list names."""
    page.locator(".st-key-f_painful_bone_metastases label").first.click()  # E7
    wait_for_app(page)
    pick_radio(page, "f_liver_tumour_count", "0")  # E3, first field: the number of tumours
    wait_for_app(page)
    for field, typed in (("largest_tumour_cm", "big"), ("afp_ng_ml", "lots")):
        type_text(page, f"f_{field}", typed)  # not numbers
        wait_for_app(page)
    return {"painful_bone_metastases", "liver_tumour_count", "largest_tumour_cm", "afp_ng_ml"}


def _site_contradiction(page) -> set[str]:
    """Outside the liver only, yet a liver tumour entered (E4, first field: a row of choices),
    and a typed slip."""
    pick_radio(page, "f_recurrence_site", "Outside the liver only")
    wait_for_app(page)
    type_text(page, "f_afp_ng_ml", "lots")
    wait_for_app(page)
    return {"recurrence_site", "afp_ng_ml"}


@pytest.mark.hazard("H128")
@pytest.mark.parametrize("width,problems", [(1440, _four_problems), (820, _four_problems),
                                            (820, _site_contradiction)],
                         ids=["1440-four", "820-four", "820-site"])
def test_enter_on_each_error_link_then_tab_puts_the_focus_in_its_field(browser, server, content,
                                                                       width, problems):
    """Several problems at once, on a tick box, a list, two typed numbers, or a row of choices.
    Each link of the list under the options is reached with Tab and followed with Enter: the
    field's message and the field come into view, and the very next Tab puts the focus in that
    field's input (the browser starts its next Tab from the link's target, the message's
    heading, which has no link icon of its own). No JavaScript: the page's script policy is
    untouched."""
    context, page = _keyboard_page(browser, server, width)
    try:
        enter_factors(page, content, BASELINE)
        named = problems(page)
        page.locator(".st-key-msg_afp_ng_ml [data-testid='stAlertContentError']").wait_for()
        links = page.evaluate(
            "() => [...document.querySelectorAll('[data-testid=stAlertContentError] a')]"
            ".map(a => a.getAttribute('href'))")
        targets = {href: page.evaluate(
            "id => { const s = document.getElementById(id)?.closest('[class*=st-key-msg_]');"
            " return s ? [...s.classList].find(c => c.startsWith('st-key-msg_')).slice(11)"
            " : null; }", href[1:]) for href in links}
        assert set(targets.values()) == named, targets

        for href, field in targets.items():
            passed = []
            for _ in range(120):  # on through the form and the options to the list's link
                page.keyboard.press("Tab")
                now = _focused(page)
                if now["href"] == href and not now["key"].startswith("msg_"):
                    break
                passed.append(now["key"] or now["tag"])
            else:
                pytest.fail(f"Tab did not reach the link to {field}: {passed[-20:]}")
            page.keyboard.press("Enter")
            page.wait_for_function(_IN_VIEW, arg=[href[1:], f".st-key-f_{field} input"])
            page.keyboard.press("Tab")
            now = _focused(page)
            assert (now["key"], now["tag"]) == (f"f_{field}", "INPUT"), (field, now)
    finally:
        context.close()


# --------------------------------------------------------------------------- Prepare's progress

# Records, in the page, each time the sheet panel's progress line ("Preparing the sheet…") and
# the download button come or go, in the order the browser drew them (no clock is read).
PROGRESS_LOG = """words => {
  window.__progress = [];
  const now = {indicator: false, download: false};
  const look = () => {
    const box = document.querySelector('.st-key-sheet_progress');
    const shown = !!box && box.textContent.includes(words);
    const indicator = shown && box.getBoundingClientRect().height > 0;
    const download = !!document.querySelector('.st-key-download button');
    if (indicator !== now.indicator) window.__progress.push(indicator ? 'progress' : 'no progress');
    if (download !== now.download) window.__progress.push(download ? 'download' : 'no download');
    now.indicator = indicator; now.download = download;
  };
  new MutationObserver(look).observe(document.body,
                                     {childList: true, subtree: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def drawn_on_prepare(executable):
    """A server that draws each sheet only when Prepare is pressed (no sheet drawn ahead,
    PREP_SHEET_AHEAD_SECONDS=0): what every Prepare is when the sheet drawn ahead could not be
    kept (changed on the click, too old, a busy server)."""
    from tests.browser_support import running_app

    with running_app(env={"PREP_SHEET_AHEAD_SECONDS": "0"}) as served:
        yield served


@pytest.mark.hazard("H129")
def test_prepare_shows_progress_which_then_gives_way_to_the_download(browser, drawn_on_prepare,
                                                                     content):
    """Pressing Prepare (Enter on it) when the sheet must still be drawn shows "Preparing the
    sheet…" in the panel at once, and the download replaces it: the page records the order in
    which the browser drew them."""
    context, page = _keyboard_page(browser, drawn_on_prepare, 1440)
    try:
        enter_factors(page, content, BASELINE)
        ready_to_prepare(page)
        page.evaluate(PROGRESS_LOG, content.string("ui.sheet_preparing"))
        page.locator(PREPARE).focus()
        page.keyboard.press("Enter")
        page.locator(".st-key-download button").wait_for(state="visible", timeout=30_000)
        wait_for_app(page)
        log = page.evaluate("() => window.__progress")
        assert log[0] == "progress", log  # the first thing drawn after Enter
        assert sorted(log[1:]) == ["download", "no progress"], log  # it gave way to the download
        assert content.string("ui.sheet_preparing") not in page.locator(
            ".st-key-sheet_progress").inner_text()
    finally:
        context.close()


@pytest.mark.hazard("H123")
def test_a_sheet_drawn_ahead_is_offered_at_once_and_is_for_the_values_on_screen(browser, server,
                                                                                content):
    """With the review ticked the sheet is drawn ahead: a note typed afterwards replaces it,
    and Prepare then offers, without a progress line, the sheet with that note and the check
    code on screen (never the one drawn before the note)."""
    context, page = _keyboard_page(browser, server, 1440)
    try:
        enter_factors(page, content, BASELINE)
        ready_to_prepare(page, name="Ann Ahead")
        type_text(page, "s_notes", "Bring the pill box")
        wait_for_app(page)
        page.evaluate(PROGRESS_LOG, content.string("ui.sheet_preparing"))
        page.locator(PREPARE).click()
        page.locator(".st-key-download button").wait_for(state="visible", timeout=30_000)
        wait_for_app(page)
        assert page.evaluate("() => window.__progress") == ["download"]  # nothing to wait for
        data, _ = download_sheet(page)
        text = pdf_text(data)
        assert "Bring the pill box" in text and "Ann Ahead" in text
        assert _screen_code(page) in text
    finally:
        context.close()


@pytest.mark.hazard("H123")
def test_prepare_reruns_only_its_own_part_of_the_panel(browser, server, content):
    """A Prepare click reruns Prepare, the progress line and the download (a fragment inside
    the panel's fragment), not the panel's ticks and fields: fewer elements than a tick sends,
    each from a fragment, none of the form or the options."""
    from tests.test_screen_browser import _deltas_sent

    context, page = _keyboard_page(browser, server, 1440)
    try:
        enter_factors(page, content, BASELINE)
        ready_to_prepare(page)
        ticked = _deltas_sent(page, lambda: page.locator(".st-key-s_large_print label").click())
        page.locator(f"{PREPARE}:not([disabled])").wait_for(timeout=30_000)
        wait_for_app(page)
        prepared = _deltas_sent(page, lambda: (page.locator(PREPARE).click(), page.locator(
            ".st-key-download button").wait_for(state="visible", timeout=30_000)))
        assert prepared and all(d.fragment_id for d in prepared), len(prepared)
        (own,) = {d.fragment_id for d in prepared}  # one fragment: Prepare's own part
        assert {d.fragment_id for d in ticked} - {own}  # a tick reruns the panel around it
        assert 2 * len(prepared) < len(ticked), (len(prepared), len(ticked))
    finally:
        context.close()


@pytest.mark.hazard("H123")
@pytest.mark.parametrize("field", ["s_name", "s_notes"])
def test_a_detail_typed_then_prepare_clicked_without_leaving_the_field_gives_no_old_sheet(
        browser, server, content, field):
    """The blur race for the sheet's own details: a name or note typed and Prepare clicked at
    once (the click blurs the field, both reach the server). Prepare reruns alone with the
    panel's last choices; the sheet offered, if any, is the one with what was typed, never the
    one drawn ahead before it."""
    context, page = _keyboard_page(browser, server, 1440)
    try:
        enter_factors(page, content, BASELINE)
        ready_to_prepare(page, name="Ann Before")
        typed = "Ann Typed Late" if field == "s_name" else "Bring the list of pills"
        page.locator(f".st-key-{field} input, .st-key-{field} textarea").first.fill(typed)
        page.locator(PREPARE).click()  # no Tab: the click blurs the field
        wait_for_app(page)
        page.wait_for_timeout(300)
        wait_for_app(page)
        if page.locator(".st-key-download button").count():
            text = pdf_text(download_sheet(page)[0])
            assert typed in text
            assert field != "s_name" or "Ann Before" not in text
        else:  # nothing offered yet: Prepare again gives the sheet with what was typed
            page.locator(PREPARE).click()
            page.locator(".st-key-download button").wait_for(state="visible", timeout=30_000)
            assert typed in pdf_text(download_sheet(page)[0])
    finally:
        context.close()


# --------------------------------------------------------------------------- the focus outline


def _box_shot(page, locator, pad: int = 6):
    """The widget and a margin around it (a focus ring is drawn outside the box), as pixels."""
    from PIL import Image

    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    data = page.screenshot(clip={"x": box["x"] - pad, "y": box["y"] - pad,
                                 "width": box["width"] + 2 * pad,
                                 "height": box["height"] + 2 * pad})
    return Image.open(io.BytesIO(data)).convert("RGB")


def _hue(rgb: tuple[int, int, int]) -> tuple[float, float]:
    """Hue in degrees and saturation (0-1) of a colour."""
    h, _, sat = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    return h * 360, sat


def _ring(before, after) -> tuple[int, tuple[int, int, int] | None]:
    """How many pixels the focus changed, and the commonest coloured (not grey) one of them."""
    from collections import Counter

    old, new = before.tobytes(), after.tobytes()  # RGB, three bytes a pixel
    pixels = [tuple(new[i:i + 3]) for i in range(0, len(new), 3) if old[i:i + 3] != new[i:i + 3]]
    coloured = Counter(p for p in pixels if _hue(p)[1] > 0.3)
    return len(pixels), (coloured.most_common(1)[0][0] if coloured else None)


def _css_rgb(text: str) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in re.findall(r"\d+", text)[:3])
    return r, g, b


@pytest.mark.hazard("H129")
def test_the_focus_outline_is_visible_and_unlike_the_error_style(browser, server, content):
    """With an error on screen, Tab through the form's help button, a tick box, a list, a typed
    number and a row of choices: each shows that it has the focus, and on those that draw an
    outline (buttons, typed numbers, lists) its colour is blue, far in hue from the red
    of the error message (Streamlit's default outline was that red)."""
    context, page = _keyboard_page(browser, server, 1440)
    try:
        enter_factors(page, content, BASELINE)
        type_text(page, "f_afp_ng_ml", "lots")
        wait_for_app(page)
        error = page.locator("[data-testid=stAlertContentError]").first
        error.wait_for()
        red = _css_rgb(error.evaluate("e => getComputedStyle(e).color"))
        page.mouse.move(0, 0)
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        # a tick box and a row of choices show the focus as a light band across the row
        outlined = ["form_help", "f_largest_tumour_cm"]
        keys = ["form_help", "f_painful_bone_metastases", "f_liver_tumour_count",
                "f_largest_tumour_cm", "f_remnant_adequate"]  # in Tab order
        before = {k: _box_shot(page, page.locator(f".st-key-{k}")) for k in keys}
        for key in keys:
            _tab_to(page, key, limit=30)
            changed, ring = _ring(before[key], _box_shot(page, page.locator(f".st-key-{key}")))
            assert changed >= 50, (key, changed)  # the focus shows
            if key in outlined:
                assert ring is not None, key
                hue, error_hue = _hue(ring)[0], _hue(red)[0]
                distance = min(abs(hue - error_hue), 360 - abs(hue - error_hue))
                assert distance > 90, (key, ring, red)
    finally:
        context.close()


# --------------------------------------------------------------------------- New patient


@pytest.mark.hazard("H28")
def test_new_patient_is_asked_and_answered_by_keyboard_right_under_its_button(browser, server,
                                                                              content):
    context, page = _keyboard_page(browser, server, 1440)
    try:
        data = dict(BASELINE, largest_tumour_cm=2.5)
        enter_factors(page, content, data)  # the patient by mouse: this test is New patient
        wait_for_check_code(page, assess(data, content).fingerprint)
        tumour = page.locator(".st-key-f_largest_tumour_cm input")

        for answer in ("new_patient_keep", "new_patient"):
            page.locator(".st-key-new_patient_ask button").focus()  # where a Tab would land
            _press(page, "Enter")
            assert _focused(page)["key"] == "new_patient_ask"  # the focus stays on it
            assert _tab_to(page, "new_patient", limit=1) == 1  # the answer is the next stop
            if answer == "new_patient_keep":
                assert _tab_to(page, answer, limit=1) == 1
            _press(page, "Enter")
            page.locator(".st-key-new_patient").wait_for(state="detached")
            wait_for_app(page)
            if answer == "new_patient_keep":
                assert tumour.input_value() == "2.5"  # kept: nothing cleared
        page.wait_for_function(
            "() => document.querySelector('.st-key-f_largest_tumour_cm input').value === ''")
        assert page.locator(f".st-key-card_{content.options[0].id}").count() == 0
    finally:
        context.close()
