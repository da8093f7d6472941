"""The server's sheet workers (dashboard/adapters/render_pool.py; issue #12 Load, H140).

The screen's sheets are drawn by worker processes started once by the launcher, off the GIL
of Streamlit's one process; the one pipeline (`service.prepare_sheet`) still checks every
input itself. These tests prove: a sheet is drawn in a worker and is the same PDF as drawn in
the caller; a full pool refuses with a clear message instead of queuing without end; a
worker keeps nothing of a patient; a dead worker costs no sheet; the launcher starts the
workers with the server and stops them with it, and a clinician's sheet through the running
server is drawn by them. No timing is asserted.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from dashboard import service
from dashboard.adapters import render_pool
from dashboard.service import Choices, ErrorKind, PatientDetails, prepare_sheet
from tests import browser_support as web
from tests.browser_support import SERVED, start_server, stop_server
from tests.conftest import make_factors, require_browser
from tests.load_support import holds, places_taken
from tests.safety_support import CREATED, new_marker, pdf_text

pytestmark = [pytest.mark.slow, pytest.mark.hazard("H140")]  # starts processes
ONE = Choices(selected=("resection",))  # one option keeps each sheet quick


@pytest.fixture(scope="module")
def pool():
    with render_pool.serving(workers=1, max_pending=2) as started:
        assert started is not None
        yield started


def test_with_the_pool_a_sheet_is_drawn_in_a_worker_and_is_the_same_pdf(pool, content):
    before = sum(pool.drawn_by.values())
    patient = PatientDetails(name="Ann Pool", notes="Bring a list")
    outcome = prepare_sheet(make_factors(ecog=1), ONE, content, patient=patient, created=CREATED)
    assert outcome.ok and sum(pool.drawn_by.values()) == before + 1
    assert os.getpid() not in pool.drawn_by and set(pool.drawn_by) <= pool.worker_pids()
    service.draw_sheets_with(None)  # the same sheet, drawn in this thread
    try:
        here = prepare_sheet(make_factors(ecog=1), ONE, content, patient=patient,
                             created=CREATED)
    finally:
        service.draw_sheets_with(pool.draw, pool.count_pages)
    assert outcome.pdf == here.pdf and outcome.file_name == here.file_name
    assert outcome.check_code == here.check_code and "Ann Pool" in pdf_text(outcome.pdf)
    assert outcome.pages == here.pages == len(_pages(outcome.pdf))  # shown beside Prepare


def _pages(pdf: bytes) -> list:
    import io

    from pypdf import PdfReader

    return list(PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.hazard("H124")
def test_sheets_drawn_at_once_for_two_sessions_each_get_their_own_patient(pool, content):
    """Two sessions' sheets drawn at the same time (ahead of Prepare, say) through the one
    pool: each comes back with its own patient's name and notes only, never the other's."""
    from concurrent.futures import ThreadPoolExecutor

    names = [new_marker("Sa"), new_marker("Sb")]

    def draw(marker: str) -> str:
        outcome = prepare_sheet(make_factors(), ONE, content, created=CREATED,
                                patient=PatientDetails(name=f"{marker} Lee",
                                                       notes=f"{marker} note"))
        assert outcome.ok, outcome.errors
        return pdf_text(outcome.pdf)

    with ThreadPoolExecutor(2) as sessions:
        texts = list(sessions.map(draw, names))  # two: the pool admits both at once
    for text, (mine, other) in zip(texts, [names, names[::-1]]):
        assert mine in text and other not in text


def test_with_the_pool_the_screens_page_count_is_laid_out_in_a_worker(pool, content):
    from dashboard.core.sheet import SheetChoices

    assessment = service.assess(make_factors(), content)
    before = sum(pool.counted_by.values())
    counts = {}
    for options in (("resection",), ("resection", "rfa", "mwa", "tace")):
        sheet = SheetChoices(selected=options, patient_name="Ann Count")
        counts[options] = service.sheet_page_count(assessment, sheet, content, created=CREATED)
    assert sum(pool.counted_by.values()) == before + 2 and os.getpid() not in pool.counted_by
    service.draw_sheets_with(None)  # the same counts, laid out in this thread
    try:
        here = {options: service.sheet_page_count(assessment, SheetChoices(
            selected=options, patient_name="Ann Count"), content, created=CREATED)
            for options in counts}
    finally:
        service.draw_sheets_with(pool.draw, pool.count_pages)
    assert counts == here and all(isinstance(n, int) and n >= 1 for n in counts.values())
    unprintable = SheetChoices(selected=("resection",), patient_name="Ann \U0001f600")
    assert service.sheet_page_count(assessment, unprintable, content, created=CREATED) is None


def test_the_pool_still_reports_what_the_sheet_refuses(pool, content):
    outcome = prepare_sheet(make_factors(), ONE, content,
                            patient=PatientDetails(name="Ann \U0001f600"), created=CREATED)
    error, = outcome.errors
    assert (error.kind, error.field) == (ErrorKind.UNPRINTABLE, "patient_name")
    assert "Ann" not in error.quiet_message


def test_a_full_pool_refuses_the_next_sheet_at_once_with_a_clear_message(pool, content):
    with places_taken(pool, 2) as taken:
        assert taken == 2  # both places taken (max_pending=2)
        refused = prepare_sheet(make_factors(), ONE, content, created=CREATED)
    assert not refused.ok and refused.errors[0].kind is ErrorKind.BUSY
    assert "press Prepare again" in refused.errors[0].message
    assert refused.errors[0].message == content.string("ui.sheet_busy")
    assert prepare_sheet(make_factors(), ONE, content, created=CREATED).ok  # places free again


def test_a_worker_keeps_nothing_of_a_patient_after_drawing_the_sheet(pool, content):
    marker = new_marker("Wk")
    outcome = prepare_sheet(make_factors(), ONE, content,
                            patient=PatientDetails(name=f"{marker} Lee", notes=f"{marker} note"),
                            created=CREATED)
    assert outcome.ok and marker in pdf_text(outcome.pdf)
    kept = {marker: [marker]}  # the probe finds a name that something here still holds
    assert holds(marker[::-1]) and kept
    (worker,) = pool.worker_pids()
    probe = pool._executor.submit(holds, marker[::-1])
    assert probe.result(timeout=120) is False
    assert pool.worker_pids() == {worker}  # the probe ran in the worker that drew the sheet


def test_a_dead_worker_costs_no_sheet_and_the_pool_is_replaced(pool, content):
    (worker,) = pool.worker_pids()
    os.kill(worker, signal.SIGKILL)  # the worker this pool started, by its id
    deadline = time.monotonic() + 60
    while worker in pool.worker_pids() and time.monotonic() < deadline:
        time.sleep(0.1)
    drawn_before, drawers_before = sum(pool.drawn_by.values()), set(pool.drawn_by)
    outcome = prepare_sheet(make_factors(), ONE, content, created=CREATED)
    assert outcome.ok and sum(pool.drawn_by.values()) == drawn_before  # drawn here instead
    again = prepare_sheet(make_factors(), ONE, content, created=CREATED)
    assert again.ok and again.pdf == outcome.pdf
    assert sum(pool.drawn_by.values()) == drawn_before + 1
    assert set(pool.drawn_by) - drawers_before == pool.worker_pids() != {worker}  # a new one


def test_no_pool_without_workers_and_the_settings_are_bounded(monkeypatch):
    with render_pool.serving(workers=0) as none:
        assert none is None and service._DRAWER == []
    for raw, expected in (("0", 0), ("3", 3), ("9", None), ("-1", None), ("x", None)):
        monkeypatch.setenv("PREP_SHEET_WORKERS", raw)
        default = min(os.cpu_count() or 1, 4)
        assert render_pool.configured_workers() == (default if expected is None else expected)
    for raw, expected in (("1", 1), ("200", 200), ("0", 32), ("201", 32)):
        monkeypatch.setenv("PREP_SHEET_QUEUE", raw)
        assert render_pool.configured_queue() == expected
    with pytest.raises(ValueError):
        render_pool.SheetPool(0)


# --------------------------------------------------------------------------- the launcher

def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (exited, not yet reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _workers_of(server, expected: int) -> set[int]:
    """The server's sheet workers, once all `expected` have started (bounded wait)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        workers = {c for c in _children(server.process.pid)
                   if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()}
        if len(workers) >= expected:
            return workers
        time.sleep(0.2)
    return workers


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_the_launcher_starts_the_workers_with_the_server_and_stops_them_with_it():
    server = start_server(SERVED, env={"PREP_SHEET_WORKERS": "2"})
    try:
        workers = _workers_of(server, 2)
        assert len(workers) == 2
    finally:
        stop_server(server)
    deadline = time.monotonic() + 30
    while [w for w in workers if _running(w)] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [w for w in workers if _running(w)] == []
    off = start_server(SERVED, env={"PREP_SHEET_WORKERS": "0"})
    try:
        time.sleep(1)  # no worker to wait for: give a wrong start the chance to show
        assert _workers_of(off, 1) == set()
    finally:
        stop_server(off)


@pytest.mark.browser
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_a_clinicians_sheet_through_the_server_is_drawn_by_its_worker(content):
    executable = require_browser()
    server = start_server(SERVED, env={"PREP_SHEET_WORKERS": "1"})
    try:
        (worker,) = _workers_of(server, 1)
        with web.chromium(executable) as browser:
            context = browser.new_context(accept_downloads=True,
                                          viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.goto(server.url)
            web.wait_for_app(page)
            web.enter_factors(page, content, make_factors())
            ready_ticks = _cpu_ticks(worker)  # no sheet yet: the worker sits idle
            web.ready_to_prepare(page, name="Ann Worker", timeout=60_000)  # drawn ahead (H123)
            web.press_prepare(page, timeout=60_000)
            drew_ticks = _cpu_ticks(worker)
            data, _ = web.download_sheet(page)
            context.close()
        assert data.startswith(b"%PDF") and "Ann Worker" in pdf_text(data)
        assert drew_ticks > ready_ticks  # the worker did the drawing
    finally:
        stop_server(server)
