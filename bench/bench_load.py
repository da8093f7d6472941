"""Load: 1, 5, 10 and 20 sessions pressing "Prepare" at the same moment (issue #12, Load).

Two clients, on 127.0.0.1, against the same two servers in one run:

1. **The light client** (`bench/load_client.py`): each session is driven over its websocket
   exactly as the page drives it (the same BackMsgs for the same clicks, widget ids and
   fragment ids read from the server's messages; a tick in the sheet panel reruns only the
   panel), and Download runs the deferred download and fetches the PDF with the session's
   owner cookie. Every sheet is checked to be a PDF of at least one page; a test proves one
   is this session's sheet (tests/test_load_bench.py). No browser: what is measured is the
   server's side, with only a few per cent of a core spent by the client. Levels 1, 5, 10,
   20 on both servers.
2. **Real Chromium tabs**, levels 1, 5 and 10 (`--browser-levels`): what a clinician sees,
   with every tab's browser on the same two cores as the server. One headless Chromium holds
   one context per tab (own cookies and sheet links). One tab per context, because Chromium
   draws only the front tab of a context at full rate: in the other tabs
   requestAnimationFrame ran about once a second (measured: ~1,015 ms between frames in 4 of
   the 5 tabs of a context, ~16 ms in the fifth and in every tab with its own context), and
   Playwright's click waits for two animation frames with the button in the same place, so
   each Download click in a back tab waited about 2 s before it happened (the "2 s download"
   of earlier runs; the server answered the click in under 1 ms, see
   docs/safety/deployment.md 3.1). Each tab fills the form (tumour size, cirrhosis), ticks
   the suggested options and the review box until "Prepare" is enabled, with the same
   bounded, self-correcting steps as the browser tests (tests/ui_safety_support.py).

Then, per level, the first N sessions press Prepare together:

* **ready**: from the click to the Download button: in a tab, timed inside the page
  (`performance.now()` and a MutationObserver) until the button appears; in the light
  client, from sending Prepare until the button's element arrives;
* **download**: from the Download click to the whole PDF received;
* **CPU per sheet**: what the server process and its sheet workers used from the clicks to
  the last download (from /proc), divided by the sheets made, and the share of it in the
  server's own process (the one GIL): a figure a busy machine disturbs far less than the
  wall-clock ones;
* **client CPU per sheet**: what the client used in the same time (Chromium, Playwright's
  driver and this bench: every process it started but the servers), on the same two cores;
* **health p95**: meanwhile, every 0.1 s, how long the server takes to answer
  `/_stcore/health` (no work: the wait is the event loop's lag and the GIL's queue);
* **cores busy**: all that CPU over the time it took. On a free two-core machine a saturated
  level shows about 2; well below 2 with long waits means others had the cores (on a shared
  Linux machine with `sched_autogroup`, all processes of one run share one fair slot, so the
  worker processes cannot take more than that slot).

Sessions are opened as the levels need them (1, then 4 more, ...), outside the timed steps;
if a client's time limit is reached while opening, its higher levels are not run and the
output says so. Between rounds each session unticks and ticks again the review box, which
withdraws its sheet, so the next click prepares a new one. Every server prepares one sheet
untimed first. Rounds: at least five sheets per level (`--rounds` sets a fixed number).

Side by side in one run, interleaved level by level: the launcher as shipped (sheets drawn by
its worker processes, `dashboard/adapters/render_pool.py`) and the same launcher with
`PREP_SHEET_WORKERS=0` (sheets drawn in the script thread, under the one GIL), both with
drawing ahead off (`PREP_SHEET_AHEAD_SECONDS=0`: each Prepare draws its sheet); before them,
the pipeline alone (threads calling `service.prepare_sheet`, no server). Printed: p50 / p95
per level, each level's p50 against one session on the same server, the ratio in-script /
workers, and the ratio real browser / light client. Bounded: at most 20 sessions and 10
rounds, a time limit per level and one per client (100 s light, 200 s browser), after which
no step starts: about six minutes in all; every server and the browser are stopped at the
end. Wall-clock figures taken while other work runs on the machine are not reliable (the load
average is printed at the start and the end); the ratios, measured side by side, and the CPU
figures less so.

Run: .venv/bin/python bench/bench_load.py [--levels 1,5,10,20] [--browser-levels 1,5,10]
     [--rounds N] [--setups pool,inline]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
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
SHEETS_PER_LEVEL = 5  # rounds per level: at least this many sheets (at least one round)
MAX_SESSIONS = 20
MAX_ROUNDS = 10
STEP_TIMEOUT = 60.0  # one prepare, one download, one page's setup step
LEVEL_TIMEOUT = 90.0  # all rounds of one level on one server
RUN_TIMEOUT = 200.0  # real browser: no step starts after this
LIGHT_TIMEOUT = 100.0  # light client: no step starts after this
LAST_LEVEL_GRACE = 20.0  # a level started before RUN_TIMEOUT stops at most this much after
# Drawing ahead is off on both servers (PREP_SHEET_AHEAD_SECONDS=0): with it, each sheet is
# drawn by the run of the review tick that comes before Prepare, so Prepare would measure no
# drawing at all. Off, every Prepare draws its sheet, the load of many clinicians preparing
# sheets at once (with it on, the same drawing happens at their review ticks).
NOT_AHEAD = {"PREP_SHEET_AHEAD_SECONDS": "0"}
SETUPS = {"pool": NOT_AHEAD, "inline": {**NOT_AHEAD, "PREP_SHEET_WORKERS": "0"}}
SETUP_SESSIONS = {"pool": MAX_SESSIONS, "inline": 10}  # tabs set up per server, at most
TABS_PER_CONTEXT = 1  # a tab of its own context is the front tab: drawn at full rate
SETUP_NAMES = {"pool": "worker processes", "inline": "in the script thread"}
CLIENT_NAMES = {"light": "light client (websocket protocol, no browser)",
                "browser": "real Chromium tabs"}
BROWSER_LEVELS = (1, 5, 10)  # 20 real tabs more would not fit the time limit (--browser-levels)

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
    cpu: tuple[float, float] = (float("nan"), float("nan"))  # server process, its workers
    client_cpu: float = float("nan")  # the browser's processes, in the same time
    wall: float = 0.0  # seconds from the clicks to the last download, all rounds
    health: list[float] = field(default_factory=list)  # /_stcore/health answer times meanwhile

    @property
    def cores(self) -> float:
        """How many cores server, workers and client kept busy on average while timed: near
        2 on a free two-core machine that is saturated, well below when others take them."""
        return (sum(self.cpu) + self.client_cpu) / self.wall if self.wall else float("nan")

    @property
    def cpu_per_sheet(self) -> float:
        return sum(self.cpu) / len(self.ready) if self.ready else float("nan")

    @property
    def client_cpu_per_sheet(self) -> float:
        return self.client_cpu / len(self.ready) if self.ready else float("nan")

    @property
    def server_share(self) -> float:
        total = sum(self.cpu)
        return self.cpu[0] / total if total > 0 else float("nan")


async def _open_session(context, url: str, index: int):
    """A new session (a tab of `context`) with the form filled and Prepare enabled."""
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


async def _light_prepare_and_download(session, figures: Figures) -> None:
    figures.ready.append(await session.prepare())
    took, _pdf = await session.download()  # checked: a PDF of at least one page
    figures.download.append(took)


async def _answers(url: str, done: asyncio.Event, into: list[float]) -> None:
    """Until `done`: every 0.1 s, how long the server takes to answer `/_stcore/health`, a
    request that does no work: the wait is its event loop's lag and the GIL's queue."""
    import urllib.request

    def ask() -> float:
        began = time.perf_counter()
        with urllib.request.urlopen(url + "/_stcore/health", timeout=STEP_TIMEOUT) as answer:
            answer.read()
        return time.perf_counter() - began

    while not done.is_set():
        with contextlib.suppress(OSError):
            into.append(await asyncio.to_thread(ask))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 0.1)


async def _level(pages: list, rounds: int, deadline: float, pid: int | None = None, *,
                 light: bool = False, url: str | None = None) -> Figures:
    """`rounds` times: every page (or light session) withdraws its sheet, then all press
    Prepare at once and download. With `pid` (the server's), the CPU it and its workers used
    from the clicks to the last download is added up (the withdrawing steps are not counted),
    and the client's."""
    figures = Figures()
    used = [0.0, 0.0, 0.0]

    async def rounds_of_level() -> None:
        for _ in range(rounds):
            if time.monotonic() > deadline:
                figures.failures.append("fewer rounds: the run's time limit")
                return
            await asyncio.gather(*((p.withdraw() if light else _withdraw(p)) for p in pages))
            before = _cpu_seconds(pid) if pid else (float("nan"),) * 2
            client_before = _client_cpu_seconds(pid) if pid else float("nan")
            clicked = time.perf_counter()
            done = asyncio.Event()
            sampler = asyncio.create_task(_answers(url, done, figures.health)) if url else None
            if light:  # each sends its Prepare as the gather starts it: all at once
                results = await asyncio.gather(*(_light_prepare_and_download(p, figures)
                                                 for p in pages), return_exceptions=True)
            else:
                await asyncio.gather(*(p.evaluate(CLICK_JS) for p in pages))  # all at once
                results = await asyncio.gather(*(_prepare_and_download(p, figures)
                                                 for p in pages), return_exceptions=True)
            figures.wall += time.perf_counter() - clicked
            done.set()
            if sampler is not None:
                await sampler
            after = _cpu_seconds(pid) if pid else (float("nan"),) * 2
            used[2] += (_client_cpu_seconds(pid) if pid else float("nan")) - client_before
            used[0] += after[0] - before[0]
            used[1] += after[1] - before[1]
            figures.cpu = (used[0], used[1])
            figures.client_cpu = used[2]
            figures.failures += [f"{type(r).__name__}: {str(r).splitlines()[0]}"
                                 for r in results if isinstance(r, BaseException)]

    limit = min(LEVEL_TIMEOUT, max(10.0, deadline + LAST_LEVEL_GRACE - time.monotonic()))
    try:
        await asyncio.wait_for(rounds_of_level(), timeout=limit)
    except TimeoutError:
        figures.failures.append(f"level stopped after {limit:.0f} s")
    return figures


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def bounds(levels: str, rounds: int | None) -> tuple[list[int], int | None]:
    """The levels and rounds asked for, held to at most MAX_SESSIONS and MAX_ROUNDS (None:
    rounds chosen per level, `rounds_for`)."""
    asked = [int(n) for n in levels.split(",") if n.strip()]
    held = None if rounds is None else max(1, min(rounds, MAX_ROUNDS))
    return [max(1, min(n, MAX_SESSIONS)) for n in asked][:8], held


def rounds_for(sessions: int, rounds: int | None) -> int:
    """About SHEETS_PER_LEVEL sheets per level, unless a number of rounds was asked for."""
    return rounds if rounds is not None else max(1, -(-SHEETS_PER_LEVEL // sessions))


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds used so far by process `pid` and by its child processes (its sheet
    workers), from /proc; (nan, nan) where /proc cannot be read."""
    def used(p: int) -> float:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    try:
        children = {int(c) for task in Path(f"/proc/{pid}/task").iterdir()
                    for c in (task / "children").read_text().split()}
        return used(pid), sum(used(c) for c in children)
    except (OSError, ValueError, IndexError):
        return float("nan"), float("nan")


def _client_cpu_seconds(server_pid: int) -> float:
    """CPU seconds used so far by the processes this bench started other than the server and
    its workers: Playwright's driver, Chromium and this bench itself (nan where /proc cannot
    be read)."""
    try:
        parent: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    parent[int(entry.name)] = int(stat[1])
        mine, frontier = {os.getpid()}, [os.getpid()]  # this bench's own driving counts too
        while frontier:
            pid = frontier.pop()
            for child in [c for c, p in parent.items() if p == pid]:
                if child != server_pid:  # the server and everything under it are left out
                    mine.add(child)
                    frontier.append(child)
        total = 0.0
        for pid in mine:
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total
    except OSError:
        return float("nan")


def _pipeline_side_by_side(sessions: tuple[int, ...] = (1, 10), repeats: int = 2) -> None:
    """The pipeline alone, no browser, no Streamlit: N threads call `service.prepare_sheet`
    at the same moment (as N script threads do), with a pool of sheet workers and without,
    alternated. Printed: the slowest and the median of each burst, and the CPU seconds per
    sheet of this process and of the workers."""
    import threading

    from dashboard import service
    from dashboard.adapters import render_pool
    from dashboard.core.loader import load_content
    from dashboard.core.sheet import default_selection

    content = load_content()
    assessment = service.assess(BASELINE, content)
    choices = service.Choices(selected=default_selection(assessment))

    def burst(n: int) -> tuple[float, float]:
        took: list[float] = []

        def one() -> None:
            began = time.perf_counter()
            service.prepare_sheet(assessment, choices, content)
            took.append(time.perf_counter() - began)

        threads = [threading.Thread(target=one) for _ in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return max(took), statistics.median(took)

    workers = render_pool.configured_workers() or 2
    print(f"\nThe pipeline alone (threads calling service.prepare_sheet at once; {workers} "
          "workers; slowest / median of a burst; CPU seconds per sheet here + in workers):")
    with render_pool.serving(workers=workers) as pool:
        if pool is None:
            print("  no pool could be started")
            return
        burst(workers * 2)  # warm both ways
        service.draw_sheets_with(None)
        burst(1)
        for n in sessions:
            for _ in range(repeats):
                for name, drawer in (("in the thread", None), ("workers", pool.draw)):
                    service.draw_sheets_with(drawer)
                    before = _cpu_seconds(os.getpid())
                    slowest, median = burst(n)
                    after = _cpu_seconds(os.getpid())
                    here, there = ((after[i] - before[i]) / n for i in (0, 1))
                    print(f"  {n:2d} at once, {name:>13}: slowest {slowest:5.2f} s, median "
                          f"{median:5.2f} s; CPU/sheet {here:.2f} s here + {there:.2f} s in "
                          "workers", flush=True)
        service.draw_sheets_with(pool.draw)


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


class Tabs:
    """One server's sessions, opened as the levels need them (a few contexts, several tabs
    each), so that a time limit reached while opening costs only the highest levels."""

    def __init__(self, browser, url: str) -> None:
        self.browser, self.url = browser, url
        self.pages: list = []
        self.contexts: list = []

    async def grow(self, count: int, deadline: float) -> bool:
        """At least `count` tabs, ready to prepare; False if the run's time ran out first."""
        gate = asyncio.Semaphore(5)  # a few at a time: two cores set them up

        async def opened(i: int):
            while len(self.contexts) <= i // TABS_PER_CONTEXT:
                self.contexts.append(await self.browser.new_context(
                    accept_downloads=True, viewport={"width": 1400, "height": 900}))
            async with gate:
                return await _open_session(self.contexts[i // TABS_PER_CONTEXT], self.url, i)

        return await _grown(self.pages, count, opened, deadline)


async def _grown(pages: list, count: int, opened, deadline: float) -> bool:
    """Open sessions `len(pages)`..`count - 1` with `opened(i)` and add them to `pages`; False
    when they are not all open by `deadline` (time.monotonic())."""
    missing = range(len(pages), count)
    if not missing:
        return True
    try:
        pages += await asyncio.wait_for(asyncio.gather(*(opened(i) for i in missing)),
                                        timeout=max(1.0, deadline - time.monotonic()))
    except TimeoutError:
        return False
    return True


class LightSessions:
    """One server's light sessions (bench/load_client.py: the websocket protocol, no
    browser), opened as the levels need them, a few at a time."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pages: list = []

    async def grow(self, count: int, deadline: float) -> bool:
        from bench.load_client import ProtocolSession

        gate = asyncio.Semaphore(5)

        async def opened(i: int):
            async with gate:
                session = ProtocolSession(self.url)
                await session.open()
                await session.fill_and_get_ready(
                    f"{BASELINE['largest_tumour_cm'] + i % 5 * 0.5:.1f}")
                return session

        return await _grown(self.pages, count, opened, deadline)

    async def close(self) -> None:
        await asyncio.gather(*(p.close() for p in self.pages), return_exceptions=True)
        self.pages = []


async def _levels(client: str, sessions: dict, servers: dict, levels: list[int],
                  rounds: int | None, deadline: float, limit: float,
                  table: dict[tuple[str, str, int], Figures]) -> None:
    """Every level on every server, interleaved (a busy moment hits both setups alike)."""
    light = client == "light"
    for setup in servers:  # warm: workers, fonts, the first sheet (untimed)
        if await sessions[setup].grow(1, deadline):
            await _level(sessions[setup].pages[:1], 1, deadline, light=light)
    for sessions_now in levels:
        for setup, server in servers.items():
            if not light and sessions_now > SETUP_SESSIONS[setup]:
                continue
            opening = time.monotonic()
            if time.monotonic() > deadline or not await sessions[setup].grow(sessions_now,
                                                                             deadline):
                print(f"bench_load: the {CLIENT_NAMES[client]}'s time limit ({limit:.0f} s) "
                      f"was reached; level {sessions_now} ({setup}) not run", flush=True)
                continue
            opened = time.monotonic() - opening
            figures = await _level(sessions[setup].pages[:sessions_now],
                                   rounds_for(sessions_now, rounds), deadline,
                                   server.process.pid, light=light, url=server.url)
            table[(client, setup, sessions_now)] = figures
            print(f"  {client:>7}, {SETUP_NAMES[setup]:>20}, {sessions_now:2d} sessions "
                  f"(opened in {opened:3.0f} s): ready p50 "
                  f"{_p(figures.ready, 50):5.2f} s p95 {_p(figures.ready, 95):5.2f} s; "
                  f"download p50 {_p(figures.download, 50):5.2f} s; CPU/sheet "
                  f"{figures.cpu_per_sheet:.2f} s, client "
                  f"{figures.client_cpu_per_sheet:.2f} s; {figures.cores:.1f} cores busy; "
                  f"health answer p95 {_p(figures.health, 95) * 1000:.0f} ms "
                  f"({len(figures.ready)} sheets"
                  f"{'; ' + figures.failures[0] if figures.failures else ''})", flush=True)


async def _run_light(servers: dict, levels: list[int], rounds: int | None,
                     table: dict[tuple[str, str, int], Figures]) -> None:
    sessions = {setup: LightSessions(server.url) for setup, server in servers.items()}
    try:
        await _levels("light", sessions, servers, levels, rounds,
                      time.monotonic() + LIGHT_TIMEOUT, LIGHT_TIMEOUT, table)
    finally:
        for group in sessions.values():
            await group.close()


async def _run(servers: dict, levels: list[int], rounds: int | None,
               table: dict[tuple[str, str, int], Figures]) -> None:
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("bench_load: Chromium is needed (apt-get install chromium)")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, headless=True,
                                           args=CHROMIUM_ARGS)
        try:
            tabs = {setup: Tabs(browser, server.url) for setup, server in servers.items()}
            await _levels("browser", tabs, servers, levels, rounds,
                          time.monotonic() + RUN_TIMEOUT, RUN_TIMEOUT, table)
        finally:
            await browser.close()


def _print_table(table: dict[tuple[str, str, int], Figures], client: str, setups: list[str],
                 levels: list[int]) -> None:
    print(f"\n{CLIENT_NAMES[client]}: N sessions pressing Prepare at the same moment "
          "(seconds; ready = Prepare to Download button; download = click to PDF received; "
          "CPU = server + workers per sheet, and the share in the server's own process; "
          "client = the CPU the client used per sheet, on the same cores; cores busy = all "
          "that CPU over the time it took: near 2 when this run had both cores; health p95 = "
          "how long /_stcore/health took to answer meanwhile: the event loop's lag):")
    for setup in setups:
        print(f"\n{SETUP_NAMES[setup]}:")
        print(f"{'sessions':>8} | ready p50   p95 | download p50   p95 | p50 vs 1 session | "
              "CPU/sheet  in server | client CPU/sheet | cores busy | health p95 | sheets")
        one = table.get((client, setup, 1))
        for n in levels:
            f = table.get((client, setup, n))
            if f is None:
                print(f"{n:>8} | not run")
                continue
            ratio = (_p(f.ready, 50) / _p(one.ready, 50)) if one and one.ready else float("nan")
            note = f" ({f.failures[0]})" if f.failures else ""
            print(f"{n:>8} | {_p(f.ready, 50):9.2f} {_p(f.ready, 95):5.2f} | "
                  f"{_p(f.download, 50):12.2f} {_p(f.download, 95):5.2f} | "
                  f"{ratio:15.1f}x | {f.cpu_per_sheet:9.2f} {f.server_share:9.0%} | "
                  f"{f.client_cpu_per_sheet:16.2f} | {f.cores:10.1f} | "
                  f"{_p(f.health, 95) * 1000:7.0f} ms | {len(f.ready)}{note}")
    if len(setups) == 2:
        a, b = setups
        print(f"p95 ready, {SETUP_NAMES[b]} / {SETUP_NAMES[a]}: " + (", ".join(
            f"{n} sessions {_p(table[(client, b, n)].ready, 95) / _p(table[(client, a, n)].ready, 95):.2f}"  # noqa: E501
            for n in levels if (client, a, n) in table and (client, b, n) in table
            and table[(client, a, n)].ready and table[(client, b, n)].ready)
            or "not measured"))


def _print_clients(table: dict[tuple[str, str, int], Figures], setups: list[str],
                   levels: list[int], bare: float) -> None:
    """The two clients side by side (same servers, same run), and one session against the
    same sheet drawn in-process."""
    pairs = [(s, n) for s in setups for n in levels
             if ("light", s, n) in table and ("browser", s, n) in table
             and table[("light", s, n)].ready and table[("browser", s, n)].ready]
    if pairs:
        print("p95 ready, real browser / light client: " + ", ".join(
            f"{SETUP_NAMES[s]} {n} sessions "
            f"{_p(table[('browser', s, n)].ready, 95) / _p(table[('light', s, n)].ready, 95):.2f}"
            for s, n in pairs))
    for client in CLIENT_NAMES:
        first = table.get((client, setups[0], 1))
        if first and first.ready:
            print(f"one session ({CLIENT_NAMES[client]}, {SETUP_NAMES[setups[0]]}) / the same "
                  f"sheet drawn in-process, no server ({bare:.2f} s): "
                  f"{_p(first.ready, 50) / bare:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)),
                        help="sessions per level, light client")
    parser.add_argument("--browser-levels", default=",".join(map(str, BROWSER_LEVELS)),
                        help="sessions per level, real browser tabs ('' for none)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--setups", default="pool,inline",
                        help="pool (as shipped), inline (PREP_SHEET_WORKERS=0), or both")
    args = parser.parse_args(argv)
    levels, rounds = bounds(args.levels, args.rounds)
    browser_levels = bounds(args.browser_levels, None)[0] if args.browser_levels.strip() else []
    setups = [s for s in dict.fromkeys(args.setups.split(",")) if s in SETUPS] or ["pool"]
    began = time.monotonic()
    print(f"load average at the start: {os.getloadavg()[0]:.2f} (2 cores: above 1, others "
          "are using the machine)", flush=True)
    bare = _bare_render_seconds()
    if "pool" in setups and "inline" in setups:
        _pipeline_side_by_side()
    servers = {}
    table: dict[tuple[str, str, int], Figures] = {}
    try:
        for setup in setups:
            servers[setup] = start_server(SERVED, env=SETUPS[setup])
        print("\nBy the light client, then by real browser tabs (same servers):", flush=True)
        asyncio.run(_run_light(servers, levels, rounds, table))
        if browser_levels:
            asyncio.run(_run(servers, browser_levels, rounds, table))
    finally:
        for server in servers.values():
            stop_server(server)
    _print_table(table, "light", setups, levels)
    if browser_levels:
        _print_table(table, "browser", setups, browser_levels)
    print()
    _print_clients(table, setups, levels, bare)
    print(f"(total {time.monotonic() - began:.0f} s; load average at the end "
          f"{os.getloadavg()[0]:.2f})")
    expected = [("light", s, n) for s in setups for n in levels] + [
        ("browser", s, n) for s in setups for n in browser_levels if n <= SETUP_SESSIONS[s]]
    complete = all(key in table for key in expected)
    return 0 if complete and all(not f.failures for f in table.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
