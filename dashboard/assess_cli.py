"""`python -m dashboard assess`: patient factors -> JSON, JSON Lines or CSV on standard output.

Output streams chunk by chunk in input order, so memory stays bounded however long the list.
A long list is assessed on every core the process may use (concurrent.futures, fork): each
worker assesses and encodes whole chunks, the parent writes them in order. The workers inherit
the loaded content and the decoded input when they are forked, so a chunk is sent to a worker
as two numbers (its bounds in the list), not as pickled profiles, and each worker keeps one
encoder (its cache of encoded pieces) for every chunk it writes.
"""

from __future__ import annotations

import gc
import os
import sys
from collections import deque
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any, BinaryIO

from dashboard.adapters.assessments import Encoder
from dashboard.core.content import Content
from dashboard.core.loader import load_content

if TYPE_CHECKING:
    from concurrent.futures import Future

EXIT_INPUT = 2
CHUNK = 250  # profiles per piece of work and of output
PARALLEL_FROM = 1000  # below this, starting worker processes costs more than it saves


def write_assessments(data: Any, content: Content, fmt: str, pretty: bool,
                      out: BinaryIO | None = None) -> int:
    """Write every assessment as UTF-8; 2 when any profile had input errors, else 0."""
    out = out or sys.stdout.buffer
    many = isinstance(data, list)
    items = data if many else [data]
    encoder = Encoder(fmt, content, pretty=pretty)
    out.write(encoder.start(many).encode())
    errors = 0
    for text, refused in _chunks(items, content, encoder, many):
        out.write(text)
        errors += refused
    out.write(encoder.end(many).encode())
    out.flush()
    return EXIT_INPUT if errors else 0


@lru_cache(maxsize=1)
def shared_content() -> Content:
    """The content, loaded once per process; worker processes forked later inherit it."""
    return load_content()


def _chunks(items: list[Any], content: Content, encoder: Encoder,
            many: bool) -> Iterator[tuple[bytes, int]]:
    bounds = [(start, min(start + CHUNK, len(items))) for start in range(0, len(items), CHUNK)]
    workers = _workers()
    if len(items) < PARALLEL_FROM or workers < 2 or content is not shared_content():
        for start, end in bounds:
            yield _encode(items[start:end], start + 1, encoder, many)
        return
    yield from _in_parallel(items, _tapering(len(items), workers), workers, encoder, many)


def _tapering(total: int, workers: int) -> list[tuple[int, int]]:
    """Chunk bounds for worker processes: CHUNK profiles each, but the last 2 x workers x
    CHUNK profiles in chunks of a quarter of that, so that no worker idles long at the end
    waiting for the other's last chunk. The output does not depend on where chunks end."""
    bounds, start, small = [], 0, max(1, CHUNK // 4)
    while start < total:
        size = CHUNK if total - start > 2 * workers * CHUNK else small
        bounds.append((start, min(start + size, total)))
        start += size
    return bounds


def _encode(items: list[Any], first_number: int, encoder: Encoder,
            many: bool) -> tuple[bytes, int]:
    """A chunk's output, already UTF-8 (in a worker, so the parent only copies bytes)."""
    assessments = encoder.assessed(items)  # CSV: only the verdicts
    return (encoder.chunk(first_number, assessments, many),
            sum(1 for a in assessments if not a.ok))


# The input of the run in progress, for worker processes forked during it (they inherit it);
# set only while a run's pool is open.
_INPUT: list[Any] = []


def _in_parallel(items: list[Any], bounds: list[tuple[int, int]], workers: int,
                 encoder: Encoder, many: bool) -> Iterator[tuple[bytes, int]]:
    """Chunks in input order from worker processes, at most two per worker in flight (so a
    slow reader of the output never makes the parent hold the whole result)."""
    import multiprocessing  # only for a long list: a short one never pays for the import
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")  # the workers inherit content and input
    _INPUT[:] = [items]
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=gc.disable)
    pending: deque[Future[tuple[bytes, int]]] = deque()
    try:
        for start, end in bounds:
            pending.append(pool.submit(_work, start, end, encoder.fmt, encoder.pretty, many))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)
        _INPUT.clear()


def _work(start: int, end: int, fmt: str, pretty: bool, many: bool) -> tuple[bytes, int]:
    """One chunk of the inherited input in a worker process (gc is off there: assessments
    hold no cycles)."""
    return _encode(_INPUT[0][start:end], start + 1, _worker_encoder(fmt, pretty), many)


@lru_cache(maxsize=4)
def _worker_encoder(fmt: str, pretty: bool) -> Encoder:
    """One encoder per worker process and format: its pieces, encoded once, serve every chunk
    (the cache is bounded, and holds reason texts, never a patient's values)."""
    return Encoder(fmt, shared_content(), pretty=pretty)


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
