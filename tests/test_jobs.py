"""Worker processes (--jobs) change nothing in what is reported, nor its order."""

from __future__ import annotations

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
