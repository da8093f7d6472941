"""Start the dashboard (or any Streamlit script) on a free loopback port, and open Chromium.

Shared by the browser tests, the start-up benchmark and the screenshot script, and meant for a
later multi-session test: `running_app()` gives one server that many browser contexts can use.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "screen" / "app.py"
SERVED = ROOT / "dashboard" / "serve.py"  # the launcher of make run: app.py behind the guard
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: object  # a temporary file holding the server's stderr (deleted on stop)
    started_in: float  # seconds from launch to the health endpoint answering


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(script: Path | str = SERVED, *, timeout: float = 60.0,
                 env: dict[str, str] | None = None) -> Server:
    """Launch `streamlit run script` on 127.0.0.1:<free port>; return once /_stcore/health is ok."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(script),
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    log = tempfile.TemporaryFile()  # noqa: SIM115 - open while the server runs; stop() closes it
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
                               env=None if env is None else {**os.environ, **env})
    server = Server(f"http://127.0.0.1:{port}", process, log, 0.0)
    url = server.url
    deadline = began + timeout
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            error = server_log(server)
            stop_server(server)
            raise RuntimeError(f"streamlit exited with {process.returncode}: {error[-2000:]}")
        if _healthy(url):
            server.started_in = time.perf_counter() - began
            return server
        time.sleep(0.02)
    stop_server(server)
    raise RuntimeError(f"streamlit did not answer on {url} within {timeout:.0f} s")


def terminate(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a process we started (by its own handle): politely, then firmly."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def stop_server(server: Server) -> None:
    """Stop this server process (only the one we started)."""
    terminate(server.process)
    server.log.close()


def server_log(server: Server) -> str:
    """What the server wrote to stderr so far."""
    server.log.flush()
    server.log.seek(0)
    return server.log.read().decode(errors="replace")


@contextlib.contextmanager
def running_app(script: Path | str = SERVED, **kwargs) -> Iterator[Server]:
    server = start_server(script, **kwargs)
    try:
        yield server
    finally:
        stop_server(server)


@contextlib.contextmanager
def chromium(executable: str) -> Iterator[object]:
    """A headless Playwright Chromium using the system browser (no downloads, no sandbox)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


# --------------------------------------------------------------------------- filling the form

def wait_for_app(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished the current script run."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') !== 'running'", timeout=timeout)


def choose(page, key: str, option_text: str) -> None:
    """Pick `option_text` in the selectbox with widget key `key`."""
    box = page.locator(f".st-key-{key}")
    option = page.get_by_role("option", name=option_text, exact=True)
    for _ in range(3):
        box.locator("input").first.click()
        try:
            option.wait_for(state="visible", timeout=3_000)
            break
        except Exception:  # noqa: BLE001 - the list did not open (focus moved): Escape, retry
            page.keyboard.press("Escape")
    option.click()
    option.wait_for(state="detached", timeout=5_000)


def pick_radio(page, key: str, option_text: str) -> None:
    page.locator(f".st-key-{key}").get_by_text(option_text, exact=True).click()


def type_number(page, key: str, value: float | int) -> None:
    field = page.locator(f".st-key-{key} input")
    field.fill(str(value))
    field.press("Tab")


def type_text(page, key: str, value: str) -> None:
    field = page.locator(f".st-key-{key} input, .st-key-{key} textarea").first
    field.fill(value)
    field.press("Tab")


def full_page_screenshot(page, path: str | Path, width: int = 1400) -> None:
    """Streamlit scrolls an inner container, so grow the viewport to the content, then shoot."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], "
        "[data-testid=\"stAppViewContainer\"], [data-testid=\"stMainBlockContainer\"]')]"
        ".map(e => e.scrollHeight), document.body.scrollHeight)")
    page.set_viewport_size({"width": width, "height": int(height) + 40})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=True)


def enter_factors(page, content, data: dict) -> None:
    """Fill the factor form from an engine input dict (field id -> value); the options follow
    as the values are entered (the form is live), so wait for the cards."""
    from dashboard.screen import view

    page.locator(".st-key-f_recurrence_site input").first.wait_for(state="visible", timeout=30_000)
    for factor in content.factors:
        if factor.id not in data or data[factor.id] is None:
            continue
        value = data[factor.id]
        key = "f_" + (factor.alias_of or factor.id)
        if factor.alias_of:
            pick_radio(page, "u_" + factor.alias_of, factor.unit)
            wait_for_app(page)
            type_number(page, key, value)
        elif factor.kind == "yes_no" and factor.core:
            pick_radio(page, key, "Yes" if value else "No")
        elif factor.kind == "yes_no":
            if value:
                page.locator(f".st-key-{key} label").first.click()
        elif factor.kind == "count":
            pick_radio(page, key, content.string("ui.value_count_diffuse") if value == "diffuse"
                       else str(value))
        elif factor.kind == "choice" or factor.value_labels:
            words = view.format_value(content, factor, value)
            if page.locator(f".st-key-{key} input[type='radio']").count():
                pick_radio(page, key, words)
            else:
                choose(page, key, words)
        else:
            type_number(page, key, value)
        wait_for_app(page)
    page.locator(".st-key-card_resection").wait_for(state="visible", timeout=30_000)
    wait_for_app(page)


def wait_for_check_code(page, code: str, timeout: float = 30_000) -> None:
    """Wait (bounded) until the screen shows `code`, the check code of the values entered: a
    change reaches the server in its own round trip, and the cards follow only then. A value
    the server never received keeps the old code, and this fails."""
    page.wait_for_function("code => document.body.innerText.includes(code)", arg=code,
                           timeout=timeout)
    wait_for_app(page)


def new_patient(page) -> None:
    """New patient asks first: open it, then confirm."""
    page.locator(".st-key-new_patient_ask button").click()
    page.locator(".st-key-new_patient button").click()


SHEET_SECTION = ".st-key-sheet_open"  # "3. Prepare a discussion sheet": closed at first
TICK_SUGGESTED = ".st-key-tick_suggested button"  # the panel's first button


def open_sheet_panel(page, timeout: float = 30_000) -> None:
    """Open the sheet section, as a clinician clicks its heading, and wait (bounded) until its
    panel is drawn; nothing to do when it is open already. The panel is drawn only while the
    section is open (the screen's speed), so every test or bench that uses it opens it first."""
    wait_for_app(page)
    panel = page.locator(TICK_SUGGESTED)
    if not panel.count():
        page.locator(f"{SHEET_SECTION} summary").first.click()  # (the chart note's is inside)
    panel.wait_for(state="visible", timeout=timeout)
    wait_for_app(page)


async def async_open_sheet_panel(page, timeout: float = 90_000) -> None:
    """`open_sheet_panel` for Playwright's async API (the multi-session tests and benches)."""
    from tests.ui_safety_support import async_wait_for_app

    await async_wait_for_app(page, timeout)
    panel = page.locator(TICK_SUGGESTED)
    if not await panel.count():
        await page.locator(f"{SHEET_SECTION} summary").first.click()
    await panel.wait_for(state="visible", timeout=timeout)
    await async_wait_for_app(page, timeout)


def tick_suggested(page) -> None:
    """Tick the suggested options for the sheet (none is ticked until the clinician chooses),
    opening the sheet section first."""
    open_sheet_panel(page)
    page.locator(TICK_SUGGESTED).click()
    wait_for_app(page)


# --------------------------------------------------------------------------- the sheet
# One path from the options on screen to a downloaded sheet, used by the browser tests, the
# benchmarks and the screenshot script: tick -> details -> review tick -> Prepare -> download.

PREPARE = ".st-key-prepare button"
DOWNLOAD = ".st-key-download button"
NAME_LINE = ".st-key-sheet_name_line"  # "The sheet will print the name: …" / "… no name."


def name_line_words(ready: bool = False) -> str:
    """The panel's words before the name it will print (before Prepare, or under Sheet ready),
    from content."""
    from dashboard.core.loader import load_content

    key = "ui.sheet_prints_name" if ready else "ui.sheet_will_print_name"
    return load_content().string(key).split("{name}")[0]


def server_has_name(page) -> bool:
    """Whether the panel says the sheet will print a name (so the server has one): the field
    can show a name the server never received (H120). The name itself is compared by the
    tests that type one, after cleaning (REL-5 may print it otherwise)."""
    line = page.locator(NAME_LINE)
    return bool(line.count()) and line.first.inner_text().startswith(name_line_words().strip())


def ready_to_prepare(page, *, name: str = "", language: str = "", paper: str = "",
                     tick: bool = True, timeout: float = 30_000, attempts: int = 3) -> None:
    """Tick the suggested options (unless `tick` is False: the caller ticked), type the name,
    choose the sheet's language and paper by their words on screen ("French (français)",
    "A4"), tick the review box, and wait until "Prepare" is enabled.

    Each click reaches the server in its own round trip, and one landing while the panel is
    redrawn can be lost (the screen then rightly clears the review box for new options). So
    each round reads the panel's own words, clicks what they ask for, and waits, bounded, for
    the state that matters: Prepare enabled (the sync twin of ui_safety_support's
    `async_ready_to_prepare`). With `name`, it makes sure the server has the name: the panel
    then says the sheet will print it (`server_has_name`)."""
    from playwright.sync_api import TimeoutError as StillDisabled

    open_sheet_panel(page, timeout=timeout)
    if tick:
        tick_suggested(page)
    if name:
        type_text(page, "s_name", name)
        wait_for_app(page)
    if language:
        pick_radio(page, "s_lang", language)
        wait_for_app(page)
    if paper:
        pick_radio(page, "s_paper", paper)
        wait_for_app(page)
    enabled = page.locator(f"{PREPARE}:not([disabled])")
    for attempt in range(attempts):
        open_sheet_panel(page, timeout=timeout)  # a click on the section lost under load
        if name and attempt and not server_has_name(page):
            type_text(page, "s_name", name)  # typed while the page reran: dropped, again
            wait_for_app(page)
        if tick and page.get_by_text("Tick at least one option to prepare the sheet").count():
            tick_suggested(page)
        if page.get_by_text("Tick the review box to prepare the sheet").count():
            page.locator(".st-key-s_confirmed label").click()
        try:
            enabled.wait_for(timeout=timeout / attempts)
            if not name or server_has_name(page):
                break  # Prepare enabled and, with a name, the server has it
        except StillDisabled:  # read the panel again
            if attempt == attempts - 1:
                raise
    wait_for_app(page)


def press_prepare(page, timeout: float = 30_000) -> None:
    """Press "Prepare" and wait until the sheet is offered for download."""
    page.locator(PREPARE).click()
    page.locator(DOWNLOAD).wait_for(state="visible", timeout=timeout)
    wait_for_app(page)


def prepare_sheet(page, *, timeout: float = 30_000, **choices) -> None:
    """From options on screen to a sheet offered for download (`choices`: see
    `ready_to_prepare`)."""
    ready_to_prepare(page, timeout=timeout, **choices)
    press_prepare(page, timeout=timeout)


def download_sheet(page):
    """Click the download button; return (the PDF's bytes, Playwright's Download)."""
    with page.expect_download() as info:
        page.locator(DOWNLOAD).click()
    download = info.value
    return Path(download.path()).read_bytes(), download
