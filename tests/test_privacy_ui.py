"""Privacy sweep of the consultation screen in a real browser (case 40, PRIV-9, PRIV-10, PRIV-12).

A dashboard server runs in a sandbox (its own HOME, TMPDIR and caches; stdout and stderr kept).
Session A puts a marker unique to this run into every free-text field of the screen and runs
every path: a refused number, results, a name the sheet cannot print, the "will print as"
echo, a prepared and downloaded sheet, New patient. Session B, at the same time, does the same
with its own marker. Afterwards each marker may be found only in its own session's sheet (and
on its own screen): never in the other session, the server's output, a URL or request, a file
name, the PDF's metadata, the browser's storage, the sandbox folders or the repository. The
command-line half of the sweep is tests/test_privacy.py; caches shared between sessions in one
process are checked by tests/test_bad_inputs_ui.py (case 31).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_support import (
    chromium,
    new_patient,
    open_sheet_panel,
    tick_suggested,
    wait_for_app,
)
from tests.conftest import ROOT, require_browser
from tests.safety_support import hits, new_marker, pdf_metadata_strings, pdf_text
from tests.ui_safety_support import sandboxed_server, stop_sandboxed_server

pytestmark = pytest.mark.browser

FREE_TEXT = ("s_name", "s_clinician", "s_phone", "s_notes")


def _type(page, key: str, value: str) -> None:
    field = page.locator(f".st-key-{key} input, .st-key-{key} textarea").first
    field.fill(value)
    field.press("Tab")
    wait_for_app(page)


def _session(browser, url: str, marker: str) -> dict:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    wait_for_app(page)
    screens = []

    # 1. a number field holding text: refused beside the field, no results
    _type(page, "f_largest_tumour_cm", f"{marker}x")  # within the field's 20 characters
    page.locator(".st-key-msg_largest_tumour_cm [data-testid='stAlertContentError']").wait_for(
        timeout=30_000)
    wait_for_app(page)
    assert page.locator(".st-key-card_resection").count() == 0
    screens.append(page.inner_text("body"))

    # 2. corrected: results
    _type(page, "f_largest_tumour_cm", "2.5")
    page.locator(".st-key-card_resection").wait_for(state="visible", timeout=30_000)
    wait_for_app(page)

    # 3. every free-text field of the sheet, a name the sheet cannot print: refused
    open_sheet_panel(page)
    for key in FREE_TEXT:
        _type(page, key, f"{marker}-{key}")
    tick_suggested(page)
    _type(page, "s_name", f"{marker}-name 😀")
    page.locator(".st-key-s_confirmed label").click()
    wait_for_app(page)
    page.locator(".st-key-prepare button").click()
    page.get_by_text("cannot print", exact=False).first.wait_for(timeout=30_000)
    wait_for_app(page)
    assert page.locator(".st-key-download").count() == 0
    screens.append(page.inner_text("body"))

    # 4. a name with an invisible character (echoed as "will print as"), prepared, downloaded
    _type(page, "s_name", f"{marker}-name\u200b")
    page.locator(".st-key-prepare button").click()
    button = page.locator(".st-key-download button")
    button.wait_for(state="visible", timeout=30_000)
    wait_for_app(page)
    with page.expect_download() as info:
        button.click()
    download = info.value
    pdf = Path(download.path()).read_bytes()
    screens.append(page.inner_text("body"))
    storage = page.evaluate("() => JSON.stringify([Object.entries(localStorage), "
                            "Object.entries(sessionStorage), document.cookie])")

    # 5. New patient
    new_patient(page)
    page.locator(".st-key-card_resection").wait_for(state="detached", timeout=30_000)
    wait_for_app(page)
    after_reset = page.inner_text("body")
    urls = [page.url, download.url]
    context.close()
    return {"marker": marker, "pdf": pdf, "file_name": download.suggested_filename,
            "requests": requests, "urls": urls, "screens": screens, "storage": storage,
            "after_reset": after_reset}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    executable = require_browser()
    server = sandboxed_server(tmp_path_factory.mktemp("privacy-ui"))
    try:
        with chromium(executable) as browser:
            a = _session(browser, server.url, new_marker("CanaryA"))
            b = _session(browser, server.url, new_marker("CanaryB"))
    finally:
        output = stop_sandboxed_server(server)
    return {"sessions": [a, b], "output": output, "server": server}


@pytest.mark.bad_input_case(40)
def test_case_40_each_marker_reaches_its_own_sheet_and_only_that_sheet(sweep):
    a, b = sweep["sessions"]
    for own, other in [(a, b), (b, a)]:
        # Without white space: a long unbroken value wraps inside its half of the header.
        text = "".join(pdf_text(own["pdf"]).split())
        for key in ("s_clinician", "s_phone", "s_notes"):
            assert f"{own['marker']}-{key}" in text, key
        assert f"{own['marker']}-name" in text
        assert other["marker"] not in text
        assert other["marker"] not in " ".join(own["screens"])


@pytest.mark.hazard("H17")
@pytest.mark.bad_input_case(40)
def test_case_40_no_marker_in_the_server_output(sweep):
    for session in sweep["sessions"]:
        assert session["marker"] not in sweep["output"]
    assert "Traceback" not in sweep["output"]


@pytest.mark.hazard("H17")
@pytest.mark.bad_input_case(40)
def test_case_40_no_marker_in_urls_requests_file_names_or_pdf_metadata(sweep):
    for session in sweep["sessions"]:
        marker = session["marker"]
        assert [u for u in session["urls"] + session["requests"] if marker in u] == []
        assert marker not in session["file_name"]
        assert [m for m in pdf_metadata_strings(session["pdf"]) if marker in m] == []


@pytest.mark.hazard("H17")
@pytest.mark.bad_input_case(40)
def test_case_40_no_marker_in_browser_storage_or_on_screen_after_new_patient(sweep):
    for session in sweep["sessions"]:
        assert session["marker"] not in session["storage"]
        assert session["marker"] not in session["after_reset"]


@pytest.mark.hazard("H17")
@pytest.mark.bad_input_case(40)
def test_case_40_no_marker_in_the_servers_folders_or_the_repository(sweep):
    server = sweep["server"]
    for session in sweep["sessions"]:
        assert hits([server.box.root, ROOT], session["marker"]) == []


@pytest.mark.hazard("H30")
@pytest.mark.bad_input_case(40)
def test_case_40_the_screen_never_called_out_of_the_clinic(sweep):
    """Egress (PRIV-1): every request of every session went to the dashboard server itself."""
    server = sweep["server"]
    for session in sweep["sessions"]:
        outside = [u for u in session["requests"]
                   if not u.startswith((server.url, "data:", "blob:"))]
        assert outside == []
