"""Run one function over many items, in worker processes when that pays (``--jobs``).

Workers are forked, so they inherit what the parent set up (the rules, the options, the
fixer's overlay of unwritten contents) without pickling it; only the items and the results
cross.  Results come back in the order of the items whatever the number of workers, and one
at a time, so the caller can keep a small record of each and let the rest go.  Items are
handed out in contiguous chunks: Dockerfiles of one directory (which often start the same
script) land in the same worker, whose parse cache then serves them all.

The items may be a generator that is slow to exhaust (the search for Dockerfiles and each
one's configuration): once there are enough of them to repay the workers, the workers start
and lint the first chunks while the rest are still being prepared.  :func:`run` consumes all
the items before it returns, in one process or many, so what the caller does for each item
as it prepares it (a note) comes before anything it does for a result.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

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


def _wanted(jobs: int | None) -> int:
    """``jobs`` (None: every core), or 1 where processes cannot be forked."""
    if not hasattr(os, "fork") or sys.platform in ("win32", "darwin"):
        return 1  # no fork (Windows), or fork is unsafe with the system libraries (macOS)
    return available_cores() if jobs is None or jobs <= 0 else jobs


def worker_count(jobs: int | None, items: int) -> int:
    """How many processes to use: ``jobs`` (None: every core), fewer for a small run, and 1
    (in-process) where processes cannot be forked."""
    return max(1, min(_wanted(jobs), items // MIN_ITEMS_PER_WORKER))


class _Call(Generic[T, R]):
    """The function and its shared argument, set in the parent before the workers fork."""

    current: Any = None

    def __init__(self, func: Callable[[Any, T], R], shared: Any) -> None:
        self.func, self.shared = func, shared


class WorkerDied(Exception):
    """A worker process ended without a result (SIGKILL, the OOM killer, a crash): the run
    stops with this message instead of waiting for it forever."""

    def __init__(self) -> None:
        super().__init__(
            "a worker process died (killed by a signal, perhaps for lack of memory) before it "
            "finished; nothing was reported for the files it held (--jobs 1 runs without "
            "workers)")


def _run_chunk(items: Sequence[Any]) -> list[Any]:
    call = _Call.current
    return [call.func(call.shared, item) for item in items]


class Results(Generic[R]):
    """The results, in the order of the items; :meth:`close` (or the end) ends the workers."""

    def __init__(self, results: Iterator[R], done: Callable[[], None] = lambda: None) -> None:
        self._results, self._done = results, done

    def __iter__(self) -> Results[R]:
        return self

    def __next__(self) -> R:
        try:
            return next(self._results)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        done, self._done = self._done, lambda: None
        done()

    def __del__(self) -> None:
        self.close()


def run(func: Callable[[Any, T], R], shared: Any, items: Iterable[T], jobs: int | None
        ) -> Results[R]:
    """``func(shared, item)`` for each item, in order.  ``func`` must not print: a worker's
    output would interleave.  Every item is taken from ``items`` before this returns; the
    results are computed (here) or collected (from the workers) as the iterator returned is
    read, which ends the workers once it is exhausted or closed."""
    source = iter(items)
    head = list(itertools.islice(source, MIN_ITEMS_PER_WORKER * _wanted(jobs)))
    workers = worker_count(jobs, len(head))
    if workers == 1:
        head += source  # a small run (the search is over), or --jobs 1
        return Results(func(shared, item) for item in head)
    return _pooled(func, shared, head, source, workers)


def _pooled(func: Callable[[Any, T], R], shared: Any, head: list[T], rest: Iterator[T],
            workers: int) -> Results[R]:
    import gc
    import multiprocessing  # only now: it costs a one-file run 7 ms to import
    from concurrent.futures import ProcessPoolExecutor

    previous = _Call.current
    _Call.current = _Call(func, shared)
    # What the parent made so far (modules, rules, the jobs, the run's memo) goes to the
    # permanent generation: a worker's collections no longer walk it nor write to its
    # pages, which then stay shared with the parent instead of being copied (a third fewer
    # page faults in the workers of a 2,000-file run).
    gc.freeze()
    # A pool of processes that notices a dead worker (multiprocessing.Pool waits forever
    # for the chunk a SIGKILLed worker held).
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))

    def done() -> None:
        pool.shutdown(wait=True, cancel_futures=True)
        gc.unfreeze()
        _Call.current = previous

    try:
        futures = _submit_all(pool, head, rest, workers)
    except BaseException:
        done()
        raise
    return Results(_collect(futures), done)


def _submit_all(pool: ProcessPoolExecutor, head: list[Any], rest: Iterator[Any],
                workers: int) -> list[Future[list[Any]] | None]:
    """Every item in chunks, submitted as soon as each chunk is full (the workers start
    with the first)."""
    from concurrent.futures.process import BrokenProcessPool

    ended = len(head) < MIN_ITEMS_PER_WORKER * workers  # all the items are in head
    # once the items stream, a chunk is as many as repay a worker (32 Dockerfiles, about
    # 0.1 s of work: small enough for the workers to end together)
    size = max(1, min(64, len(head) // (workers * 4))) if ended else MIN_ITEMS_PER_WORKER
    futures: list[Future[list[Any]] | None] = []
    pending = head
    try:
        while True:
            while len(pending) >= size:
                futures.append(pool.submit(_run_chunk, pending[:size]))
                pending = pending[size:]
            more = list(itertools.islice(rest, size))
            if not more:
                break
            pending += more
        if pending:
            futures.append(pool.submit(_run_chunk, pending))
    except BrokenProcessPool:  # a worker died while the items were still coming
        raise WorkerDied() from None
    return futures


def _collect(futures: list[Future[list[Any]] | None]) -> Iterator[Any]:
    from concurrent.futures.process import BrokenProcessPool

    for n, future in enumerate(futures):
        futures[n] = None  # a result is let go once used
        assert future is not None
        try:
            results = future.result()
        except BrokenProcessPool:
            raise WorkerDied() from None
        yield from results
