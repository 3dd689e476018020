"""bench/perf.py's choice of real Dockerfiles (--real): which files, and the even sample."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def perf() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module("perf")
    finally:
        sys.path.remove(str(BENCH))


def test_real_dockerfiles_are_every_checkouts_dockerfiles(perf: ModuleType,
                                                          tmp_path: Path) -> None:
    for repo, files in (("b+two", ["Dockerfile", "web/Dockerfile.dev", "README.md"]),
                        ("a+one", ["docker/app.Dockerfile", "start.sh"])):
        for f in files:
            (tmp_path / repo / f).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / repo / f).write_text("FROM alpine\n")
    (tmp_path / "not-a-dir").write_text("")
    assert perf.real_dockerfiles(tmp_path) == [
        Path("a+one/docker/app.Dockerfile"), Path("b+two/Dockerfile"),
        Path("b+two/web/Dockerfile.dev")]


def test_spread_takes_even_steps(perf: ModuleType) -> None:
    files = [Path(str(i)) for i in range(10)]
    assert perf.spread(files, 3) == [Path("0"), Path("3"), Path("6")]
    assert perf.spread(files, 20) == files
