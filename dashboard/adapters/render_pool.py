"""Sheets drawn off the server's GIL: a small pool of worker processes (issue #12, Load; H140).

Streamlit runs every session's script in a thread of one process, and the PDF is pure Python
(fpdf2): under the global interpreter lock one process draws one sheet at a time, however many
cores the machine has, and every other session's script waits for it. The launcher
(`dashboard/serve.py`) starts this pool once, with the server, and hands it to the one
pipeline (`service.draw_sheets_with`): `service.prepare_sheet` still checks everything itself
and gives only its last step (build the sheet, render the PDF) to a worker; the script thread
waits for the bytes with the GIL released. The screen's page count ("2 pages, in English, on
US Letter", a full layout) is laid out by a worker the same way.

* **Memory only.** A job (the assessment, the sheet's choices, the date, the language) goes to
  a worker and its PDF comes back through the pool's pipes (`multiprocessing`, spawn: a
  server runs threads, and forking a process with threads can deadlock the child). Nothing is
  written to disk, nothing is logged but an error's code.
* **No per-patient state in a worker.** A worker keeps the content and the fonts it loaded at
  start; a job's values live only while it is drawn (tested: after a sheet, none of the
  worker's live objects holds the patient's name). No text measurements are shared between
  sheets, unlike a clinic day's own workers, whose sheets are all one care team's.
* **Bounded.** At most `max_pending` sheets are admitted at once (drawn or waiting for a
  worker); one more is refused at once with a clear message (`ErrorKind.BUSY`), never queued
  without end, and a sheet not drawn within `timeout` seconds gets the same message (its
  place stays taken until its worker is done with it, so the bound holds after a timeout).
* **Never a lost sheet.** Content that differs from the server's, a worker that died or a pool
  that cannot start: the sheet is drawn in the calling thread instead, as without a pool, and
  a broken pool is replaced for the next sheet.

Settings (environment of the server): `PREP_SHEET_WORKERS` workers, 0-8 (default: one per CPU
core, at most 4; 0: no pool, sheets drawn in the script thread); `PREP_SHEET_QUEUE` sheets
admitted at once, 1-200 (default 32).
"""

from __future__ import annotations

import collections
import concurrent.futures as futures
import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import Any

from dashboard import service
from dashboard.core.assessment import Assessment
from dashboard.core.content import Content
from dashboard.core.sheet import SheetChoices

_LOG = logging.getLogger("dashboard")

MAX_WORKERS = 8
DEFAULT_QUEUE = 32
MAX_QUEUE = 200
TIMEOUT = 60.0  # seconds a sheet may take from admission to its bytes


def _setting(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.isdigit() and low <= int(raw) <= high else default


def configured_workers() -> int:
    return _setting("PREP_SHEET_WORKERS", min(os.cpu_count() or 1, 4), 0, MAX_WORKERS)


def configured_queue() -> int:
    return _setting("PREP_SHEET_QUEUE", DEFAULT_QUEUE, 1, MAX_QUEUE)


class SheetPool:
    """Worker processes that draw sheets for `service.prepare_sheet`. Thread-safe."""

    def __init__(self, workers: int, max_pending: int = DEFAULT_QUEUE,
                 timeout: float = TIMEOUT) -> None:
        if workers < 1 or max_pending < 1:
            raise ValueError("a sheet pool needs at least one worker and one place")
        self.workers = workers
        self.max_pending = max_pending
        self.timeout = timeout
        self.drawn_by: collections.Counter[int] = collections.Counter()  # worker pid -> sheets
        self.counted_by: collections.Counter[int] = collections.Counter()  # pid -> page counts
        self._slots = threading.BoundedSemaphore(max_pending)
        self._lock = threading.Lock()
        self._executor: futures.ProcessPoolExecutor | None = None

    # ----------------------------------------------------------------------- life cycle

    def start(self) -> SheetPool:
        """Start the workers now (each loads the content and the fonts once)."""
        with self._lock:
            if self._executor is None:
                self._executor = self._new_executor()
        return self

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _new_executor(self) -> futures.ProcessPoolExecutor:
        from dashboard.core.loader import CONTENT_DIR

        executor = futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(str(CONTENT_DIR),))
        for _ in range(self.workers):  # spawn every worker now, not at the first sheets
            executor.submit(os.getpid)
        return executor

    def _draw_here(self, executor: futures.ProcessPoolExecutor | None,
                   exc: BaseException) -> None:
        """The caller draws this sheet; a broken pool is replaced for the next ones."""
        _LOG.warning("sheet work done in the script thread (%s)", type(exc).__name__)
        if executor is not None and isinstance(exc, BrokenProcessPool):
            self._replace(executor)

    def _replace(self, broken: futures.ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = self._new_executor()
        broken.shutdown(wait=False, cancel_futures=True)

    def worker_pids(self) -> set[int]:
        """The process ids of the live workers (for tests and the operator)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return {pid for pid, process in dict(processes).items() if process.is_alive()}

    # ----------------------------------------------------------------------- drawing

    def draw(self, assessment: Assessment, content: Content, choices: SheetChoices,
             created: datetime, language: str) -> service.SheetOutcome | None:
        """The sheet drawn by a worker; a BUSY outcome when the pool is full or too slow;
        None when it must be drawn by the caller (no pool, a broken pool, other content)."""
        state, pid, drawn = self._run(_draw_job, content, assessment, choices, created,
                                      language)
        if state in (_FULL, _LATE):
            return service.busy_outcome(assessment, content)
        if state == _HERE or drawn is None:  # None: this worker's content is not the server's
            return None
        with self._lock:
            self.drawn_by[pid] += 1
        pdf, errors, file_name, pages = drawn
        return service.SheetOutcome(assessment, pdf, errors, file_name, pages)

    def count_pages(self, assessment: Assessment, content: Content, choices: SheetChoices,
                    created: datetime, language: str) -> int | None:
        """The sheet's page count laid out by a worker (None: no sheet can be made), or
        `service.COUNT_HERE` when the pool is full, slow, broken or has other content: the
        screen's page count is then laid out in the script thread, as without a pool."""
        state, pid, pages = self._run(_count_job, content, assessment, choices, created,
                                      language)
        if state != _DONE:
            return service.COUNT_HERE
        if pages != service.COUNT_HERE:
            with self._lock:
                self.counted_by[pid] += 1
        return pages

    def _run(self, job: Callable[..., tuple[int, Any]], content: Content,
             *args: Any) -> tuple[str, int, Any]:
        """`job(*args, content.version)` in a worker: (_DONE, its pid, its result), or
        (_FULL / _LATE / _HERE, 0, None): no place free, no answer in time, or the pool's
        machinery failed (the caller then does the work itself)."""
        if not self._slots.acquire(blocking=False):
            return _FULL, 0, None
        executor = self._executor
        try:
            if executor is None:
                raise RuntimeError("the pool is closed")
            future = executor.submit(job, *args, content.version)
        except RuntimeError as exc:  # a broken (BrokenProcessPool) or closed pool
            self._slots.release()
            self._draw_here(executor, exc)
            return _HERE, 0, None
        # The place is held until the worker is done with the job, even after a timeout.
        future.add_done_callback(lambda _done: self._slots.release())
        try:
            pid, result = future.result(timeout=self.timeout)
        except futures.TimeoutError:
            future.cancel()  # still waiting for a worker: never started
            return _LATE, 0, None
        except Exception as exc:  # noqa: BLE001 - a dead worker, a pipe: never a traceback
            self._draw_here(executor, exc)
            return _HERE, 0, None
        return _DONE, pid, result


_DONE, _FULL, _LATE, _HERE = "done", "full", "late", "here"


# --------------------------------------------------------------------------- in a worker

_WORKER: dict[str, Any] = {}  # the content and nothing else: never a job's values


def _start_worker(root: str) -> None:
    """In a sheet worker: the content and the fonts, loaded once (the same helper as a clinic
    day's workers, `service.load_worker`), but no text measurements shared between sheets:
    this worker draws for every clinician of the server. A job for other content is handed
    back (`_draw_job`), not refused at start: the server keeps serving."""
    content = _WORKER["content"] = service.load_worker(root, share_measurements=False)
    _warm(content)


def _warm(content: Content) -> None:
    """Draw one sheet for nobody (every core factor not yet known), so that a worker's first
    clinician does not wait for what a process does once (imports, caches: about a second)."""
    from datetime import UTC

    unknown = {factor.id: None for factor in content.factors if factor.core}
    try:
        service.prepare_sheet(unknown, service.Choices(), content, created=datetime.now(UTC))
    except Exception:  # noqa: BLE001 - a warm-up only: a real sheet reports its own error
        _LOG.warning("sheet worker not warmed up")


def _draw_job(assessment: Assessment, choices: SheetChoices, created: datetime, language: str,
              version: str) -> tuple[int, tuple[bytes | None, tuple, str, int | None] | None]:
    content = _WORKER.get("content")
    if content is None or content.version != version:
        return os.getpid(), None
    outcome = service.draw_sheet(assessment, content, choices, created, language)
    return os.getpid(), (outcome.pdf, outcome.errors, outcome.file_name, outcome.pages)


def _count_job(assessment: Assessment, choices: SheetChoices, created: datetime,
               language: str, version: str) -> tuple[int, int | None]:
    content = _WORKER.get("content")
    if content is None or content.version != version:
        return os.getpid(), service.COUNT_HERE
    return os.getpid(), service.sheet_page_count(assessment, choices, content, created=created,
                                                 language=language)


# --------------------------------------------------------------------------- the server's pool

@contextlib.contextmanager
def serving(workers: int | None = None, max_pending: int | None = None) -> Iterator[
        SheetPool | None]:
    """The server's pool while the block runs: started, handed to `service.prepare_sheet`,
    then withdrawn and stopped. With 0 workers (or a pool that cannot start), no pool."""
    workers = configured_workers() if workers is None else workers
    pool = None
    if workers > 0:
        try:
            pool = SheetPool(workers, configured_queue() if max_pending is None
                             else max_pending).start()
        except (OSError, RuntimeError) as exc:
            _LOG.warning("no sheet pool (%s); sheets drawn in the script thread",
                         type(exc).__name__)
    service.draw_sheets_with(pool.draw if pool else None, pool.count_pages if pool else None)
    try:
        yield pool
    finally:
        service.draw_sheets_with(None)
        if pool is not None:
            pool.close()
