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
])
@pytest.mark.hazard("H85")
def test_the_load_bench_never_runs_more_than_twenty_sessions_or_ten_rounds(levels, rounds,
                                                                           expected):
    assert _bench().bounds(levels, rounds) == expected


@pytest.mark.hazard("H85")
def test_the_load_bench_has_time_limits_and_the_four_levels():
    bench = _bench()
    assert bench.LEVELS == (1, 5, 10, 20) and bench.MAX_SESSIONS == 20
    assert 0 < bench.STEP_TIMEOUT <= bench.LEVEL_TIMEOUT <= bench.RUN_TIMEOUT <= 240


def test_the_percentiles_are_the_usual_ones():
    bench = _bench()
    values = [float(v) for v in range(1, 101)]
    assert bench._p(values, 50) == pytest.approx(50.5, abs=0.5)
    assert bench._p(values, 95) == pytest.approx(95.05, abs=0.5)
    assert bench._p([2.0], 95) == 2.0
