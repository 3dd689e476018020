"""Worker processes (--jobs) change nothing in what is reported, nor its order."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import invoke_in

from entrylint import workers
from entrylint.engine import LintOptions, lint_paths

SCRIPT = '#!/bin/sh\nset -e\necho {i}\n{last}\n'


@pytest.fixture
def many(repo: Path) -> Path:
    """40 Dockerfiles: shell-form CMDs, scripts with and without exec, one shared script."""
    (repo / "common").mkdir()
    (repo / "common" / "entry.sh").write_text(SCRIPT.format(i="c", last='"$@"'))
    for i in range(40):
        d = repo / f"svc{i:02d}"
        d.mkdir()
        if i % 3 == 0:
            (d / "Dockerfile").write_text(f"FROM debian:12\nCMD app --port {i}\n")
        elif i % 3 == 1:
            (d / "start.sh").write_text(SCRIPT.format(i=i, last='exec "$@"' if i % 2 else "$@"))
            (d / "Dockerfile").write_text(
                'FROM alpine:3\nCOPY start.sh /s.sh\nENTRYPOINT ["/s.sh"]\nCMD ["app"]\n')
        else:
            (d / "Dockerfile").write_text(
                'FROM alpine:3\nCOPY common/entry.sh /e.sh\nENTRYPOINT ["/e.sh"]\n')
    (repo / "broken").mkdir()
    (repo / "broken" / "Dockerfile").write_bytes(b"FROM x\n\x00\n")
    return repo


def summary(jobs: int) -> tuple[list[tuple[str, str, int, int, str]], list[str], int, int]:
    r = lint_paths([Path(".")], LintOptions(jobs=jobs))
    return ([(d.rule, str(d.path), d.line, d.column, d.message) for d in r.diagnostics],
            [f"{e.path}: {e.reason}" for e in r.errors], r.dockerfiles, r.scripts)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers for these 41 Dockerfiles (a real run waits for more)."""
    monkeypatch.setattr(workers, "MIN_ITEMS_PER_WORKER", 8)


def test_workers_report_exactly_what_one_process_does(many: Path) -> None:
    assert workers.worker_count(2, 41) == 2  # the run below really uses two processes
    one, two = summary(1), summary(2)
    assert one == two
    diags, errors, dockerfiles, scripts = one
    assert dockerfiles == 40 and len(errors) == 1 and scripts > 0
    assert {r for r, *_ in diags} >= {"EL101", "EL103"}


def test_cli_output_is_the_same_whatever_jobs(many: Path) -> None:
    outs = {jobs: invoke_in(many, ["check", "--no-cache", "--jobs", jobs, "."])
            for jobs in ("1", "2", "0")}
    assert len({(o.exit_code, o.output) for o in outs.values()}) == 1
    assert outs["1"].exit_code == 2  # the broken Dockerfile


def test_small_runs_stay_in_process() -> None:
    assert workers.worker_count(None, 3) == 1
    assert workers.worker_count(1, 1000) == 1
    assert workers.worker_count(4, 1000) == 4
    assert workers.worker_count(4, 17) == 2


def test_verbose_notes_and_progress_are_the_same_whatever_jobs(many: Path) -> None:
    """The workers start while the search still goes on (41 Dockerfiles, 16 before they
    fork): the notes of that search still come first, then one line per Dockerfile."""
    (many / "svc05" / ".hadolint.yaml").write_text("ignored:\n  - DL3025\n")
    (many / ".entrylint.toml").write_text('exclude = ["svc3*"]\n')
    outs = {jobs: invoke_in(many, ["check", "--no-cache", "--verbose", "--jobs", jobs, "."])
            for jobs in ("1", "2")}
    assert outs["1"].stderr == outs["2"].stderr and outs["1"].stdout == outs["2"].stdout
    lines = outs["1"].stderr.splitlines()
    notes = [n for n, line in enumerate(lines) if "excluded by the configuration" in line
             or ".hadolint.yaml ignores" in line]
    linting = [n for n, line in enumerate(lines) if ": linting " in line]
    assert len(notes) == 11 and len(linting) == 31  # svc30-39 excluded; svc05's note
    assert max(notes) < min(linting)


def _wait_for(path: Path) -> None:
    """Until ``path`` exists (a hang guard of 30 s, not a timing)."""
    import time

    deadline = time.monotonic() + 30
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def _mark(directory: Path, item: int) -> int:
    """A worker's item: leaves a file saying it ran, in the worker's process."""
    (directory / f"ran{item}").write_text(str(os.getpid()))
    return item * 10


def test_workers_start_while_the_items_are_still_coming(tmp_path: Path) -> None:
    """The first chunks are linted while the parent still prepares the others (before, every
    job was prepared first, and the workers forked after)."""
    seen_early: list[bool] = []

    def items() -> Iterator[int]:
        for i in range(40):
            if i == 39:  # the last item waits for a worker to have run the first one
                _wait_for(tmp_path / "ran0")
                seen_early.append((tmp_path / "ran0").exists())
            yield i

    results = workers.run(_mark, tmp_path, items(), 2)
    assert seen_early == [True]  # every item was taken before run returned
    assert list(results) == [i * 10 for i in range(40)]
    assert int((tmp_path / "ran0").read_text()) != os.getpid()  # in a worker
    assert gc.get_freeze_count() == 0 and workers._Call.current is None


def test_in_process_runs_take_every_item_before_the_first_result(tmp_path: Path) -> None:
    taken: list[int] = []

    def items() -> Iterator[int]:
        for i in range(5):
            taken.append(i)
            yield i

    results = workers.run(_mark, tmp_path, items(), 2)  # too few for workers
    assert taken == [0, 1, 2, 3, 4] and not (tmp_path / "ran0").exists()
    assert list(results) == [0, 10, 20, 30, 40]
    assert int((tmp_path / "ran0").read_text()) == os.getpid()


def test_an_error_while_the_items_come_ends_the_workers(tmp_path: Path) -> None:
    """A configuration error found half-way through the search (the workers already run):
    the error is raised, the pool is shut down and nothing stays frozen."""
    def items() -> Iterator[int]:
        yield from range(30)
        raise ValueError("a bad configuration")

    with pytest.raises(ValueError, match="a bad configuration"):
        workers.run(_mark, tmp_path, items(), 2)
    assert gc.get_freeze_count() == 0 and workers._Call.current is None
    assert multiprocessing.active_children() == []


def _die_on_first(directory: Path, item: int) -> int:
    if item == 0:
        (directory / "pid").write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return item


def test_a_worker_killed_while_the_items_come_stops_the_run(tmp_path: Path) -> None:
    """A worker dies while the parent still submits chunks: WorkerDied (from the submission,
    or from the result, whichever notices first), never a hang or a BrokenProcessPool."""
    def items() -> Iterator[int]:
        for i in range(200):
            if i == 20:
                _wait_for(tmp_path / "pid")
            yield i

    with pytest.raises(workers.WorkerDied, match="a worker process died"):
        list(workers.run(_die_on_first, tmp_path, items(), 2))
    assert gc.get_freeze_count() == 0 and workers._Call.current is None
