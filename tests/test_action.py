"""The composite GitHub Action: its inputs, and its run step executed with bash."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[1]


def action() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((PROJECT / "action.yml").read_text())
    return doc


def test_inputs_and_install_from_the_action_path() -> None:
    doc = action()
    assert doc["runs"]["using"] == "composite"
    assert {"path", "format", "fail-level"} <= set(doc["inputs"])
    steps = doc["runs"]["steps"]
    install = next(s for s in steps if s.get("name") == "Install entrylint")
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    assert all(s.get("shell") == "bash" for s in steps if "run" in s)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(("fail_level", "expected"), [("info", 1), ("error", 0)])
def test_run_step(tmp_path: Path, fail_level: str, expected: int) -> None:
    step = next(s for s in action()["runs"]["steps"] if s.get("id") == "run")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc/Dockerfile").write_text('FROM node:22-slim\nCMD ["node", "server.js"]\n')
    out = tmp_path / "github_output"
    env = dict(os.environ, ENTRYLINT_PATH="svc", ENTRYLINT_FORMAT="sarif",
               ENTRYLINT_FAIL_LEVEL=fail_level, ENTRYLINT_OUTPUT="report.sarif",
               GITHUB_OUTPUT=str(out),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    run = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == expected, run.stderr
    assert "svc/Dockerfile:2:1: EL104 [warning]" in run.stdout  # the log gets text
    assert '"ruleId": "EL104"' in (tmp_path / "report.sarif").read_text()
    assert out.read_text() == f"exit-code={expected}\n"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_run_step_with_the_defaults_of_docs_ci_md(tmp_path: Path) -> None:
    """`path: .`, `format: github`, no `output`: the log gets the annotations themselves."""
    step = next(s for s in action()["runs"]["steps"] if s.get("id") == "run")
    inputs = action()["inputs"]
    (tmp_path / ".git").mkdir()
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc/Dockerfile").write_text('FROM node:22-slim\nCMD ["node", "server.js"]\n')
    out = tmp_path / "github_output"
    env = dict(os.environ, ENTRYLINT_PATH=inputs["path"]["default"],
               ENTRYLINT_FORMAT=inputs["format"]["default"],
               ENTRYLINT_FAIL_LEVEL=inputs["fail-level"]["default"],
               ENTRYLINT_OUTPUT=inputs["output"]["default"], GITHUB_OUTPUT=str(out),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    run = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("::warning file=svc/Dockerfile,line=2,")
    assert out.read_text() == "exit-code=1\n"
