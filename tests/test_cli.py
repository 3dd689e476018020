"""The command line: exit codes, bad input, discovery."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from entrylint.cli import main

GOOD = 'FROM python:3.12-slim\nCMD ["gunicorn", "app:app"]\n'
BAD = "FROM python:3.12-slim\nCMD gunicorn app:app\n"


def invoke(args: list[str], cwd: Path):  # type: ignore[no-untyped-def]
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args)
    finally:
        os.chdir(old)


def test_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "Dockerfile").write_text(GOOD)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "Dockerfile").write_text(BAD)
    assert invoke(["check", "good"], tmp_path).exit_code == 0
    r = invoke(["check", "bad"], tmp_path)
    assert r.exit_code == 1
    assert "bad/Dockerfile:2:1: EL101 [error]" in r.stdout
    assert invoke(["bad"], tmp_path).exit_code == 1  # `entrylint PATH` is `entrylint check PATH`
    r = invoke(["check", "nope"], tmp_path)
    assert r.exit_code == 2 and "nope: no such file" in r.stderr
    assert invoke(["check", "--format", "xml", "good"], tmp_path).exit_code == 2


def test_discovery_names_and_gitignore(tmp_path: Path) -> None:
    for rel in ("Dockerfile", "svc/Containerfile", "svc/api.Dockerfile", "svc/Dockerfile.prod",
                "build/Dockerfile", "node_modules/x/Dockerfile", "README.md"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(BAD if "Docker" in rel or "Container" in rel else "hi")
    (tmp_path / ".gitignore").write_text("build/\n")
    r = invoke(["check", "--format", "json", "."], tmp_path)
    paths = sorted({d["path"] for d in json.loads(r.stdout)})
    assert paths == ["Dockerfile", "svc/Containerfile", "svc/Dockerfile.prod",
                     "svc/api.Dockerfile"]


def test_bad_input_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "Dockerfile").write_bytes(b"FROM x\x00\x01\x02")
    (tmp_path / "latin1").mkdir()
    (tmp_path / "latin1" / "Dockerfile").write_bytes("FROM alpine\nLABEL a=\"é\"\n".encode("latin-1"))
    (tmp_path / "huge").mkdir()
    (tmp_path / "huge" / "Dockerfile").write_bytes(b"FROM alpine\n" + b"# x\n" * 1_200_000)
    (tmp_path / "nofrom").mkdir()
    (tmp_path / "nofrom" / "Dockerfile").write_text("just some text\n")
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "Dockerfile").write_text(BAD)
    r = invoke(["check", "."], tmp_path)
    assert r.exit_code == 2
    assert r.exception is None or isinstance(r.exception, SystemExit)
    err = r.stderr
    assert "bin/Dockerfile: is a binary file" in err
    assert "latin1/Dockerfile: is not valid UTF-8" in err
    assert "huge/Dockerfile: is " in err and "byte limit" in err
    assert "nofrom/Dockerfile: has no FROM instruction" in err
    assert "ok/Dockerfile:2:1: EL101" in r.stdout  # the other files are still linted


def test_symlinked_script_leaving_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".git").mkdir()
    outside = tmp_path / "outside.sh"
    outside.write_text("#!/bin/sh\npython app.py\n")
    (repo / "start.sh").symlink_to(outside)
    (repo / "Dockerfile").write_text(
        'FROM python:3.12-slim\nCOPY start.sh /start.sh\nENTRYPOINT ["/start.sh"]\n')
    r = invoke(["check", "--format", "json", "."], repo)
    got = json.loads(r.stdout)
    assert [(d["rule"], d["severity"]) for d in got] == [("EL100", "info")]
    assert "outside the repository" in got[0]["message"]


def test_unparseable_shell_is_still_analysed(tmp_path: Path) -> None:
    (tmp_path / "start.sh").write_text("#!/bin/bash\nif [[ $x == ; then\n  :\nfi\npython app.py\n")
    (tmp_path / "Dockerfile").write_text(
        'FROM python:3.12-slim\nCOPY start.sh /start.sh\nCMD ["/start.sh"]\n')
    r = invoke(["check", "--format", "json", "."], tmp_path)
    assert [(d["rule"], d["line"]) for d in json.loads(r.stdout)] == [("EL103", 5)]


def test_version_and_module_entry() -> None:
    out = subprocess.run([sys.executable, "-m", "entrylint", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.startswith("entrylint, version ")


def test_symlink_loops_are_errors_not_tracebacks(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(
        'FROM python:3.12-slim\nCOPY start.sh /start.sh\nCMD ["/start.sh"]\n')
    (tmp_path / "start.sh").symlink_to("start.sh")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Dockerfile").symlink_to("Dockerfile")
    r = invoke(["check", "."], tmp_path)
    assert r.exit_code == 2
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "sub/Dockerfile: " in r.stderr and "loop" in r.stderr
    assert "`/start.sh` is not checked: is a symlink loop" in r.stdout
