"""Load: 1, 5, 10 and 20 sessions preparing a sheet at the same moment (issue #12 item 10).

Bounded and self-stopping: at most 20 sessions, ROUNDS prepares each, a time limit per level
and for the whole run; every server it starts is stopped at the end. Everything on 127.0.0.1.

How a session is driven. Chromium fills the form of one real session once while its websocket
messages are recorded (the form, the review tick, "Prepare discussion sheet"). Then N light
clients (no browser: a browser per session would measure Chromium, not the server) each open
their own session the way the page does (GET / for the owner cookie, websocket with the app's
Origin), replay the recorded messages up to the prepare click, and wait together; then all N
press "Prepare" at the same moment, ROUNDS times. A prepare counts when the server has
finished that script run and drawn the Download button; its latency is from the click to
that moment. Every server process prepares one sheet, untimed, before the levels start.

Side by side in one run: one server process, and two replicas (two processes, each session
kept on one of them, as the sticky proxy in deploy/nginx/ does). Printed: p50 / p95 in
seconds per level, and the ratio one server / two replicas. Figures taken while other work
runs on the machine are not reliable; the lead takes the final figures.

Run: .venv/bin/python bench/bench_load.py [--levels 1,5,10,20] [--rounds 3] [--replicas 1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from tests.browser_support import (  # noqa: E402
    SERVED,
    chromium,
    enter_factors,
    press_prepare,
    ready_to_prepare,
    start_server,
    stop_server,
    wait_for_app,
)
from tests.conftest import BASELINE  # noqa: E402

LEVELS = (1, 5, 10, 20)
ROUNDS = 3
MAX_SESSIONS = 20
STEP_TIMEOUT = 120.0  # one script run (setup step or prepare)
LEVEL_TIMEOUT = 400.0
RUN_TIMEOUT = 1500.0
FINISHED = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")


def record_session(url: str) -> list[bytes]:
    """The rerun messages one real Chromium session sends, the last one being the prepare."""
    from dashboard.core.loader import load_content

    content = load_content()
    sent: list[bytes] = []
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("bench_load: Chromium is needed to record a session "
                         "(apt-get install chromium)")
    with chromium(executable) as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("websocket", lambda ws: ws.on(
            "framesent", lambda payload: sent.append(payload)
            if isinstance(payload, bytes) else None))
        page.goto(url)
        wait_for_app(page)
        enter_factors(page, content, BASELINE)
        ready_to_prepare(page, name="Load Test", timeout=60_000)  # ticks the options first
        before = len(sent)
        press_prepare(page, timeout=60_000)
        prepare_at = next(i for i in range(before, len(sent)) if _is_rerun(sent[i]))
    return [_fresh(m) for m in sent[:prepare_at + 1] if _is_rerun(m)]


def _is_rerun(raw: bytes) -> bool:
    msg = BackMsg()
    msg.ParseFromString(raw)
    return msg.WhichOneof("type") == "rerun_script"


def _fresh(raw: bytes) -> bytes:
    """The message as a new client would send it: no cached-message hashes."""
    msg = BackMsg()
    msg.ParseFromString(raw)
    del msg.rerun_script.cached_message_hashes[:]
    return msg.SerializeToString()


def _owner_cookie(url: str) -> str:
    with urllib.request.urlopen(url + "/", timeout=30) as response:
        cookie = response.headers.get("set-cookie", "")
    return cookie.split(";", 1)[0]


async def _run_until_finished(ws, message: bytes) -> bool:
    """Send one rerun; True once the run finished and the Download button was drawn."""
    await ws.send(message)
    drew_download = False
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=STEP_TIMEOUT)
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element" \
                and msg.delta.new_element.WhichOneof("type") == "download_button":
            drew_download = True
        if kind == "script_finished" and msg.script_finished == FINISHED:
            return drew_download


async def _session(url: str, messages: list[bytes], start: asyncio.Barrier, rounds: int,
                   latencies: list[float], failures: list[str]) -> None:
    from websockets.asyncio.client import connect

    cookie = await asyncio.to_thread(_owner_cookie, url)
    setup, prepare = messages[:-1], messages[-1]
    async with connect(url.replace("http://", "ws://") + "/_stcore/stream",
                       subprotocols=["streamlit"], origin=url,
                       additional_headers={"Cookie": cookie}, max_size=None,
                       open_timeout=60) as ws:
        for message in setup:
            await _run_until_finished(ws, message)
        for _ in range(rounds):
            await start.wait()
            began = time.perf_counter()
            if await _run_until_finished(ws, prepare):
                latencies.append(time.perf_counter() - began)
            else:
                failures.append("no download button after prepare")
            await start.wait()  # everyone finished this round before the next click


async def _level(urls: list[str], messages: list[bytes], sessions: int,
                 rounds: int) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    failures: list[str] = []
    start = asyncio.Barrier(sessions)
    tasks = [_session(urls[i % len(urls)], messages, start, rounds, latencies, failures)
             for i in range(sessions)]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=LEVEL_TIMEOUT)
    except TimeoutError:
        failures.append(f"level stopped after {LEVEL_TIMEOUT:.0f} s")
    except Exception as exc:  # noqa: BLE001 - report and go on to the next level
        failures.append(f"{type(exc).__name__}: {exc}")
    return latencies, failures


def _bare_render_seconds() -> float:
    """What the prepare costs without any server: the service call on the same patient."""
    from dashboard import service
    from dashboard.core.loader import load_content

    content = load_content()
    times = []
    for _ in range(3):
        began = time.perf_counter()
        service.prepare_sheet(BASELINE, service.Choices(), content,
                              patient=service.PatientDetails(name="Load Test"))
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def bounds(levels: str, rounds: int) -> tuple[list[int], int]:
    """The levels and rounds asked for, held to at most MAX_SESSIONS and 10 rounds."""
    asked = [int(n) for n in levels.split(",") if n.strip()]
    return [max(1, min(n, MAX_SESSIONS)) for n in asked][:8], max(1, min(rounds, 10))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--replicas", default="1,2")
    args = parser.parse_args(argv)
    levels, rounds = bounds(args.levels, args.rounds)
    setups = [max(1, min(int(n), 2)) for n in args.replicas.split(",")]
    began = time.monotonic()
    servers = [start_server(SERVED) for _ in range(max(setups))]
    table: dict[tuple[int, int], tuple[float, float, int, list[str]]] = {}
    bare = float("nan")
    try:
        messages = record_session(servers[0].url)
        print(f"recorded one session: {len(messages)} script runs, the last one the prepare")
        for server in servers:  # warm every process (imports, fonts) before timing it
            asyncio.run(_level([server.url], messages, 1, 1))
        bare = _bare_render_seconds()
        print(f"the same sheet rendered in-process, no server: {bare:.2f} s (median of 3)")
        for sessions in levels:  # interleaved, so a busy moment of the machine hits both
            for replicas in setups:
                if time.monotonic() - began > RUN_TIMEOUT:
                    print("bench_load: time limit reached, stopping")
                    break
                urls = [s.url for s in servers[:replicas]]
                latencies, failures = asyncio.run(_level(urls, messages, sessions, rounds))
                table[(replicas, sessions)] = (_p(latencies, 50), _p(latencies, 95),
                                               len(latencies), failures)
                print(f"  {replicas} server process(es), {sessions:2d} sessions: "
                      f"p50 {_p(latencies, 50):5.2f} s  p95 {_p(latencies, 95):5.2f} s  "
                      f"({len(latencies)} prepares{'; ' + failures[0] if failures else ''})",
                      flush=True)
    finally:
        for server in servers:
            stop_server(server)
    print("\nPreparing a sheet, N sessions pressing Prepare at the same moment "
          f"({rounds} rounds; seconds):")
    print(f"{'sessions':>8} | " + " | ".join(f"{r} process{'es' if r > 1 else '':2} p50   p95"
                                             for r in setups) + " | p95 ratio 1/2")
    for sessions in levels:
        cells = []
        for replicas in setups:
            p50, p95, _, _ = table.get((replicas, sessions), (float("nan"),) * 2 + (0, []))
            cells.append(f"{p50:14.2f} {p95:5.2f}")
        ratio = ""
        if (1, sessions) in table and (2, sessions) in table and table[(2, sessions)][1] > 0:
            ratio = f"{table[(1, sessions)][1] / table[(2, sessions)][1]:.2f}"
        print(f"{sessions:>8} | " + " | ".join(cells) + f" | {ratio}")
    if (1, 1) in table:
        print(f"one session on one process / in-process render: "
              f"{table[(1, 1)][0] / bare:.2f}x (what the server adds to the PDF's own time)")
    print(f"(total {time.monotonic() - began:.0f} s)")
    return 0 if all(not f for *_, f in table.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
