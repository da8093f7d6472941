"""Test-only helpers for the server's sheet workers (tests/test_load_pool.py, H140).

Kept out of `dashboard/adapters/render_pool.py`: nothing here is used by the product. This
module imports nothing but the standard library, so a spawned sheet worker can run `holds`
without loading pytest or the tests' fixtures.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any


def holds(backwards: str) -> bool:
    """Whether any live object of this process holds the text `backwards` spells backwards (a
    test's probe, run in a worker after its sheets: a worker must keep nothing of a patient;
    the probe's own argument must not count as a hit)."""
    text = backwards[::-1]  # a plain local: a closure's cell would itself be a hit
    gc.collect()
    # From every object the collector tracks, through everything they refer to: a dict or
    # tuple holding only strings is not tracked itself (CPython leaves them out).
    seen: set[int] = set()
    stack: list[Any] = gc.get_objects()
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            if text in obj:
                return True
        elif not isinstance(obj, bytes | int | float):
            stack.extend(gc.get_referents(obj))
    return False


@contextlib.contextmanager
def places_taken(pool: Any, count: int) -> Iterator[int]:
    """Take `count` of the pool's admission places for the block, as `count` sheets being
    drawn would (the test reaches the bound without racing real jobs); yields how many were
    taken."""
    taken = 0
    try:
        for _ in range(count):
            if pool._slots.acquire(blocking=False):
                taken += 1
        yield taken
    finally:
        for _ in range(taken):
            pool._slots.release()
