"""Benchmark the consultation screen, side by side with trivial Streamlit apps in one run.

1. AppTest: one rerun of the full page after a form submit (11 cards, "Why?" panels, table,
   sheet panel) against a rerun of a one-widget app. Aim: full rerun under 100 ms.
2. Server start-up: from launching `streamlit run` to /_stcore/health answering, for the
   dashboard against a hello-world app. Aim: within 1.5x of hello-world.
   Streamlit answers /_stcore/health before it runs any script (a script runs when a browser
   session connects), so this measures the server, not the page.
3. So, for information: the first script run in a fresh process (imports and content loading
   included), both apps.

Run: .venv/bin/python bench/bench_app.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from dashboard.core.loader import load_content  # noqa: E402
from tests.browser_support import APP, start_server, stop_server  # noqa: E402
from tests.conftest import BASELINE  # noqa: E402
from tests.test_app import fill, submit  # noqa: E402

RERUNS = 30
STARTS = 5
ONE_WIDGET = "import streamlit as st\nst.number_input('Value', key='v')\n"
HELLO = "import streamlit as st\nst.write('Hello, world')\n"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def time_reruns(at: AppTest, n: int = RERUNS) -> list[float]:
    at.run()  # warm
    samples = []
    for _ in range(n):
        began = time.perf_counter()
        at.run()
        samples.append(time.perf_counter() - began)
        assert not at.exception, at.exception
    return samples


def rerun_benchmark(trivial: Path) -> tuple[float, float]:
    content = load_content()
    full = AppTest.from_file(str(APP), default_timeout=60).run()
    submit(fill(full, content, BASELINE))
    assert len(full.expander) > len(content.options), "the results did not render"
    small = AppTest.from_file(str(trivial), default_timeout=60).run()
    full_ms, small_ms = [], []
    for _ in range(3):  # interleave, so both see the same machine state
        full_ms.append(median_ms(time_reruns(full)))
        small_ms.append(median_ms(time_reruns(small)))
    return min(full_ms), min(small_ms)


def startup_benchmark(hello: Path) -> tuple[float, float]:
    app_s, hello_s = [], []
    for _ in range(STARTS):  # interleaved
        for script, bucket in ((APP, app_s), (hello, hello_s)):
            server = start_server(script)
            bucket.append(server.started_in)
            stop_server(server)
    return median_ms(app_s), median_ms(hello_s)


def first_run_ms(script: Path) -> float:
    code = textwrap.dedent(f"""
        import time
        began = time.perf_counter()
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({str(script)!r}, default_timeout=60).run()
        assert not at.exception
        print(time.perf_counter() - began)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1]) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        trivial, hello = Path(tmp) / "one_widget.py", Path(tmp) / "hello.py"
        trivial.write_text(ONE_WIDGET)
        hello.write_text(HELLO)

        full, small = rerun_benchmark(trivial)
        print(f"AppTest rerun, full page after submit: {full:7.1f} ms (aim: under 100 ms)")
        print(f"AppTest rerun, one-widget app:         {small:7.1f} ms")
        print(f"ratio full / one-widget:               {full / small:7.1f}x")

        app_start, hello_start = startup_benchmark(hello)
        print(f"server start to /_stcore/health, dashboard:   {app_start:7.0f} ms")
        print(f"server start to /_stcore/health, hello world: {hello_start:7.0f} ms")
        print(f"ratio dashboard / hello world:                {app_start / hello_start:7.2f}x "
              "(aim: 1.5x or less)")

        cold_app, cold_hello = first_run_ms(APP), first_run_ms(hello)
        print(f"first script run in a fresh process, dashboard:   {cold_app:7.0f} ms")
        print(f"first script run in a fresh process, hello world: {cold_hello:7.0f} ms "
              f"({cold_app / cold_hello:.1f}x; imports and content loading included)")


if __name__ == "__main__":
    main()
