"""File-system answers remembered for one lint run only (entrylint/runmemo.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrylint import runmemo


def test_remembered_inside_a_run_only(tmp_path: Path) -> None:
    f = tmp_path / "a"
    with runmemo.active():
        assert not runmemo.lexists(f)
        f.write_text("x")
        assert not runmemo.lexists(f)  # the run's answer
    assert runmemo.lexists(f)  # outside a run: the file system's answer
    with runmemo.active():
        assert runmemo.lexists(f)  # a new run asks again


def test_relative_paths_are_keyed_by_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "f").write_text("x")
    monkeypatch.chdir(tmp_path / "one")
    with runmemo.active():
        assert runmemo.resolve(Path("f")) == tmp_path.resolve() / "one" / "f"
        assert runmemo.remembered("k", str, "f") == "f"
    monkeypatch.chdir(tmp_path / "two")
    with runmemo.active():
        assert runmemo.resolve(Path("f")) == tmp_path.resolve() / "two" / "f"


def test_an_exception_is_not_remembered() -> None:
    calls: list[str] = []

    def fail(name: str) -> str:
        calls.append(name)
        raise OSError(name)

    with runmemo.active():
        for _ in range(2):
            with pytest.raises(OSError):
                runmemo.remembered("fail", fail, "/x")
    assert calls == ["/x", "/x"]


def test_lint_results_unchanged_by_the_memo(repo: Path) -> None:
    """The same findings with the memo as with every question asked again."""
    import contextlib

    from entrylint.engine import lint_paths

    (repo / "start.sh").write_text("#!/bin/sh\nset -e\npython app.py\n")
    for name in ("a", "b"):
        (repo / name).mkdir()
        (repo / name / "Dockerfile").write_text(
            "FROM python:3.12-slim\nCOPY start.sh /start.sh\nENTRYPOINT [\"/start.sh\"]\n")
    (repo / "a" / "start.sh").write_text("#!/bin/sh\nexec python app.py\n")

    def findings() -> list[tuple[str, str, int]]:
        result = lint_paths([repo], cache=False, jobs=1)
        return sorted((str(d.path), d.rule, d.line) for d in result.diagnostics)

    with_memo = findings()
    original = runmemo.active
    try:
        runmemo.active = contextlib.nullcontext  # type: ignore[assignment]
        without = findings()
    finally:
        runmemo.active = original
    assert with_memo == without
    assert with_memo  # b's script (the repository root's) has no exec
