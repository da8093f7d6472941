"""Helpers for the safety tests that need a running dashboard: a sandboxed server, async steps.

`sandboxed_server` starts `streamlit run dashboard/screen/app.py` on a free loopback port like
tests/browser_support.py does, but with its own HOME, TMPDIR and caches (a `Sandbox`), and keeps
both stdout and stderr, so a test can look for patient text in everything the server wrote.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.browser_support import (
    NAME_LINE,
    ROOT,
    SERVED,
    _healthy,
    async_open_sheet_panel,
    free_port,
    name_line_words,
    terminate,
)
from tests.safety_support import Sandbox


@dataclass
class SandboxedServer:
    url: str
    port: int
    process: subprocess.Popen
    output: object  # temporary file with the server's stdout and stderr
    box: Sandbox


def sandboxed_server(root: Path, *extra: str, timeout: float = 60.0) -> SandboxedServer:
    box = Sandbox(root).make()
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(SERVED), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra]
    output = tempfile.TemporaryFile()  # noqa: SIM115 - open while the server runs
    env = box.env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output,
                               stderr=subprocess.STDOUT)
    server = SandboxedServer(f"http://127.0.0.1:{port}", port, process, output, box)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited: {read_output(server)[-2000:]}")
        if _healthy(server.url):
            return server
        time.sleep(0.05)
    stop_sandboxed_server(server)
    raise RuntimeError("streamlit did not start")


def read_output(server: SandboxedServer) -> str:
    server.output.flush()
    server.output.seek(0)
    return server.output.read().decode(errors="replace")


def stop_sandboxed_server(server: SandboxedServer) -> str:
    """Stop the server we started (by its own process handle); return everything it wrote."""
    terminate(server.process, timeout=15)
    text = read_output(server)
    server.output.close()
    return text


# --------------------------------------------------------------------------- async Playwright

WAIT_JS = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
           " && document.querySelector('[data-testid=\"stApp\"]')"
           "?.getAttribute('data-test-script-state') !== 'running'")


async def async_wait_for_app(page, timeout: float = 90_000) -> None:
    await page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    await page.wait_for_function(WAIT_JS, timeout=timeout)


async def async_ready_to_prepare(page, name: str | None = None, attempts: int = 6) -> None:
    """Tick the suggested options and the review box until Prepare is enabled.

    With many sessions on two cores a click can land while the page still reruns for the
    previous change; the screen then (rightly) clears the review box for the new options, and
    under such load a box may even look ticked while the server has it unticked (the panel
    then says so). So each round reads the server's own words in the panel, clicks what they
    ask for, and waits (boundedly) for Prepare to be enabled. With `name`, it also makes sure
    the server has the typed name: the panel then says the sheet will print a name (a name
    typed while the page reran can be dropped by Streamlit, while the field still shows it:
    H120).
    """
    prepare = page.locator(".st-key-prepare button")
    for _ in range(attempts):
        await async_open_sheet_panel(page)  # the panel is drawn only while its section is open
        line = page.locator(NAME_LINE)
        if name and not (await line.count() and (await line.first.inner_text()).startswith(
                name_line_words().strip())):
            field = page.locator(".st-key-s_name input")
            await field.fill("")
            await field.fill(name)
            await field.press("Tab")
            await async_wait_for_app(page)
        if await page.get_by_text("Tick at least one option to prepare the sheet").count():
            await page.locator(".st-key-tick_suggested button").click()
            await async_wait_for_app(page)
        if await page.get_by_text("Tick the review box to prepare the sheet").count():
            await page.locator(".st-key-s_confirmed label").click()
            await async_wait_for_app(page)
        try:
            await page.wait_for_function(
                "() => { const b = document.querySelector('.st-key-prepare button');"
                " return b && !b.disabled; }", timeout=20_000)
            return
        except Exception:  # noqa: BLE001 - still disabled: read the panel again
            continue
    assert await prepare.is_enabled(), "Prepare stayed disabled"


async def async_choose(page, key: str, option_text: str) -> None:
    """Pick `option_text` in the selectbox with widget key `key`."""
    box = page.locator(f".st-key-{key}")
    option = page.get_by_role("option", name=option_text, exact=True)
    for _ in range(5):
        await box.locator("input").first.click()
        try:
            await option.wait_for(state="visible", timeout=5_000)
            break
        except Exception:  # noqa: BLE001 - the list did not open (focus moved): Escape, retry
            await page.keyboard.press("Escape")
    await option.click()
    await option.wait_for(state="detached", timeout=10_000)
