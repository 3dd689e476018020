"""Other tools' suppressions of the same checks, and reasons on entrylint's own comments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from entrylint.cli import main

SHELL_FORM = "FROM debian:12-slim\nCMD python app.py\n"
SHELL_ENTRYPOINT = "FROM debian:12-slim\nENTRYPOINT python app.py\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


def rules(*args: str) -> set[str]:
    r = CliRunner().invoke(main, ["check", "--format", "json", "--select", "EL0,EL101,EL102",
                                  *args])
    assert r.exit_code in (0, 1), r.output
    return {d["rule"] for d in json.loads(r.stdout)}


def test_hadolint_yaml_ignored_switches_el101_el102_off(repo: Path) -> None:
    (repo / "svc").mkdir()
    (repo / "svc/Dockerfile").write_text(SHELL_FORM)
    (repo / "other.Dockerfile").write_text(SHELL_ENTRYPOINT)
    assert rules(".") == {"EL101", "EL102"}
    (repo / ".hadolint.yaml").write_text("ignored:\n  - DL3008\n  - DL3025\n")
    assert rules(".") == set()
    (repo / "svc/.hadolint.yml").write_text("ignored: [DL3008]\n")  # nearest file wins
    assert rules(".") == {"EL101"}


def test_broken_hadolint_yaml_is_ignored(repo: Path) -> None:
    (repo / "Dockerfile").write_text(SHELL_FORM)
    (repo / ".hadolint.yaml").write_text("ignored: [DL3025\n")
    assert rules(".") == {"EL101"}


@pytest.mark.parametrize("directive", [
    "# check=skip=JSONArgsRecommended",
    "# check=skip=StageNameCasing,JSONArgsRecommended;error=true",
    "# syntax=docker/dockerfile:1\n# check=skip=all",
    "\ufeff# check=skip=JSONArgsRecommended",  # after a UTF-8 BOM
])
def test_buildkit_check_directive(repo: Path, directive: str) -> None:
    (repo / "Dockerfile").write_text(f"{directive}\n{SHELL_FORM}ENTRYPOINT python x.py\n")
    assert rules("Dockerfile") == set()


def test_buildkit_directive_only_counts_at_the_top(repo: Path) -> None:
    (repo / "Dockerfile").write_text(f"{SHELL_FORM}# check=skip=JSONArgsRecommended\n")
    assert rules("Dockerfile") == {"EL101"}
    (repo / "Dockerfile").write_text(f"# a comment\n# check=skip=JSONArgsRecommended\n"
                                     f"{SHELL_FORM}")
    assert rules("Dockerfile") == {"EL101"}
    (repo / "Dockerfile").write_text(f"# check=skip=StageNameCasing\n{SHELL_FORM}")
    assert rules("Dockerfile") == {"EL101"}


@pytest.mark.parametrize("comment", [
    "# tally ignore=DL3025", "# tally ignore=hadolint/DL3025",
    "# tally ignore=buildkit/JSONArgsRecommended", "# tally ignore=JSONArgsRecommended",
])
def test_tally_ignore_above_the_instruction(repo: Path, comment: str) -> None:
    (repo / "Dockerfile").write_text(f"FROM debian:12-slim\n{comment}\nCMD python app.py\n"
                                     "ENTRYPOINT python x.py\n")
    assert rules("Dockerfile") == {"EL102"}  # the comment covers the next instruction only


def test_tally_global_ignore_and_other_ids(repo: Path) -> None:
    (repo / "Dockerfile").write_text("# tally global ignore=buildkit/JSONArgsRecommended\n"
                                     f"{SHELL_FORM}ENTRYPOINT python x.py\n")
    assert rules("Dockerfile") == set()
    (repo / "Dockerfile").write_text("FROM debian:12-slim\n# tally ignore=DL3008\n"
                                     "CMD python app.py\n")
    assert rules("Dockerfile") == {"EL101"}  # not EL001 either: the comment is tally's


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


def test_reason_after_double_dash_is_kept_and_shown(repo: Path) -> None:
    (repo / "Dockerfile").write_text(
        "FROM node:22-slim\n# entrylint: ignore=EL104 -- runs under k8s with an init sidecar\n"
        'CMD ["node", "server.js"]\n')
    r = invoke("-v", "Dockerfile")
    assert r.exit_code == 0, r.output
    assert ("Dockerfile:3: EL104 suppressed by the comment on line 2 -- runs under k8s with an "
            "init sidecar") in r.stderr


def test_require_reason(repo: Path) -> None:
    (repo / "Dockerfile").write_text(
        "FROM node:22-slim\n# hadolint ignore=DL3025\n# entrylint: ignore=EL104\n"
        "CMD [\"node\", \"server.js\"]\n")
    assert invoke("Dockerfile").exit_code == 0
    r = invoke("--require-reason", "--format", "json", "Dockerfile")
    assert r.exit_code == 1
    (d,) = json.loads(r.stdout)  # hadolint's comment has no place for a reason
    assert (d["rule"], d["line"], d["severity"]) == ("EL002", 3, "warning")
    (repo / "Dockerfile").write_text(
        "FROM node:22-slim\n# entrylint: ignore=EL104 -- k8s init sidecar\n"
        "CMD [\"node\", \"server.js\"]\n")
    assert invoke("--require-reason", "Dockerfile").exit_code == 0
    (repo / ".entrylint.toml").write_text('ignore = ["EL002"]\n')
    (repo / "Dockerfile").write_text(
        "FROM node:22-slim\n# entrylint: ignore=EL104\nCMD [\"node\", \"server.js\"]\n")
    assert invoke("--require-reason", "Dockerfile").exit_code == 0
