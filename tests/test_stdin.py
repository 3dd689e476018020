"""`entrylint check -`: a Dockerfile on standard input, found as if it were --stdin-filename."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from entrylint.cli import main

SCRIPT_DOCKERFILE = ("FROM python:3.12-slim\nCOPY docker/start.sh /start.sh\n"
                     'CMD ["/start.sh"]\n')
SHELL_FORM = "FROM python:3.12-slim\nCMD gunicorn app:app\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "svc/docker").mkdir(parents=True)
    (root / "svc/docker/start.sh").write_text("#!/bin/sh\nset -e\ngunicorn app:app\n")
    (root / "svc/docker/start.sh").chmod(0o755)  # as committed (a 0644 start script is EL112)
    monkeypatch.chdir(root)
    return root


def check(stdin: str | bytes, *args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args], input=stdin)


def test_stdin_filename_finds_context_scripts_and_configuration(repo: Path) -> None:
    # the file on disk does not exist: its directory gives the context and the configuration
    (repo / "svc/.entrylint.toml").write_text('[severity]\nEL103 = "warning"\n')
    r = check(SCRIPT_DOCKERFILE, "--format", "json", "--stdin-filename", "svc/Dockerfile", "-")
    assert r.exit_code == 1, r.output
    (d,) = json.loads(r.stdout)
    assert (d["rule"], d["severity"], d["path"]) == ("EL103", "warning", "svc/docker/start.sh")
    # without --stdin-filename the text lives in the current directory: no such script
    r = check(SCRIPT_DOCKERFILE, "--format", "json", "-")
    assert {d["rule"] for d in json.loads(r.stdout)} == {"EL100"}


def test_stdin_filename_alone_reads_standard_input(repo: Path) -> None:
    r = check(SHELL_FORM, "--format", "concise", "--stdin-filename", "svc/Dockerfile")
    assert r.exit_code == 1 and r.stdout.startswith("svc/Dockerfile:2:1: EL101")


def test_stdin_is_linted_instead_of_the_file_on_disk(repo: Path) -> None:
    (repo / "svc/Dockerfile").write_text(SHELL_FORM)
    r = check('FROM python:3.12-slim\nCMD ["gunicorn", "app:app"]\n', "--stdin-filename",
              "svc/Dockerfile", "-")
    assert r.exit_code == 0 and "no findings" in r.stdout


def test_fix_stdin_prints_the_fixed_text_and_writes_nothing(repo: Path) -> None:
    (repo / "svc/Dockerfile").write_text(SHELL_FORM)
    r = check(SHELL_FORM, "--fix", "--stdin-filename", "svc/Dockerfile", "-")
    assert r.exit_code == 0, r.output
    assert r.stdout == 'FROM python:3.12-slim\nCMD ["gunicorn", "app:app"]\n'
    assert "1 fixed, 0 remaining" in r.stderr
    assert (repo / "svc/Dockerfile").read_text() == SHELL_FORM


def test_fix_stdin_leaves_the_scripts_alone(repo: Path) -> None:
    before = (repo / "svc/docker/start.sh").read_text()
    r = check(SCRIPT_DOCKERFILE, "--fix", "--stdin-filename", "svc/Dockerfile", "-")
    assert r.exit_code == 1  # EL103 in start.sh remains: --fix - changes only the text
    assert r.stdout == SCRIPT_DOCKERFILE
    assert "svc/docker/start.sh:3:1: EL103" in r.stderr
    assert (repo / "svc/docker/start.sh").read_text() == before


def test_diff_stdin(repo: Path) -> None:
    r = check(SHELL_FORM, "--diff", "-")
    assert r.exit_code == 1 and '+CMD ["gunicorn", "app:app"]' in r.stdout


def test_bad_stdin_is_an_error_and_fix_echoes_it(repo: Path) -> None:
    data = b"FROM x\nLABEL a=\xe9\n"
    r = check(data, "-")
    assert r.exit_code == 2 and "is not valid UTF-8" in r.stderr
    r = CliRunner().invoke(main, ["check", "--fix", "-"], input=data)
    assert r.exit_code == 2 and r.stdout_bytes == data


def test_stdin_with_other_paths_is_a_usage_error(repo: Path) -> None:
    r = check(SHELL_FORM, "-", ".")
    assert r.exit_code == 2 and "cannot be combined" in r.stderr


def test_stdin_in_a_real_process(repo: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "entrylint", "check", "--fix", "-"],
                          input=SHELL_FORM.encode(), capture_output=True, cwd=repo, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b'FROM python:3.12-slim\nCMD ["gunicorn", "app:app"]\n'
