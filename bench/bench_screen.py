"""Benchmark the consultation screen in a real browser, side by side with hello-world apps.

In one run, with Debian Chromium driven by Playwright, each measured against a minimal app
doing the same kind of thing:
1. page load to interactive: navigation until the first field accepts input and the script run
   has finished (hello world: one text field). Aim: within 1.5x of hello-world.
2. a value change to updated results: typing a tumour size and leaving the field, until the
   options show the new check code (hello world: a text field echoed as text). Aim: 300 ms.
   The sheet section is closed then, as it is until the clinician opens it; the same change
   once it is open (its panel is then redrawn too) is printed on its own line, after step 3.
3. "Prepare" to download: the click until the PDF has been downloaded (hello world: a button
   that makes a small PDF-sized byte string and offers it). Aim: 1 s.

For the value change it also prints where the time goes, from Chromium's DevTools protocol
(a CDP session): the messages the server sent for the change and when the last one arrived, and
the browser's own script, style and layout time (Performance.getMetrics) for the change, and
the CPU time the page's main thread (ThreadTime) and the server process (/proc) spent on it:
CPU times barely move when other work shares the machine, wall times do. For Prepare the same
(messages of the click's run, the last one's arrival, CPU times) and when the download button was
in the page, before Playwright has waited for the layout to settle and clicked it.

"Done" is read from the page's text without forcing a layout (textContent, not innerText: a
layout forced on every animation frame of a 2,700-node page was part of what was measured),
then one painted frame is awaited; both apps are measured the same way.

For the page load the same CDP session, attached before the navigation, gives the messages and
their size, the script files fetched after the page's own (each kind of widget's code, fetched
when the first one arrives), the DOM nodes, and the same browser and server times.

Each round runs every app in turn (the order alternating), so a change in the machine's load
falls on all of them alike; `--against OTHER_TREE` adds another checkout's screen to the same
rounds (e.g. `git worktree add /tmp/base main`) and prints this tree's times over its. Figures are
medians of the rounds (7 by default, `--rounds`); wall times are unreliable while other work runs
on the machine, so the load average is printed with them.
Run: .venv/bin/python bench/bench_screen.py   (needs Chromium: apt-get install chromium)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser_support import (  # noqa: E402
    APP,
    DOWNLOAD,
    chromium,
    download_sheet,
    press_prepare,
    ready_to_prepare,
    running_app,
    wait_for_app,
)

ROUNDS = 7
HELLO = textwrap.dedent("""
    import streamlit as st
    value = st.text_input("Value", key="f_largest_tumour_cm")
    st.text(f"Echo {value}", )
    if st.button("Prepare", key="prepare"):
        st.session_state["data"] = b"%PDF-" + bytes(200_000)
    if "data" in st.session_state:
        st.download_button("Download", st.session_state["data"], "x.pdf", key="download",
                           on_click="ignore")
""")


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def load(browser, url: str, server_pid: int = 0) -> tuple[float, object, Wire, dict]:
    """Navigation until the first field accepts input and the run has finished; the page, its
    `Wire` (attached before the navigation; it measures the change after the load too), and
    where the load went: the messages the server sent
    and their size, the script files fetched after the page's own (a widget's code is fetched
    when the first widget of its kind arrives: a waterfall on the browser's six connections),
    the page's elements, the browser's script, style and layout time, the main thread's and
    the server's CPU time."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    wire = Wire(page)
    before = wire.metrics()
    server_before = cpu_seconds(server_pid) if server_pid else 0.0
    began = time.perf_counter()
    page.goto(url)
    page.locator(".st-key-f_largest_tumour_cm input").wait_for(state="visible", timeout=60_000)
    wait_for_app(page)
    elapsed = time.perf_counter() - began
    page.wait_for_timeout(100)  # the run's last frames are drawn
    after = wire.metrics()
    parts = {"messages": len(wire.received), "kB": sum(wire.sizes) / 1024,
             "late scripts": page.evaluate(LATE_SCRIPTS),
             "DOM nodes": page.evaluate("() => document.getElementsByTagName('*').length"),
             "browser CPU ms": (after["ThreadTime"] - before.get("ThreadTime", 0)) * 1000,
             "server CPU ms": (cpu_seconds(server_pid) - server_before) * 1000,
             **{k.replace("Duration", " ms"): (after[k] - before.get(k, 0)) * 1000
                for k in METRICS}}
    return elapsed, page, wire, parts


# Script files fetched after the document was parsed: the code of each kind of widget, fetched
# when the first one arrives (the page's own bundle is fetched before).
LATE_SCRIPTS = """() => {
  const parsed = performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd;
  return performance.getEntriesByType('resource')
    .filter(r => r.name.endsWith('.js') && r.startTime > parsed).length;
}"""


PAINTED = "() => new Promise(done => requestAnimationFrame(() => setTimeout(done)))"
METRICS = ("ScriptDuration", "RecalcStyleDuration", "LayoutDuration")
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; 0 elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Wire:
    """The websocket messages the server sends a page, counted through a CDP session."""

    def __init__(self, page) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.send("Performance.enable")
        self.sent: list[float] = []
        self.received: list[float] = []
        self.sizes: list[int] = []  # of the received frames (base64 for binary ones)
        self.cdp.on("Network.webSocketFrameSent", lambda e: self.sent.append(e["timestamp"]))
        self.cdp.on("Network.webSocketFrameReceived", self._received)

    def _received(self, event: dict) -> None:
        self.received.append(event["timestamp"])
        self.sizes.append(len(event["response"]["payloadData"]))

    def metrics(self) -> dict[str, float]:
        return {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}


def change(page, value: str, done_js: str, wire: Wire | None = None,
           server_pid: int = 0) -> tuple[float, dict]:
    """Type a value and leave the field; seconds until done and painted, and the breakdown.

    The CPU times (the browser page's main thread, the server process) do not grow when other
    work shares the machine, unlike the wall times: compare them between versions."""
    field = page.locator(".st-key-f_largest_tumour_cm input")
    field.fill(value)
    before = wire.metrics() if wire else {}
    server_before = cpu_seconds(server_pid) if server_pid else 0.0
    if wire:
        wire.sent.clear()
        wire.received.clear()
    began = time.perf_counter()
    field.press("Tab")
    page.wait_for_function(done_js, arg=value, timeout=60_000)
    page.evaluate(PAINTED)
    elapsed = time.perf_counter() - began
    wait_for_app(page)  # the whole run (what follows the results, too) has been drawn
    finished = time.perf_counter() - began
    parts: dict[str, float] = {}
    if wire and wire.sent and wire.received:
        page.wait_for_timeout(100)  # the run's last frames are drawn
        after = wire.metrics()
        parts = {"run finished ms": finished * 1000, "messages": len(wire.received),
                 "browser CPU ms": (after["ThreadTime"] - before["ThreadTime"]) * 1000,
                 "server CPU ms": (cpu_seconds(server_pid) - server_before) * 1000,
                 "last message ms": (wire.received[-1] - wire.sent[0]) * 1000,
                 **{k.replace("Duration", " ms"): (after[k] - before[k]) * 1000
                    for k in METRICS}}
    return elapsed, parts


def prepare(page, wire: Wire | None = None, server_pid: int = 0) -> tuple[float, dict]:
    """The Prepare click until the PDF is downloaded (the shared path of the browser tests),
    and where it goes: the messages the click's run sent and when the last arrived, when the
    download button was in the page (before Playwright's wait for it to settle), the browser's
    main-thread time and the server's CPU time for the click."""
    before = wire.metrics() if wire else {}
    server_before = cpu_seconds(server_pid) if server_pid else 0.0
    if wire:
        wire.sent.clear()
        wire.received.clear()
    page.evaluate(f"""() => {{ window.__offered = 0; const began = performance.now();
        new MutationObserver((_, seen) => {{ if (document.querySelector('{DOWNLOAD}')) {{
            window.__offered = performance.now() - began; seen.disconnect(); }} }})
        .observe(document.body, {{childList: true, subtree: true}}); }}""")
    began = time.perf_counter()
    press_prepare(page, timeout=60_000)
    offered = time.perf_counter() - began
    messages = len(wire.received) if wire else 0
    last = (wire.received[-1] - wire.sent[0]) * 1000 if wire and wire.received else 0.0
    data, _ = download_sheet(page)
    elapsed = time.perf_counter() - began
    if not data.startswith(b"%PDF"):
        raise SystemExit("bench_screen: the download is not a PDF")
    parts: dict[str, float] = {}
    if wire and messages:
        after = wire.metrics()
        parts = {"button in page ms": page.evaluate("() => window.__offered"),
                 "offered and settled ms": offered * 1000, "messages": messages,
                 "last message ms": last,
                 "browser CPU ms": (after["ThreadTime"] - before["ThreadTime"]) * 1000,
                 "server CPU ms": (cpu_seconds(server_pid) - server_before) * 1000}
    return elapsed, parts


# Done when the options show the check code of the new value (the screen) or the echo shows it.
CODE = "document.body.textContent.match(/Check code ([0-9A-F]{4}-[0-9A-F]{4})/)"
SCREEN_DONE = f"v => {{ const m = {CODE}; return m && m[1] !== window.__before; }}"
HELLO_DONE = "v => document.body.textContent.includes('Echo ' + v)"


class Measured:
    """One app's timings (seconds per round) and breakdowns, over the rounds."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {"load": [], "change": [], "prepare": [], "open": []}
        self.loads: list[dict] = []
        self.changes: list[dict] = []
        self.prepares: list[dict] = []


def measure(browser, server, screen: bool, i: int, out: Measured) -> None:
    """One round on one app: load, a value change, Prepare (and, for the screen, the change
    again with the sheet section open)."""
    url = server.url
    seconds, page, wire, parts = load(browser, url, server.process.pid)
    out.times["load"].append(seconds)
    out.loads.append(parts)
    change(page, "1.9", "v => true")  # the first value (not timed), then a change of it
    if screen:
        page.locator(".st-key-card_resection").wait_for(state="visible", timeout=60_000)
        page.evaluate(f"() => {{ window.__before = {CODE}[1]; }}")
    seconds, parts = change(page, f"{2 + i / 10:.1f}", SCREEN_DONE if screen
                            else HELLO_DONE, wire, server.process.pid)
    out.times["change"].append(seconds)
    out.changes.append(parts)
    if screen:  # tick the suggested options and the review box; Prepare is then enabled
        ready_to_prepare(page, timeout=60_000)
    seconds, parts = prepare(page, wire, server.process.pid)
    out.times["prepare"].append(seconds)
    out.prepares.append(parts)
    if screen:  # the sheet section is open now: the same kind of change, its panel redrawn
        page.evaluate(f"() => {{ window.__before = {CODE}[1]; }}")
        out.times["open"].append(change(page, f"{3 + i / 10:.1f}", SCREEN_DONE)[0])
    page.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--against", type=Path, metavar="OTHER_TREE",
                        help="also measure another checkout's screen in the same rounds")
    args = parser.parse_args()
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        sys.exit("Chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        hello = Path(folder) / "hello.py"
        hello.write_text(HELLO, encoding="utf-8")
        apps = [("screen", True, APP), ("hello-world", False, hello)]
        if args.against:
            other = args.against.resolve() / APP.relative_to(ROOT)
            apps.insert(1, (f"other tree ({args.against})", True, other))
        servers = [stack.enter_context(running_app(script)) for _, _, script in apps]
        browser = stack.enter_context(chromium(executable))
        for server in servers:  # warm every server once
            load(browser, server.url)[1].context.close()
        results = [Measured() for _ in apps]
        for i in range(args.rounds):  # side by side: each round runs every app, in turn
            turn = list(zip(apps, servers, results))
            for (_, screen, _), server, out in (turn if i % 2 == 0 else turn[::-1]):
                measure(browser, server, screen, i, out)
    report(args.rounds, [(name, out) for (name, _, _), out in zip(apps, results)])


def report(rounds: int, measured: list[tuple[str, Measured]]) -> None:
    (_, screen), (_, plain) = measured[0], measured[-1]
    aims = {"load": "within 1.5x of hello-world", "change": "under 300 ms",
            "prepare": "under 1 s"}
    load_average = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"browser timings, median of {rounds}, rounds alternating between the apps "
          f"(Chromium, 1440 px; load average {load_average})")
    for what, label in (("load", "page load to interactive"),
                        ("change", "value change to updated results"),
                        ("prepare", "Prepare to downloaded sheet")):
        a, b = median_ms(screen.times[what]), median_ms(plain.times[what])
        print(f"  {label:34} {a:7.0f} ms   hello-world {b:6.0f} ms   "
              f"ratio {a / b:4.2f}x   aim: {aims[what]}")
    print(f"  {'value change, sheet section open':34} "
          f"{median_ms(screen.times['open']):7.0f} ms   (its panel redrawn too; no aim)")
    for name, other in measured[1:-1]:
        print(f"  {name}, in the same rounds:")
        for what in ("load", "change", "prepare"):
            a, b = median_ms(other.times[what]), median_ms(plain.times[what])
            mine = median_ms(screen.times[what])
            print(f"    {what:8} {a:7.0f} ms   ratio to hello-world {a / b:4.2f}x   "
                  f"this tree / other {mine / a:4.2f}x")
    for what, field in (("a page load", "loads"), ("a value change", "changes"),
                        ("Prepare", "prepares")):
        print(f"  where {what} goes (medians; browser times are its main thread's):")
        for name, out in measured:
            rows = [r for r in getattr(out, field) if r]
            if rows:
                print(f"    {name[:12]:12} " + "   ".join(
                    f"{k} {statistics.median(r[k] for r in rows):.0f}" for k in rows[0]))


if __name__ == "__main__":
    main()
