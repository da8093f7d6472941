"""Load: 1, 5, 10 and 20 sessions pressing "Prepare" at the same moment (issue #12, Load).

Real browser pages, on 127.0.0.1. One headless Chromium holds up to 20 contexts (each a
clinician: its own cookies, so its own session and sheet links); each page fills the form
(tumour size, cirrhosis), ticks the suggested options and the review box until "Prepare" is
enabled, with the same bounded, self-correcting steps as the browser tests
(tests/ui_safety_support.py). Then, per level, the first N pages press Prepare together:

* **ready**: from the click to the Download button appearing, timed inside each page
  (`performance.now()` and a MutationObserver), so a slow test driver does not count;
* **download**: from the Download click to the whole PDF received by the browser.

Between rounds each page unticks and ticks again the review box, which withdraws its sheet,
so the next click prepares a new one. Every server prepares one sheet untimed first.

Side by side in one run, interleaved level by level: the launcher as shipped (sheets drawn by
its worker processes, `dashboard/adapters/render_pool.py`) and the same launcher with
`PREP_SHEET_WORKERS=0` (sheets drawn in the script thread, under the one GIL). Printed: p50 /
p95 per level, each level's p50 against one session on the same server, and the ratio
in-script / workers. Bounded: at most 20 sessions and 10 rounds, a time limit per level and
for the run; every server and the browser are stopped at the end. Figures taken while other
work runs on the machine are not reliable (the ratios, measured side by side, are less so).

Run: .venv/bin/python bench/bench_load.py [--levels 1,5,10,20] [--rounds 2] [--setups pool,inline]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser_support import CHROMIUM_ARGS, SERVED, start_server, stop_server  # noqa: E402
from tests.conftest import BASELINE  # noqa: E402
from tests.ui_safety_support import async_ready_to_prepare, async_wait_for_app  # noqa: E402

LEVELS = (1, 5, 10, 20)
ROUNDS = 2
MAX_SESSIONS = 20
MAX_ROUNDS = 10
STEP_TIMEOUT = 60.0  # one prepare, one download, one page's setup step
LEVEL_TIMEOUT = 90.0  # all rounds of one level on one server
RUN_TIMEOUT = 230.0  # no level starts after this; the whole run stays under 4 minutes
SETUPS = {"pool": {}, "inline": {"PREP_SHEET_WORKERS": "0"}}
SETUP_NAMES = {"pool": "worker processes", "inline": "in the script thread"}

# Clicks Prepare and times, inside the page, until the Download button appears.
CLICK_JS = """() => {
  const prep = window.__prep = {t0: performance.now(), t1: null};
  const ready = () => document.querySelector('.st-key-download button');
  const seen = new MutationObserver(() => {
    if (prep.t1 === null && ready()) { prep.t1 = performance.now(); seen.disconnect(); }
  });
  seen.observe(document.body, {childList: true, subtree: true});
  document.querySelector('.st-key-prepare button').click();
}"""
READY_JS = "() => window.__prep && window.__prep.t1 !== null"
SECONDS_JS = "() => (window.__prep.t1 - window.__prep.t0) / 1000"
DOWNLOAD = ".st-key-download button"
GONE_JS = f"() => !document.querySelector('{DOWNLOAD}')"


@dataclass
class Figures:
    ready: list[float] = field(default_factory=list)
    download: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


async def _open_session(browser, url: str, index: int):
    """A new clinician (browser context) with the form filled and Prepare enabled."""
    context = await browser.new_context(accept_downloads=True,
                                        viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(STEP_TIMEOUT * 1000)
    await page.goto(url)
    await async_wait_for_app(page)
    size = page.locator(".st-key-f_largest_tumour_cm input")
    await size.fill(f"{BASELINE['largest_tumour_cm'] + index % 5 * 0.5:.1f}")
    await size.press("Tab")
    await page.locator(".st-key-f_cirrhosis").get_by_text("No", exact=True).click()
    await page.wait_for_timeout(300)  # the live form reruns on the click: let it start
    await async_wait_for_app(page)
    await page.locator(".st-key-card_resection").wait_for(state="visible")
    await async_ready_to_prepare(page)
    return page


async def _withdraw(page) -> None:
    """Untick and tick again the review box: the sheet is withdrawn (nothing printed changes,
    so the page count is not laid out again) and Prepare is enabled for a new one."""
    if await page.locator(DOWNLOAD).count():
        await page.locator(".st-key-s_confirmed label").click()
        await page.wait_for_function(GONE_JS, timeout=STEP_TIMEOUT * 1000)
    await async_ready_to_prepare(page)  # ticks the review box again, bounded


async def _prepare_and_download(page, figures: Figures) -> None:
    await page.wait_for_function(READY_JS, timeout=STEP_TIMEOUT * 1000)
    figures.ready.append(await page.evaluate(SECONDS_JS))
    await async_wait_for_app(page)
    began = time.perf_counter()
    async with page.expect_download(timeout=STEP_TIMEOUT * 1000) as info:
        await page.locator(DOWNLOAD).click()
    download = await info.value
    if await download.failure():
        figures.failures.append("download failed")
    else:
        figures.download.append(time.perf_counter() - began)
    await download.delete()


async def _level(pages: list, rounds: int) -> Figures:
    figures = Figures()

    async def rounds_of_level() -> None:
        for _ in range(rounds):
            await asyncio.gather(*(_withdraw(p) for p in pages))
            await asyncio.gather(*(p.evaluate(CLICK_JS) for p in pages))  # all at once
            results = await asyncio.gather(*(_prepare_and_download(p, figures) for p in pages),
                                           return_exceptions=True)
            figures.failures += [f"{type(r).__name__}: {str(r).splitlines()[0]}"
                                 for r in results if isinstance(r, BaseException)]

    try:
        await asyncio.wait_for(rounds_of_level(), timeout=LEVEL_TIMEOUT)
    except TimeoutError:
        figures.failures.append(f"level stopped after {LEVEL_TIMEOUT:.0f} s")
    return figures


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def bounds(levels: str, rounds: int) -> tuple[list[int], int]:
    """The levels and rounds asked for, held to at most MAX_SESSIONS and MAX_ROUNDS."""
    asked = [int(n) for n in levels.split(",") if n.strip()]
    return [max(1, min(n, MAX_SESSIONS)) for n in asked][:8], max(1, min(rounds, MAX_ROUNDS))


def _bare_render_seconds() -> float:
    """What one sheet costs without any server: the service call, in this process."""
    from dashboard import service
    from dashboard.core.loader import load_content

    content = load_content()
    times = []
    for _ in range(3):
        began = time.perf_counter()
        service.prepare_sheet(BASELINE, service.Choices(), content)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


async def _run(urls: dict[str, str], levels: list[int], rounds: int, began: float,
               table: dict[tuple[str, int], Figures]) -> None:
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("bench_load: Chromium is needed (apt-get install chromium)")
    most = max(levels)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, headless=True,
                                           args=CHROMIUM_ARGS)
        try:
            sessions: dict[str, list] = {}
            for setup, url in urls.items():
                opening = time.monotonic()
                gate = asyncio.Semaphore(5)  # a few at a time: two cores set them up

                async def opened(i: int, url: str = url, gate: asyncio.Semaphore = gate):
                    async with gate:
                        return await _open_session(browser, url, i)

                sessions[setup] = await asyncio.wait_for(
                    asyncio.gather(*(opened(i) for i in range(most))), timeout=RUN_TIMEOUT)
                await _level(sessions[setup][:1], 1)  # warm: workers, fonts, first sheet
                print(f"{SETUP_NAMES[setup]}: {most} sessions ready in "
                      f"{time.monotonic() - opening:.0f} s", flush=True)
            for sessions_now in levels:  # interleaved: a busy moment hits both setups alike
                for setup in urls:
                    if time.monotonic() - began > RUN_TIMEOUT:
                        print(f"bench_load: the run's time limit ({RUN_TIMEOUT:.0f} s) was "
                              f"reached; level {sessions_now} ({setup}) not run", flush=True)
                        continue
                    figures = await _level(sessions[setup][:sessions_now], rounds)
                    table[(setup, sessions_now)] = figures
                    print(f"  {SETUP_NAMES[setup]:>22}, {sessions_now:2d} sessions: ready p50 "
                          f"{_p(figures.ready, 50):5.2f} s p95 {_p(figures.ready, 95):5.2f} s; "
                          f"download p50 {_p(figures.download, 50):5.2f} s "
                          f"({len(figures.ready)} prepares"
                          f"{'; ' + figures.failures[0] if figures.failures else ''})",
                          flush=True)
        finally:
            await browser.close()


def _print_table(table: dict[tuple[str, int], Figures], setups: list[str], levels: list[int],
                 rounds: int, bare: float) -> None:
    print(f"\nN sessions pressing Prepare at the same moment ({rounds} rounds; seconds; "
          "ready = Prepare to Download button, download = click to PDF received):")
    for setup in setups:
        print(f"\n{SETUP_NAMES[setup]}:")
        print(f"{'sessions':>8} | ready p50   p95 | download p50   p95 | p50 vs 1 session | "
              "prepares")
        one = table.get((setup, 1))
        for n in levels:
            f = table.get((setup, n))
            if f is None:
                print(f"{n:>8} | not run (time limit)")
                continue
            ratio = (_p(f.ready, 50) / _p(one.ready, 50)) if one and one.ready else float("nan")
            note = f" ({f.failures[0]})" if f.failures else ""
            print(f"{n:>8} | {_p(f.ready, 50):9.2f} {_p(f.ready, 95):5.2f} | "
                  f"{_p(f.download, 50):12.2f} {_p(f.download, 95):5.2f} | "
                  f"{ratio:15.1f}x | {len(f.ready)}{note}")
    if len(setups) == 2:
        a, b = setups
        print(f"\np95 ready, {SETUP_NAMES[b]} / {SETUP_NAMES[a]}: " + ", ".join(
            f"{n} sessions {_p(table[(b, n)].ready, 95) / _p(table[(a, n)].ready, 95):.2f}"
            for n in levels if (a, n) in table and (b, n) in table
            and table[(a, n)].ready and table[(b, n)].ready))
    if (setups[0], 1) in table and table[(setups[0], 1)].ready:
        print(f"one session ({SETUP_NAMES[setups[0]]}) / the same sheet drawn in-process, no "
              f"server ({bare:.2f} s): {_p(table[(setups[0], 1)].ready, 50) / bare:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--setups", default="pool,inline",
                        help="pool (as shipped), inline (PREP_SHEET_WORKERS=0), or both")
    args = parser.parse_args(argv)
    levels, rounds = bounds(args.levels, args.rounds)
    setups = [s for s in dict.fromkeys(args.setups.split(",")) if s in SETUPS] or ["pool"]
    began = time.monotonic()
    bare = _bare_render_seconds()
    servers = {}
    table: dict[tuple[str, int], Figures] = {}
    try:
        for setup in setups:
            servers[setup] = start_server(SERVED, env=SETUPS[setup])
        asyncio.run(_run({s: servers[s].url for s in setups}, levels, rounds, began, table))
    finally:
        for server in servers.values():
            stop_server(server)
    _print_table(table, setups, levels, rounds, bare)
    print(f"(total {time.monotonic() - began:.0f} s)")
    complete = all((s, n) in table for s in setups for n in levels)
    return 0 if complete and all(not f.failures for f in table.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
