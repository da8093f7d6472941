"""The load benchmark stops by itself: bounded sessions, rounds and time (issue #12 item 10)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.conftest import ROOT


def _bench():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "bench_load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_load", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("levels,rounds,expected", [
    ("1,5,10,20", 3, ([1, 5, 10, 20], 3)),
    ("1000,0,-4", 99, ([20, 1, 1], 10)),
    ("5", 0, ([5], 1)),
    ("1,10", None, ([1, 10], None)),
])
@pytest.mark.hazard("H85")
def test_the_load_bench_never_runs_more_than_twenty_sessions_or_ten_rounds(levels, rounds,
                                                                           expected):
    assert _bench().bounds(levels, rounds) == expected


@pytest.mark.hazard("H85")
def test_the_load_bench_has_time_limits_and_the_four_levels():
    bench = _bench()
    assert bench.LEVELS == (1, 5, 10, 20) and bench.MAX_SESSIONS == 20
    assert 0 < bench.STEP_TIMEOUT <= bench.LEVEL_TIMEOUT <= bench.LIGHT_TIMEOUT
    assert bench.LEVEL_TIMEOUT <= bench.RUN_TIMEOUT
    # the light client's levels, then the browser's, each stopping by its own limit
    assert bench.LIGHT_TIMEOUT + bench.RUN_TIMEOUT + 2 * bench.LAST_LEVEL_GRACE <= 360
    assert bench.BROWSER_LEVELS == (1, 5, 10)


def test_each_level_makes_at_least_five_sheets_unless_rounds_are_given():
    bench = _bench()
    assert [bench.rounds_for(n, None) for n in (1, 2, 5, 10, 20)] == [5, 3, 1, 1, 1]
    assert [bench.rounds_for(n, 3) for n in (1, 20)] == [3, 3]


def test_the_in_script_comparison_stops_at_ten_sessions_and_every_tab_is_a_front_tab():
    bench = _bench()
    assert bench.SETUP_SESSIONS == {"pool": 20, "inline": 10}
    assert set(bench.SETUPS) == {"pool", "inline"}
    # both draw each sheet on Prepare: drawing ahead would move the drawing to the review tick,
    # out of what the bench times
    assert bench.SETUPS["inline"] == {"PREP_SHEET_WORKERS": "0", "PREP_SHEET_AHEAD_SECONDS": "0"}
    assert bench.SETUPS["pool"] == {"PREP_SHEET_AHEAD_SECONDS": "0"}
    # A back tab of a context draws about once a second: its Download click waited ~2 s.
    assert bench.TABS_PER_CONTEXT == 1


def test_the_percentiles_are_the_usual_ones():
    bench = _bench()
    values = [float(v) for v in range(1, 101)]
    assert bench._p(values, 50) == pytest.approx(50.5, abs=0.5)
    assert bench._p(values, 95) == pytest.approx(95.05, abs=0.5)
    assert bench._p([2.0], 95) == 2.0


@pytest.mark.slow
@pytest.mark.hazard("H85")
def test_the_light_client_makes_and_downloads_this_sessions_real_sheet_rerunning_the_panel_only():
    """The bench's light client (bench/load_client.py) drives a session as the page does: its
    Prepare reruns only the sheet panel (one fragment run, no stale rerun of the page), and
    what it downloads is a real PDF of this session's sheet (the check code "Sheet ready"
    showed, which changes with every value the sheet was made from)."""
    import asyncio
    import re

    from bench.load_client import ProtocolSession
    from tests.browser_support import SERVED, start_server, stop_server
    from tests.safety_support import pdf_pages, pdf_text

    async def one_sheet(url: str) -> tuple[list[int], list[str], bytes]:
        session = ProtocolSession(url)
        try:
            await session.open()
            await session.fill_and_get_ready("4.5")
            before = len(session.finished)
            await session.prepare()
            runs = session.finished[before:]
            _took, pdf = await session.download()
            return runs, session.alerts, pdf
        finally:
            await session.close()

    server = start_server(SERVED)
    try:
        runs, alerts, pdf = asyncio.run(one_sheet(server.url))
    finally:
        stop_server(server)
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    assert runs == [ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY]
    codes = [m.group(1).replace("\\", "") for a in alerts
             if (m := re.search(r"check code \*\*([0-9A-F\\-]+)\*\*", a))]
    assert codes, alerts
    text = pdf_text(pdf)
    assert f"Check code {codes[-1]}" in text and len(pdf_pages(pdf)) <= 2
