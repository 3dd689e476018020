"""Run one function over many items, in worker processes when that pays (``--jobs``).

Workers are forked, so they inherit what the parent set up (the rules, the options, the
fixer's overlay of unwritten contents) without pickling it; only the items and the results
cross.  Results come back in the order of the items whatever the number of workers, and one
at a time, so the caller can keep a small record of each and let the rest go.  Items are
handed out in contiguous chunks: Dockerfiles of one directory (which often start the same
script) land in the same worker, whose parse cache then serves them all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Fewer items than this per worker do not repay starting it (a fork and a pool: 20-50 ms on
#: a busy 2-core machine, where 20 Dockerfiles took twice as long with two workers).
MIN_ITEMS_PER_WORKER = 32


def available_cores() -> int:
    """The cores this process may run on (the CPU affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def worker_count(jobs: int | None, items: int) -> int:
    """How many processes to use: ``jobs`` (None: every core), fewer for a small run, and 1
    (in-process) where processes cannot be forked."""
    wanted = available_cores() if jobs is None or jobs <= 0 else jobs
    if not hasattr(os, "fork") or sys.platform in ("win32", "darwin"):
        return 1  # no fork (Windows), or fork is unsafe with the system libraries (macOS)
    return max(1, min(wanted, items // MIN_ITEMS_PER_WORKER))


class _Call(Generic[T, R]):
    """The function and its shared argument, set in the parent before the workers fork."""

    current: Any = None

    def __init__(self, func: Callable[[Any, T], R], shared: Any) -> None:
        self.func, self.shared = func, shared


class WorkerDied(Exception):
    """A worker process ended without a result (SIGKILL, the OOM killer, a crash): the run
    stops with this message instead of waiting for it forever."""


def _run_chunk(items: Sequence[Any]) -> list[Any]:
    call = _Call.current
    return [call.func(call.shared, item) for item in items]


def run(func: Callable[[Any, T], R], shared: Any, items: Sequence[T], jobs: int | None
        ) -> Iterator[R]:
    """``func(shared, item)`` for each item, in order.  ``func`` must not print: a worker's
    output would interleave."""
    workers = worker_count(jobs, len(items))
    if workers == 1:
        for item in items:
            yield func(shared, item)
        return
    import multiprocessing  # only now: it costs a one-file run 7 ms to import
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    previous = _Call.current
    _Call.current = _Call(func, shared)
    # A pool of processes that notices a dead worker (multiprocessing.Pool waits forever
    # for the chunk a SIGKILLed worker held).
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        chunk = max(1, min(64, len(items) // (workers * 4)))
        futures: list[Future[list[Any]] | None] = [
            pool.submit(_run_chunk, items[i:i + chunk]) for i in range(0, len(items), chunk)]
        for n, future in enumerate(futures):
            futures[n] = None  # a result is let go once used
            assert future is not None
            try:
                results = future.result()
            except BrokenProcessPool:
                raise WorkerDied(
                    "a worker process died (killed by a signal, perhaps for lack of memory) "
                    "before it finished; nothing was reported for the files it held "
                    "(--jobs 1 runs without workers)") from None
            yield from results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _Call.current = previous
