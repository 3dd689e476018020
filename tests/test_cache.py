"""The result cache never changes a result, and writes only where it may."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_helpers import invoke_in

from entrylint import engine
from entrylint.cache import CACHE_DIR
from entrylint.config import Config
from entrylint.engine import LintOptions, lint_paths

NO_EXEC = '#!/bin/sh\nset -e\necho starting\n"$@"\n'
WITH_EXEC = '#!/bin/sh\nset -e\necho starting\nexec "$@"\n'
#: what the project below reports while start.sh lacks `exec`
NO_EXEC_CODES = ["EL103", "EL104"]
DOCKERFILE = ('FROM alpine:3.20\nCOPY start.sh /start.sh\nENTRYPOINT ["/start.sh"]\n'
              'CMD ["app"]\n')


@pytest.fixture
def project(repo: Path) -> Path:
    (repo / "start.sh").write_text(NO_EXEC)
    (repo / "start.sh").chmod(0o755)
    (repo / "Dockerfile").write_text(DOCKERFILE)
    return repo


class Builds:
    """Counts the models built (a cache hit builds none)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = engine.build_model

        def counting(*args: object, **kwargs: object) -> object:
            self.count += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(engine, "build_model", counting)


def run(root: Path, **kw: object) -> list[tuple[str, str, int, str]]:
    result = lint_paths([root], LintOptions(cache=True, **kw))  # type: ignore[arg-type]
    return [(d.rule, str(d.path), d.line, d.message) for d in result.diagnostics]


def codes(root: Path, **kw: object) -> list[str]:
    """The rules reported, sorted (EL103 and EL104 both, for a script without exec)."""
    return sorted(r for r, *_ in run(root, **kw))


def test_second_run_reuses_the_result(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    builds = Builds(monkeypatch)
    first = run(Path("."))
    assert sorted(r for r, *_ in first) == NO_EXEC_CODES
    assert builds.count == 1
    assert run(Path(".")) == first
    assert builds.count == 1  # served from the cache


def test_editing_the_script_changes_the_finding(project: Path) -> None:
    assert codes(Path(".")) == NO_EXEC_CODES
    (project / "start.sh").write_text(WITH_EXEC)  # same size class, same listing
    assert codes(Path(".")) == ["EL104"]  # now `app` is PID 1
    (project / "start.sh").write_text(NO_EXEC)
    assert codes(Path(".")) == NO_EXEC_CODES


def test_a_script_that_appears_is_followed(repo: Path) -> None:
    (repo / "Dockerfile").write_text(DOCKERFILE)
    assert codes(Path(".")) == ["EL100"]  # start.sh is missing
    (repo / "start.sh").write_text(NO_EXEC)  # no file the model read has changed
    (repo / "start.sh").chmod(0o755)  # as committed (a 0644 start script is EL112)
    assert codes(Path(".")) == NO_EXEC_CODES


def test_a_new_dockerignore_counts(project: Path) -> None:
    assert codes(Path(".")) == NO_EXEC_CODES
    (project / ".dockerignore").write_text("start.sh\n")
    assert codes(Path(".")) == ["EL100"]


def test_the_configuration_is_part_of_the_key(project: Path) -> None:
    assert codes(Path(".")) == NO_EXEC_CODES
    assert run(Path("."), config=Config(ignore=("EL103",))) == []
    assert codes(Path(".")) == NO_EXEC_CODES


def test_a_malformed_entry_is_ignored(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = run(Path("."))
    for entry in (project / CACHE_DIR).rglob("*.json"):
        doc = json.loads(entry.read_text())
        doc["record"]["diagnostics"] = "not a list"
        entry.write_text(json.dumps(doc))
    builds = Builds(monkeypatch)
    assert run(Path(".")) == first
    assert builds.count == 1


def test_cache_directory_is_gitignored(project: Path) -> None:
    run(Path("."))
    assert (project / CACHE_DIR / ".gitignore").read_text().splitlines()[-1] == "*"
    assert list((project / CACHE_DIR).rglob("*.json"))


def test_no_cache_writes_nothing(project: Path) -> None:
    before = sorted(p.name for p in project.iterdir())
    got = invoke_in(project, ["check", "--no-cache", "."])
    assert got.exit_code == 1, got.output
    assert "EL103" in got.output
    assert sorted(p.name for p in project.iterdir()) == before


def test_cli_caches_by_default_and_reports_the_same(project: Path) -> None:
    first = invoke_in(project, ["check", "."])
    assert (project / CACHE_DIR).is_dir()
    second = invoke_in(project, ["check", "."])
    assert (first.exit_code, first.output) == (second.exit_code, second.output)


def test_files_named_one_by_one_are_not_cached(project: Path) -> None:
    invoke_in(project, ["check", "Dockerfile"])
    assert not (project / CACHE_DIR).exists()


def test_never_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "start.sh").write_text(NO_EXEC)
    (tmp_path / "start.sh").chmod(0o755)  # as committed (a 0644 start script is EL112)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)  # no .git: not a repository
    monkeypatch.chdir(tmp_path)
    assert codes(Path(".")) == NO_EXEC_CODES
    assert not (tmp_path / CACHE_DIR).exists()


def test_never_through_a_symlinked_cache_directory(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / CACHE_DIR).symlink_to(elsewhere)
    assert codes(Path(".")) == NO_EXEC_CODES
    assert list(elsewhere.iterdir()) == []


def test_not_with_context(project: Path) -> None:
    assert codes(Path("."), context=project) == NO_EXEC_CODES
    assert not (project / CACHE_DIR).exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_repository_is_linted_without_cache(project: Path) -> None:
    project.chmod(0o555)
    try:
        assert codes(Path(".")) == NO_EXEC_CODES
        assert not (project / CACHE_DIR).exists()
    finally:
        project.chmod(0o755)
