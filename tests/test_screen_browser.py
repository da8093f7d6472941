"""The consultation screen in Chromium as a clinician meets it: never stale, results in view at
1440, 1024 and 820 px, nothing cut off, keyboard-only entry, and axe-core accessibility."""

from __future__ import annotations

import itertools
import os
import re

import pytest

from dashboard.core.engine import assess
from tests.browser_support import (
    PREPARE,
    ROOT,
    SHEET_SECTION,
    download_sheet,
    enter_factors,
    open_sheet_panel,
    pick_radio,
    prepare_sheet,
    ready_to_prepare,
    type_text,
    wait_for_app,
    wait_for_check_code,
)
from tests.conftest import BASELINE, make_factors
from tests.safety_support import pdf_pages, pdf_text

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WORDS = {"applicable": "May be discussed", "caution": "Consider with caution",
         "not_applicable": "Not applicable now"}
CHECK_CODE = re.compile(r"\b[0-9A-F]{4}-[0-9A-F]{4}\b")
# Four patients a liver clinic meets (one per width run, and the last for axe).
PATIENTS = {
    "two small liver tumours, labs in US units": make_factors(
        liver_tumour_count=2, largest_tumour_cm=2.8, ecog=1, cirrhosis=True,
        child_pugh_score=None, bilirubin_umol_l=None, bilirubin_mg_dl=1.2, albumin_g_dl=3.4,
        inr=1.2, ascites="none", encephalopathy="none", remnant_adequate="unknown",
        months_since_last_curative_treatment=14),
    "segmental portal-vein invasion": make_factors(
        portal_vein_invasion="segmental", largest_tumour_cm=4.2, ecog=1),
    "lung and bone only, painful bone metastases": make_factors(
        recurrence_site="extrahepatic_only", liver_tumour_count=0, largest_tumour_cm=0,
        painful_bone_metastases=True, ecog=2),
    "after a liver transplant, declines treatment": make_factors(
        prior_liver_transplant=True, transplant_candidate=False, patient_goal="declines_active",
        child_pugh_score=7, cirrhosis=True),
}
WIDTHS = {1440: 900, 1024: 768, 820: 1180}


def _page(browser, server, width: int = 1440):
    context = browser.new_context(accept_downloads=True,
                                  viewport={"width": width, "height": WIDTHS.get(width, 900)})
    page = context.new_page()
    page.goto(server.url)
    wait_for_app(page)
    page.locator(".st-key-f_recurrence_site input").first.wait_for(state="visible")
    return context, page


def _screen_code(page) -> str:
    return CHECK_CODE.search(page.get_by_text("Check code").first.inner_text()).group(0)


def _cards(page, content) -> dict[str, str]:
    out = {}
    for option in content.options:
        text = page.locator(f".st-key-card_{option.id}").inner_text()
        out[option.id] = next(w for w in WORDS.values() if w in text)
    return out


def _prepare(page) -> None:
    prepare_sheet(page)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- never stale (H60)


@pytest.mark.hazard("H60")
def test_changing_values_after_a_sheet_leaves_no_old_verdict_and_no_old_sheet(browser, server,
                                                                              content):
    """Issue #11: ECOG 0 -> 3 and 'wants treatment' -> 'declines' after the options and a
    prepared sheet, without pressing anything else."""
    context, page = _page(browser, server)
    try:
        enter_factors(page, content, BASELINE)
        _prepare(page)
        old = assess(BASELINE, content)
        assert _screen_code(page) == old.fingerprint

        pick_radio(page, "f_ecog", "3 – limited self-care, in bed or chair more than half the day")
        wait_for_app(page)
        pick_radio(page, "f_patient_goal", "Does not want active treatment now")
        wait_for_app(page)

        new = assess(make_factors(ecog=3, patient_goal="declines_active"), content)
        wait_for_check_code(page, new.fingerprint)  # both clicks have reached the server
        assert page.locator(".st-key-download").count() == 0
        assert _screen_code(page) == new.fingerprint != old.fingerprint
        assert _cards(page, content) == {r.option_id: WORDS[r.verdict.value]
                                         for r in new.results}
        assert old.fingerprint not in page.inner_text("body")
        _prepare(page)
        text = pdf_text(download_sheet(page)[0])
        assert new.fingerprint in text and old.fingerprint not in text
    finally:
        context.close()


@pytest.mark.hazard("H122")
def test_a_sheet_section_closed_then_reopened_after_a_change_offers_no_old_sheet(browser, server,
                                                                                 content):
    """The sheet panel is drawn only while its section is open: a sheet prepared, a slip in the
    form, the section closed, a value changed, the section opened again. The name typed shows
    in its field after each (Streamlit forgets a widget a run does not draw), nothing was
    downloadable meanwhile, the old sheet is withdrawn, and the next one carries the new check
    code."""
    context, page = _page(browser, server)
    try:
        enter_factors(page, content, BASELINE)
        _prepare(page)
        type_text(page, "s_name", "Ann Closed")
        wait_for_app(page)
        type_text(page, "f_largest_tumour_cm", "2.5cm")  # a slip: no options, no panel
        page.locator(PREPARE).wait_for(state="detached", timeout=30_000)
        type_text(page, "f_largest_tumour_cm", "2.5")
        page.locator(".st-key-s_name input").wait_for(timeout=30_000)
        wait_for_app(page)
        assert page.locator(".st-key-s_name input").input_value() == "Ann Closed"
        old = assess(BASELINE, content)
        page.locator(f"{SHEET_SECTION} summary").first.click()  # closed: the panel goes
        page.locator(PREPARE).wait_for(state="detached", timeout=30_000)
        wait_for_app(page)
        assert page.locator(".st-key-download").count() == 0

        type_text(page, "f_largest_tumour_cm", "3.1")
        new = assess(make_factors(largest_tumour_cm=3.1), content)
        wait_for_check_code(page, new.fingerprint)
        assert page.locator(".st-key-download").count() == 0
        open_sheet_panel(page)

        assert page.locator(".st-key-s_name input").input_value() == "Ann Closed"
        assert page.locator(".st-key-download").count() == 0
        assert not page.locator(".st-key-s_confirmed input").is_checked()  # asked again
        assert old.fingerprint not in page.inner_text("body")
        prepare_sheet(page, tick=False, name="Ann Closed")  # the ticks were kept
        text = pdf_text(download_sheet(page)[0])
        assert new.fingerprint in text and old.fingerprint not in text
        assert "Ann Closed" in text
    finally:
        context.close()


@pytest.mark.hazard("H60")
def test_a_value_typed_then_prepare_clicked_without_leaving_the_field_never_gives_an_old_sheet(
        browser, server, content):
    """The blur race: the typed value reaches the server with the Prepare click. The sheet
    panel reruns alone (a fragment) with the options it was drawn with, so without a guard it
    would print the old values; instead the page reruns, and any sheet offered carries the
    check code on screen, which is that of the value typed."""
    context, page = _page(browser, server)
    try:
        enter_factors(page, content, BASELINE)
        ready_to_prepare(page)
        old = assess(BASELINE, content)
        new = assess(make_factors(largest_tumour_cm=7), content)
        assert _screen_code(page) == old.fingerprint != new.fingerprint

        page.locator(".st-key-f_largest_tumour_cm input").fill("7")  # no Tab: still focused
        page.locator(PREPARE).click()  # the click blurs the field: both reach the server

        wait_for_check_code(page, new.fingerprint)
        assert _screen_code(page) == new.fingerprint
        assert old.fingerprint not in page.inner_text("body")
        if page.locator(".st-key-download").count():  # a sheet, if any, is for the new value
            assert new.fingerprint in pdf_text(download_sheet(page)[0])
        else:  # no sheet: the review is asked again for the new options
            assert not page.locator(".st-key-s_confirmed input").is_checked()
    finally:
        context.close()


# --------------------------------------------------------------------------- French sheet (#14)


@pytest.mark.hazard("H66")
def test_a_french_sheet_prepared_on_screen_is_in_french_and_its_labels_say_so(browser, server,
                                                                              content):
    context, page = _page(browser, server)
    try:
        enter_factors(page, content, BASELINE)
        ready_to_prepare(page, language="French (français)")
        panel = page.locator('[data-testid="stMain"]').inner_text()
        pages_shown = re.search(r"(\d+) pages?, in French \(français\), on US Letter", panel)
        assert pages_shown, "no page count beside Prepare"
        assert "French" in page.locator(PREPARE).inner_text()
        ticked = [o for o in content.options
                  if page.locator(f".st-key-s_opt_{o.id} input").is_checked()]

        page.locator(PREPARE).click()
        page.locator(".st-key-download button").wait_for(state="visible", timeout=30_000)
        wait_for_app(page)
        assert "French" in page.get_by_text("Sheet ready").inner_text()
        assert "French" in page.locator(".st-key-download button").inner_text()
        data, _ = download_sheet(page)
        sheets = pdf_pages(data)
        text = _one_line(" ".join(sheets))

        assert len(sheets) == int(pages_shown.group(1))  # the count shown was the sheet's
        assert _screen_code(page) in text
        assert _one_line(content.string("sheet.footer_disclaimer", "fr")) in text
        assert _one_line(content.string("sheet.footer_disclaimer", "en")) not in text
        assert ticked and all(_one_line(o.name("fr")) in text for o in ticked)
    finally:
        context.close()


@pytest.mark.hazard("H60")
def test_a_typed_number_updates_the_options_when_the_field_is_left(browser, server, content):
    context, page = _page(browser, server)
    try:
        enter_factors(page, content, BASELINE)
        before = _cards(page, content)

        type_text(page, "f_largest_tumour_cm", "7")
        expected = assess(make_factors(largest_tumour_cm=7), content)
        # the rerun starts only when the blur reaches the server: wait for the new check code
        # (bounded), then compare every card
        wait_for_check_code(page, expected.fingerprint)
        assert _cards(page, content) == {r.option_id: WORDS[r.verdict.value]
                                         for r in expected.results} != before
        assert _screen_code(page) == expected.fingerprint
    finally:
        context.close()


# --------------------------------------------------------------------------- layout


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.hazard("H63")
def test_form_and_options_are_usable_together_and_nothing_is_cut_off(browser, server, content,
                                                                     width, tmp_path):
    name = list(PATIENTS)[list(WIDTHS).index(width)]
    context, page = _page(browser, server, width)
    try:
        enter_factors(page, content, PATIENTS[name])
        page.locator(".st-key-card_resection").get_by_text("Why?").click()  # narrowest text
        # Several cards a row: the open one then takes the whole row (bounded wait: the page
        # reruns to draw the panel, and the card moves to a cell of its own).
        page.wait_for_function(_OPEN_CARD_TAKES_THE_ROW, timeout=30_000)
        wait_for_app(page)
        page.mouse.move(0, 0)
        page.locator(".st-key-factor_form").scroll_into_view_if_needed()
        form = page.locator(".st-key-factor_form").bounding_box()
        cards = page.locator(".st-key-card_resection").bounding_box()
        if width >= 1024:  # side by side: both start within the first screenful
            assert cards["x"] > form["x"] + form["width"] - 1
            assert abs(cards["y"] - form["y"]) < WIDTHS[width]
        else:  # one column: the options follow the form
            assert cards["y"] > form["y"] + form["height"] - 1
        clipped = page.evaluate(CLIPPED_JS)
        assert clipped == [], clipped
        page.screenshot(path=str(tmp_path / f"screen-{width}.png"))
    finally:
        context.close()


_OPEN_CARD_TAKES_THE_ROW = """() => {
  const box = k => document.querySelector('.st-key-' + k)?.getBoundingClientRect();
  const opened = box('card_resection'), closed = box('card_transplant'), pane = box('cards');
  if (!opened || !closed || !pane || !document.querySelector(
      '.st-key-card_resection [data-testid="stExpanderDetails"]')) return false;
  return closed.width >= pane.width / 2 || opened.width > pane.width * 0.9;
}"""


# Text that does not fit its box: a selectbox value cut with an ellipsis, a label or a radio
# option wider than its container, a table wider than its pane without a scroll bar.
CLIPPED_JS = """() => {
  const out = [];
  const seen = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  for (const el of document.querySelectorAll('[data-testid="stMain"] *')) {
    if (!seen(el) || !el.innerText || el.children.length > 3) continue;
    const style = getComputedStyle(el);
    const cut = style.textOverflow === 'ellipsis' || style.overflow === 'hidden';
    if (cut && el.scrollWidth > el.clientWidth + 1) out.push(el.innerText.slice(0, 40));
  }
  for (const el of document.querySelectorAll('[data-testid="stTable"]')) {
    const box = el.parentElement;
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
    if (seen(el) && el.scrollWidth > box.clientWidth + 1 && !scrolls) out.push('table');
  }
  return out;
}"""


# --------------------------------------------------------------------------- keyboard, a11y


@pytest.mark.hazard("H64")
def test_a_value_can_be_entered_by_keyboard_with_one_tab_stop_per_field(browser, server):
    context, page = _page(browser, server)
    try:
        page.locator(".st-key-f_recurrence_site input").first.focus()
        page.keyboard.press("Space")  # the first choice: liver only
        # The first value shows the options: wait for that run (bounded) before moving on, or
        # on a loaded machine the Tabs race the rerun that the choice starts.
        page.locator(".st-key-card_resection").wait_for(state="visible", timeout=30_000)
        wait_for_app(page)
        stops = 0
        in_size = ("() => document.activeElement.closest('.st-key-f_largest_tumour_cm')"
                   " !== null")
        while not page.evaluate(in_size) and stops < 40:
            page.keyboard.press("Tab")
            stops += 1
        page.keyboard.type("2.5")
        page.keyboard.press("Tab")
        wait_for_app(page)

        assert stops <= 6  # site, its tick boxes, tumour count: no help icon in between
        page.locator(".st-key-card_resection").wait_for(state="visible", timeout=30_000)
        assert page.locator(".st-key-f_largest_tumour_cm input").input_value() == "2.5"
    finally:
        context.close()


@pytest.mark.hazard("H64")
def test_labels_read_cleanly_and_headings_keep_their_order(browser, server, content):
    context, page = _page(browser, server)
    try:
        enter_factors(page, content, PATIENTS["segmental portal-vein invasion"])
        names = page.evaluate("() => [...document.querySelectorAll('input, [aria-label]')]"
                              ".map(e => e.getAttribute('aria-label') || (e.labels && e.labels[0]"
                              " ? e.labels[0].innerText : '')).filter(Boolean)")
        labels = page.locator('[data-testid="stWidgetLabel"]').all_inner_texts()
        levels = page.evaluate("() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]"
                               ".filter(h => h.innerText.trim()).map(h => +h.tagName[1])")

        assert not [n for n in names + labels if "\\" in n]
        assert "Child-Pugh score" in labels
        assert levels[0] == 1
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    finally:
        context.close()


@pytest.mark.hazard("H64")
def test_axe_core_finds_no_serious_or_critical_violation(browser, server, content):
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core is missing: `make test` installs it with npm "
                        "(.ci/run installs npm)")
        pytest.skip("axe-core accessibility check skipped: npm is not installed (apt-get install "
                    "npm, then make test)")
    context, page = _page(browser, server)
    try:
        enter_factors(page, content, PATIENTS["after a liver transplant, declines treatment"])
        open_sheet_panel(page)  # the sheet panel is checked too
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => (await axe.run(document, {resultTypes: "
                               "['violations']})).violations.map(v => ({id: v.id, impact: "
                               "v.impact, nodes: v.nodes.length, help: v.help}))")
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        assert bad == [], bad
    finally:
        context.close()



# --------------------------------------------------------------------------- the error list


@pytest.mark.hazard("H121")
@pytest.mark.parametrize("width", [1440, 820])
def test_each_link_in_the_error_list_puts_its_field_in_view(browser, server, content, width):
    """Two problems at once: each link of the list under the options targets the heading of
    its own message, which sits right above the field it names (not the group heading).
    Following a link shows the message and the field's input, whole, in the viewport and in
    the form's own scrolling pane; from there one Tab press puts the keyboard in the input (the
    heading has no link icon of its own, H128; Streamlit gives a field no anchor and moving the
    focus would need JavaScript). Headings stay in order and axe-core finds no serious or
    critical violation with the messages shown."""
    context, page = _page(browser, server, width)
    try:
        enter_factors(page, content, BASELINE)
        type_text(page, "f_largest_tumour_cm", "big")
        wait_for_app(page)
        type_text(page, "f_afp_ng_ml", "lots")
        wait_for_app(page)
        page.locator(".st-key-msg_afp_ng_ml [data-testid='stAlertContentError']").wait_for()
        links = page.evaluate(
            "() => [...document.querySelectorAll('[data-testid=stAlertContentError] a')]"
            ".filter(a => !a.closest('[class*=st-key-msg_]'))"
            ".map(a => ({href: a.getAttribute('href'), text: a.innerText}))")
        assert len(links) == 2, links
        for link, field in zip(links, ("largest_tumour_cm", "afp_ng_ml")):
            label = content.factor(field).label["en"]
            assert link["text"] == label
            slot = page.evaluate("id => { const t = document.getElementById(id); const s = t &&"
                                 " t.closest('[class*=st-key-msg_]'); return s ? [...s.classList]"
                                 ".find(c => c.startsWith('st-key-msg_')) : null; }",
                                 link["href"][1:])
            assert slot == f"st-key-msg_{field}", (link, slot)
        for link, field in zip([*links, *links], ("largest_tumour_cm", "afp_ng_ml") * 2):
            page.locator(f"a[href='{link['href']}']:not([aria-label='Link to heading'])").click()
            page.wait_for_function(_IN_VIEW, arg=[link["href"][1:], f".st-key-f_{field} input"])
            page.keyboard.press("Tab")  # the next stop after the message is the field (H128)
            assert page.evaluate("k => !!document.activeElement.closest('.' + k)",
                                 f"st-key-f_{field}"), f"one Tab after the link missed {field}"
        levels = page.evaluate("() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]"
                               ".filter(h => h.innerText.trim()).map(h => +h.tagName[1])")
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
        if AXE.exists():
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("async () => (await axe.run(document, {resultTypes: "
                                   "['violations']})).violations.map(v => ({id: v.id, impact: "
                                   "v.impact, help: v.help}))")
            assert [v for v in result if v["impact"] in ("serious", "critical")] == []
    finally:
        context.close()


# The message's heading and the field's input are both whole inside the viewport and inside
# every scrolling box around them (the form's pane scrolls on its own).
_IN_VIEW = """([id, input]) => {
  const els = [document.getElementById(id), document.querySelector(input)];
  if (els.some(e => !e)) return false;
  return els.every(e => {
    const r = e.getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) return false;
    for (let p = e.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p).overflowY;
      if (s !== 'auto' && s !== 'scroll') continue;
      const b = p.getBoundingClientRect();
      if (r.top < b.top - 1 || r.bottom > b.bottom + 1) return false;
    }
    return true;
  });
}"""


# --------------------------------------------------------------------------- the sheet panel


def _deltas_sent(page, action) -> list:
    """The Delta messages the server sends while `action` runs (read through Chromium's
    DevTools protocol), each as Streamlit's own protobuf."""
    import base64

    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    frames: list[dict] = []
    cdp.on("Network.webSocketFrameReceived", lambda e: frames.append(e["response"]))
    action()
    wait_for_app(page)
    page.wait_for_timeout(500)  # the last frames of the run
    deltas = []
    for frame in frames:
        message = ForwardMsg()
        message.ParseFromString(base64.b64decode(frame["payloadData"]) if frame["opcode"] == 2
                                else frame["payloadData"].encode())
        if message.WhichOneof("type") == "delta":
            deltas.append(message.delta)
    cdp.detach()
    return deltas


def test_a_tick_in_the_sheet_panel_reruns_the_panel_only(browser, server, content):
    """A tick (or a typed sheet detail) reruns the sheet panel's fragment: every element the
    server sends for it belongs to that fragment, none of the form or the options; a change of
    a patient value, by contrast, reruns the whole page (the options must follow it)."""
    context, page = _page(browser, server)
    try:
        enter_factors(page, content, BASELINE)
        open_sheet_panel(page)
        ticked = _deltas_sent(page, lambda: page.locator(".st-key-s_opt_tace label").click())
        assert ticked and all(d.fragment_id for d in ticked), len(ticked)
        assert page.locator(".st-key-s_opt_tace input").is_checked()
        code = assess(make_factors(largest_tumour_cm=2.7), content).fingerprint
        changed = _deltas_sent(page, lambda: (type_text(page, "f_largest_tumour_cm", "2.7"),
                                              wait_for_check_code(page, code)))  # the run is on
        assert any(not d.fragment_id for d in changed)
        assert len(changed) > 2 * len(ticked)
    finally:
        context.close()
