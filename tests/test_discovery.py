"""Directory search: the names BuildKit and editors take for Dockerfiles, configurable, and
git's own answer on ignored files inside a work tree."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from entrylint.cli import main
from entrylint.discovery import discover, is_dockerfile_name

BAD = "FROM python:3.12-slim\nCMD gunicorn app:app\n"

DOCKERFILES = ["Dockerfile", "dockerfile", "DOCKERFILE", "Containerfile", "Dockerfile.prod",
               "Dockerfile-alpine", "Dockerfile_prod", "dockerfile.dev", "app.dockerfile",
               "api.Dockerfile", "web-dockerfile", "x.containerfile", "Containerfile.dev",
               "Dockerfile.template"]
NOT_DOCKERFILES = ["Dockerfile.dockerignore", "Dockerfile.md", "dockerfile_test.go",
                   "dockerfile.py", "Dockerfile.yml", "dockerfiles", "README.md",
                   "mydockerfile", "Dockerfile.txt", "Dockerfile.jinja2", "Dockerfile.j2",
                   "Dockerfile.tmpl"]


@pytest.mark.parametrize("name", DOCKERFILES)
def test_dockerfile_names(name: str) -> None:
    assert is_dockerfile_name(name)


@pytest.mark.parametrize("name", NOT_DOCKERFILES)
def test_other_files(name: str) -> None:
    assert not is_dockerfile_name(name)


def lint(cwd: Path, *args: str) -> list[str]:
    import os

    old = Path.cwd()
    os.chdir(cwd)
    try:
        r = CliRunner().invoke(main, ["check", "--format", "json", *args, "."])
    finally:
        os.chdir(old)
    assert r.exit_code in (0, 1), r.output
    return sorted({d["path"] for d in json.loads(r.stdout)})


def test_search_finds_every_name(tmp_path: Path) -> None:
    for name in DOCKERFILES + NOT_DOCKERFILES:
        (tmp_path / "d" / name.lower() / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "d" / name.lower() / name).write_text(BAD)
    found = lint(tmp_path)
    assert found == sorted(f"d/{n.lower()}/{n}" for n in DOCKERFILES)


def test_patterns_are_configurable(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    for name in ("Dockerfile", "build.df", "web.DF"):
        (tmp_path / name).write_text(BAD)
    (tmp_path / ".entrylint.toml").write_text('dockerfile-patterns = ["*.df", "!web.*"]\n')
    assert lint(tmp_path) == ["build.df"]
    (tmp_path / ".entrylint.toml").write_text('dockerfile-patterns = ["docker/*"]\n')
    r = CliRunner().invoke(main, ["check", "--config", str(tmp_path / ".entrylint.toml"),
                                  str(tmp_path)])
    assert r.exit_code == 2 and "without '/'" in r.output


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    return repo


def test_git_decides_what_is_ignored(git_repo: Path) -> None:
    files = ["Dockerfile", "local/Dockerfile", "svc/Dockerfile", "svc/gen/Dockerfile",
             "svc/gen/keep/Dockerfile", "tracked-ignored/Dockerfile", "new/Dockerfile"]
    for rel in files:
        (git_repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (git_repo / rel).write_text(BAD)
    (git_repo / "tracked-ignored/Dockerfile").write_text(BAD)
    _git(git_repo, "add", "tracked-ignored/Dockerfile")  # tracked: git never ignores it
    (git_repo / ".git/info/exclude").write_text("local/\n")
    (git_repo / ".gitignore").write_text("tracked-ignored/\n")
    # nested .gitignore, with a re-include of a file (its directory is not excluded)
    (git_repo / "svc/.gitignore").write_text("gen/**\n!gen/keep/\n!gen/keep/Dockerfile\n")
    assert lint(git_repo) == ["Dockerfile", "new/Dockerfile", "svc/Dockerfile",
                              "svc/gen/keep/Dockerfile", "tracked-ignored/Dockerfile"]
    # the pathspec fallback (no git) does not know .git/info/exclude: git is what answers
    found = sorted(p.relative_to(git_repo).as_posix() for p in discover([git_repo]))
    assert "local/Dockerfile" not in found


def test_a_named_directory_git_ignores_is_still_searched(git_repo: Path) -> None:
    (git_repo / ".gitignore").write_text("build/\n")
    (git_repo / "build").mkdir()
    (git_repo / "build/Dockerfile").write_text(BAD)
    (git_repo / "Dockerfile").write_text(BAD)
    assert lint(git_repo) == ["Dockerfile"]
    assert lint(git_repo / "build") == ["build/Dockerfile"]  # relative to the repository root


def test_git_runs_no_program_of_the_repository(git_repo: Path) -> None:
    marker = git_repo.parent / "ran"
    hook = git_repo / "monitor.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    _git(git_repo, "config", "core.fsmonitor", str(hook))
    (git_repo / "Dockerfile").write_text(BAD)
    _git(git_repo, "add", "Dockerfile")
    marker.unlink(missing_ok=True)  # git add itself ran it
    assert lint(git_repo) == ["Dockerfile"]
    assert not marker.exists()
    _git(git_repo, "status")  # the monitor does run for git's own commands
    assert marker.exists()


def test_without_git_gitignore_files_are_read(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # no git to ask
    (tmp_path / ".gitignore").write_text("build/\n")
    for rel in ("Dockerfile", "build/Dockerfile"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(BAD)
    assert [p.name for p in discover([tmp_path])] == ["Dockerfile"]
    assert [p.parent for p in discover([tmp_path])] == [tmp_path]
