"""The bad-input and fault cases that need a real browser or a real server on loopback.

One sandboxed dashboard server for the module (its own HOME and TMPDIR; stdout and stderr kept),
one headless Chromium. Case 33 (server restart) starts and stops servers of its own. The HTTP
and socket cases (38, 39) talk to the server directly.
"""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import tests.ui_safety_support as support
from tests.browser_support import (
    download_sheet,
    new_patient,
    open_sheet_panel,
    prepare_sheet,
    ready_to_prepare,
    wait_for_app,
)
from tests.safety_support import new_marker, pdf_text
from tests.ui_safety_support import read_output, sandboxed_server, stop_sandboxed_server

pytestmark = pytest.mark.browser

CHECK_CODE = re.compile(r"\b[0-9A-F]{4}-[0-9A-F]{4}\b")
INJECTION = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
             "**Bob** :smile: email:a@b.ca", "$x$ costs $5 and $y$",
             "[x](javascript:alert(1)) ![](http://example.invalid/p.png)"]


@pytest.fixture(scope="module")
def server(executable, tmp_path_factory):
    server = sandboxed_server(tmp_path_factory.mktemp("bad-inputs-browser"))
    yield server
    stop_sandboxed_server(server)


@pytest.fixture
def page(browser, server):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.requests = []
    page.dialogs = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server.url)
    wait_for_app(page)
    yield page
    context.close()


def _type(page, key: str, value: str) -> None:
    field = page.locator(f".st-key-{key} input, .st-key-{key} textarea").first
    field.fill(value)
    field.press("Tab")
    wait_for_app(page)


def _show_options(page, size: str = "2.5") -> None:
    """Type a tumour size: the options appear as soon as a value is entered (live form)."""
    _type(page, "f_largest_tumour_cm", size)
    page.locator(".st-key-card_resection").wait_for(state="visible", timeout=30_000)
    wait_for_app(page)


def _prepare(page, name: str) -> None:
    prepare_sheet(page, name=name)


def _download(page) -> tuple[bytes, str, list[str]]:
    """The downloaded bytes, the file name offered, and the URL the file came from."""
    data, download = download_sheet(page)
    return data, download.suggested_filename, [download.url]


def assess_code(values: dict) -> str:
    """The check code of these values with every other field empty, as the form sends it."""
    from dashboard.core.engine import assess
    from dashboard.core.loader import load_content

    content = load_content()
    empty = {f.id: (None if f.core else False) for f in content.factors
             if not f.alias_of and (f.core or f.kind == "yes_no")}
    return assess({**empty, **values}, content).fingerprint


def _screen_code(page) -> str:
    return CHECK_CODE.search(page.get_by_text("Check code").first.inner_text()).group(0)


# --------------------------------------------------------------------------- 13-16 literal


@pytest.mark.hazard("H12", "H30")
@pytest.mark.bad_input_case(13, 14, 15, 16)
@pytest.mark.parametrize("text", INJECTION)
def test_case_13_14_15_16_user_text_shows_literally_and_creates_no_element(page, server, text):
    """A zero-width space makes the screen echo the text ("will print as"), so the literal
    rendering of user text on screen can be compared with what was typed."""
    _show_options(page)
    open_sheet_panel(page)
    _type(page, "s_notes", text)
    _prepare(page, f"{text}\u200b")

    echo = page.get_by_text("Patient name will print as:", exact=False).first
    assert echo.inner_text().strip() == f"Patient name will print as: {text}"
    assert page.locator(".st-key-s_name input").input_value() == f"{text}\u200b"
    assert page.locator(".st-key-s_notes textarea").input_value() == text
    created = page.evaluate("""() => ({
        scripts: [...document.scripts].filter(s => s.textContent.includes('alert(1)')).length,
        images: document.querySelectorAll('img[src="x"], img[onerror], img[src*="example"]').length,
        links: document.querySelectorAll('a[href^="javascript"], a[href*="example.invalid"]')
            .length,
        katex: document.querySelectorAll('.katex, .katex-mathml').length,
        bold: [...document.querySelectorAll('strong, b')]
            .filter(e => e.textContent === 'Bob').length,
    })""")
    assert created == {"scripts": 0, "images": 0, "links": 0, "katex": 0, "bold": 0}
    assert page.dialogs == []
    outside = [u for u in page.requests if not u.startswith((server.url, "data:", "blob:"))]
    assert outside == []
    data, _, _ = _download(page)
    assert text in pdf_text(data)


# --------------------------------------------------------------------------- 21 decimal comma


@pytest.mark.hazard("H21")
@pytest.mark.bad_input_case(21)
@pytest.mark.parametrize("locale", ["en-CA", "fr-CA"])
def test_case_21_a_decimal_comma_typed_in_the_browser_is_refused_never_read_as_25(
        browser, server, locale):
    context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(server.url)
        wait_for_app(page)
        field = page.locator(".st-key-f_largest_tumour_cm input")
        field.click()
        page.keyboard.type("2,5")  # typed key by key, as a clinician does
        field.press("Tab")
        assert field.input_value() == "2,5"
        page.locator(".st-key-msg_largest_tumour_cm [data-testid='stAlertContentError']").wait_for(
            timeout=30_000)
        wait_for_app(page)
        assert "decimal point" in page.locator(".st-key-msg_largest_tumour_cm").inner_text()
        assert page.locator(".st-key-card_resection").count() == 0
    finally:
        context.close()


# --------------------------------------------------------------------------- 32-34 sessions


@pytest.mark.hazard("H07", "H18", "H28", "H29", "H80")
@pytest.mark.bad_input_case(32)
def test_case_32_new_patient_after_an_export_empties_the_form_and_kills_the_old_link(page,
                                                                                    content):
    from dashboard.core.engine import assess

    marker = new_marker()
    _type(page, "f_bilirubin_umol_l", "40")
    page.locator(".st-key-u_bilirubin_umol_l").get_by_text("mg/dL", exact=True).click()
    wait_for_app(page)
    page.locator(".st-key-f_cirrhosis").get_by_text("Yes", exact=True).click()
    wait_for_app(page)
    page.locator(".st-key-f_ablation_site_risky label").first.click()
    wait_for_app(page)
    _type(page, "f_largest_tumour_cm", "2.5")
    code = assess_code({"bilirubin_mg_dl": 40, "cirrhosis": True, "ablation_site_risky": True,
                        "largest_tumour_cm": 2.5})
    confirm = page.locator(f".st-key-confirm_W6_{code} label")  # W6: 40 mg/dL, these values
    confirm.wait_for(state="visible", timeout=30_000)
    confirm.click()
    page.locator(".st-key-card_resection").wait_for(state="visible", timeout=30_000)
    wait_for_app(page)
    _prepare(page, marker)
    data, name, media = _download(page)
    assert marker in pdf_text(data) and marker not in name
    assert "/media/" in media[0] and marker not in media[0]
    # served before the reset, to this browser only (dashboard/web/guard.py)
    assert page.context.request.get(media[0], fail_on_status_code=False).status == 200

    new_patient(page)
    page.locator(".st-key-card_resection").wait_for(state="detached", timeout=30_000)
    wait_for_app(page)

    with pytest.raises(urllib.error.HTTPError) as gone:  # the old sheet is gone at once
        urllib.request.urlopen(media[0], timeout=10)
    assert gone.value.code == 404
    assert page.context.request.get(media[0], fail_on_status_code=False).status == 404
    assert page.locator(".st-key-download").count() == 0
    assert marker not in page.inner_text("body")
    # Every widget of the form is empty again in the browser, not only on the server ...
    for key in ("f_largest_tumour_cm", "f_bilirubin_umol_l"):
        assert page.locator(f".st-key-{key} input").input_value() == "", key
    assert page.locator(".st-key-f_cirrhosis input:checked").count() == 0
    assert page.locator(".st-key-f_ablation_site_risky input:checked").count() == 0
    assert page.locator(".st-key-u_bilirubin_umol_l input:checked + div, "
                        ".st-key-u_bilirubin_umol_l label:has(input:checked)").first \
        .inner_text().strip() == "µmol/L"
    # ... so the next value typed is assessed with an empty form, not the previous patient.
    assert page.locator(".st-key-card_resection").count() == 0
    _show_options(page, "2.5")
    empty = {f.id: (None if f.core else False) for f in content.factors
             if not f.alias_of and (f.core or f.kind == "yes_no")}  # as the form sends it
    assert _screen_code(page) == assess({**empty, "largest_tumour_cm": 2.5},
                                        content).fingerprint


@pytest.mark.hazard("H08")
@pytest.mark.bad_input_case(34)
def test_case_34_a_double_click_gives_one_sheet_matching_the_screen(page):
    _show_options(page, "3.5")
    ready_to_prepare(page, name="Ann Double")
    page.locator(".st-key-prepare button").dblclick()
    page.locator(".st-key-download button").wait_for(state="visible", timeout=30_000)
    wait_for_app(page)
    page.locator(".st-key-prepare button").click()  # and once more while it is shown
    wait_for_app(page)

    assert page.locator(".st-key-download button").count() == 1
    assert page.get_by_text("Sheet ready").count() == 1
    data, _, _ = _download(page)
    text = pdf_text(data)
    assert _screen_code(page) in text and "Ann Double" in text


@pytest.mark.hazard("H15")
@pytest.mark.bad_input_case(33)
def test_case_33_after_a_server_restart_no_stale_sheet_is_served_and_nothing_is_lost(
        browser, tmp_path, monkeypatch):
    first = sandboxed_server(tmp_path / "first")
    port = first.port
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    second = None
    try:
        page.goto(first.url)
        wait_for_app(page)
        _show_options(page, "4.5")
        code = _screen_code(page)
        _prepare(page, "Ann Restart")
        _, _, media = _download(page)

        stop_sandboxed_server(first)
        page.get_by_text("Connecting", exact=False).first.wait_for(timeout=30_000)
        monkeypatch.setattr(support, "free_port", lambda: port)
        second = sandboxed_server(tmp_path / "second")
        page.wait_for_function("() => !document.body.innerText.includes('CONNECTING')",
                               timeout=60_000)

        # The sheet of the ended session is gone from the server: never served stale.
        with pytest.raises(urllib.error.HTTPError) as gone:
            urllib.request.urlopen(media[0], timeout=10)
        assert gone.value.code == 404
        # The first action after the restart starts a new session: the old sheet disappears,
        # the typed values stay in the form, and the options are those of the values on
        # screen (the form is live), with no sheet until it is prepared again.
        assert page.locator(".st-key-f_largest_tumour_cm input").input_value() == "4.5"
        page.locator(".st-key-f_cirrhosis").get_by_text("No", exact=True).click()
        page.wait_for_function("() => !document.querySelector('.st-key-download')",
                               timeout=30_000)
        page.locator(".st-key-card_resection").wait_for(state="visible", timeout=30_000)
        wait_for_app(page)
        assert page.locator(".st-key-f_largest_tumour_cm input").input_value() == "4.5"
        code = assess_code({"largest_tumour_cm": 4.5, "cirrhosis": False})
        assert _screen_code(page) == code
        assert page.locator(".st-key-download").count() == 0
    finally:
        context.close()
        if second is not None:
            stop_sandboxed_server(second)
        if first.process.poll() is None:
            stop_sandboxed_server(first)


# --------------------------------------------------------------------------- 38-39 network


def _http(server, method: str, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(method, path, body=b"x" * 16, headers=headers or {})
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


@pytest.mark.hazard("H18")
@pytest.mark.bad_input_case(38)
def test_case_38_a_cross_site_request_without_the_xsrf_token_is_rejected(server):
    upload = "/_stcore/upload_file/some-session/some-file"
    assert _http(server, "PUT", upload)[0] == 403
    assert _http(server, "PUT", upload, {"Origin": "http://evil.example",
                                         "Cookie": "_streamlit_xsrf=2|00|00|0"})[0] == 403
    # Control: with the server's own XSRF cookie and header the request passes the XSRF check
    # (and only then fails on the made-up session), so the 403s above were the XSRF check.
    cookie = _http(server, "GET", "/_stcore/health")[1]["set-cookie"].split(";")[0]
    token = cookie.split("=", 1)[1]
    status, _, body = _http(server, "PUT", upload, {"Cookie": cookie, "X-Xsrftoken": token})
    assert status == 400 and b"session" in body


@pytest.mark.hazard("H18")
@pytest.mark.bad_input_case(38)
def test_case_38_a_websocket_from_another_origin_or_host_name_is_refused(server):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    url = f"ws://127.0.0.1:{server.port}/_stcore/stream"
    with connect(url, additional_headers={"Origin": server.url}, open_timeout=10):
        pass  # same origin: accepted (control)
    with pytest.raises(InvalidStatus) as forged:
        connect(url, additional_headers={"Origin": "http://evil.example"}, open_timeout=10)
    assert forged.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as rebound:  # DNS rebinding: a foreign Host name
        connect(url, additional_headers={"Host": "evil.example"}, open_timeout=10)
    assert rebound.value.response.status_code in (400, 403)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on `port` (Linux /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                found.add(address)
    return found


def _non_loopback_addresses() -> list[str]:
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=10)
    addresses = [a for a in out.stdout.split() if ":" not in a and not a.startswith("127.")]
    if not addresses:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect(("10.255.255.255", 1))
                address = probe.getsockname()[0]
            except OSError:
                address = "127.0.0.1"
        addresses = [address] if not address.startswith("127.") else []
    return addresses


@pytest.mark.hazard("H18")
@pytest.mark.bad_input_case(39)
def test_case_39_laptop_mode_listens_on_loopback_only_and_refuses_other_addresses(server):
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp on this system")
    assert _listening_addresses(server.port) == {"0100007F"}  # 127.0.0.1, nothing else
    for address in _non_loopback_addresses():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            client.settimeout(5)
            with pytest.raises(OSError):
                client.connect((address, server.port))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5):
        pass  # control: loopback works


@pytest.mark.hazard("H16")
def test_the_server_wrote_no_traceback_during_these_cases(server):
    output = read_output(server)
    assert "Traceback" not in output and "Uncaught" not in output
