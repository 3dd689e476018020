"""CI and terminal options of `check`: exit codes, --show-fixes, --statistics, concise output,
--color with NO_COLOR/FORCE_COLOR/TERM, --exclude, and unreadable files in every report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from entrylint.cli import main
from tests.test_formats import validate_sarif

BAD = "FROM python:3.12-slim\nCMD gunicorn app:app\n"
FIXED = 'FROM python:3.12-slim\nCMD ["gunicorn", "app:app"]\n'
TWO = "FROM python:3.12-slim\nCOPY start.sh /start.sh\nCMD gunicorn app:app\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "Dockerfile").write_text(BAD)
    (root / "svc").mkdir()
    (root / "svc/Dockerfile").write_text(BAD)
    monkeypatch.chdir(root)
    return root


def check(*args: str, env: dict[str, str] | None = None) -> Result:
    base = {"NO_COLOR": "", "FORCE_COLOR": "", "TERM": "xterm"}
    return CliRunner().invoke(main, ["check", *args], env={**base, **(env or {})})


def test_exit_zero_reports_but_passes(repo: Path) -> None:
    r = check("--exit-zero", ".")
    assert r.exit_code == 0 and "EL101" in r.stdout
    assert check(".").exit_code == 1


def test_exit_zero_still_fails_on_a_file_that_cannot_be_read(repo: Path) -> None:
    (repo / "bin.Dockerfile").write_bytes(b"FROM x\x00")
    r = check("--exit-zero", ".")
    assert r.exit_code == 2 and "bin.Dockerfile: is a binary file" in r.stderr


def test_exit_non_zero_on_fix(repo: Path) -> None:
    r = check("--fix", "Dockerfile")
    assert r.exit_code == 0 and (repo / "Dockerfile").read_text() == FIXED
    (repo / "Dockerfile").write_text(BAD)
    r = check("--fix", "--exit-non-zero-on-fix", "Dockerfile")
    assert r.exit_code == 1 and (repo / "Dockerfile").read_text() == FIXED
    r = check("--fix", "--exit-non-zero-on-fix", "Dockerfile")  # nothing left to fix
    assert r.exit_code == 0


def test_show_fixes_lists_each_fix(repo: Path) -> None:
    r = check("--fix", "--show-fixes", ".")
    assert r.exit_code == 0
    assert "Fixed 2 findings:" in r.stdout
    assert "  Dockerfile:2: EL101 " in r.stdout and "  svc/Dockerfile:2: EL101 " in r.stdout
    (repo / "Dockerfile").write_text(BAD)
    r = check("--diff", "--show-fixes", "Dockerfile")
    assert r.exit_code == 1 and "Fixed 1 finding:" in r.stdout and "+CMD [" in r.stdout
    assert (repo / "Dockerfile").read_text() == BAD  # --diff writes nothing


def test_statistics_counts_per_rule_most_first(repo: Path) -> None:
    (repo / "start.sh").write_text("#!/bin/sh\ngunicorn app:app\n")
    (repo / "start.sh").chmod(0o755)  # as committed (a 0644 start script is EL112)
    (repo / "svc/Dockerfile").write_text(
        'FROM python:3.12-slim\nCOPY start.sh /start.sh\nCMD ["/start.sh"]\n')
    (repo / "svc/start.sh").write_text("#!/bin/sh\ngunicorn app:app\n")
    (repo / "svc/start.sh").chmod(0o755)  # as committed (a 0644 start script is EL112)
    (repo / "web.Dockerfile").write_text(
        'FROM python:3.12-slim\nCOPY start.sh /start.sh\nCMD ["/start.sh"]\n')
    r = check("--statistics", ".")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["2", "EL103", "[*]", "script-without-exec"]
    assert lines[1].split() == ["1", "EL101", "[*]", "shell-form-cmd"]
    assert lines[2].startswith("Linted 3 Dockerfiles")
    table = json.loads(check("--statistics", "--format", "json", ".").stdout)
    assert table == [{"rule": "EL103", "name": "script-without-exec", "count": 2, "fixable": 2},
                     {"rule": "EL101", "name": "shell-form-cmd", "count": 1, "fixable": 1}]
    assert check("--statistics", "--format", "sarif", ".").exit_code == 2


def test_concise_is_one_line_per_finding(repo: Path) -> None:
    full = check(".").stdout.splitlines()
    assert "    CMD gunicorn app:app" in full
    for args in (("--format", "concise"), ("--output-format", "concise")):
        out = check(*args, ".").stdout.splitlines()
        assert [line.split(" ", 1)[0] for line in out[:-1]] == ["Dockerfile:2:1:",
                                                                 "svc/Dockerfile:2:1:"]
        assert out[-1].startswith("Linted 2 Dockerfiles")
    assert check("--output-format", "full", ".").stdout == check(".").stdout


@pytest.mark.parametrize(("args", "env", "coloured"), [
    ((), {}, False),                                   # not a terminal: click strips
    (("--color", "always"), {}, True),
    (("--color", "always"), {"NO_COLOR": "1"}, True),  # the option wins
    (("--color", "never"), {"FORCE_COLOR": "1"}, False),
    ((), {"FORCE_COLOR": "1"}, True),
    ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ((), {"FORCE_COLOR": "1", "NO_COLOR": ""}, True),  # empty NO_COLOR: not set (no-color.org)
    ((), {"FORCE_COLOR": "", "TERM": "dumb"}, False),
])
def test_color_option_and_environment(repo: Path, args: tuple[str, ...], env: dict[str, str],
                                      coloured: bool) -> None:
    r = check(*args, ".", env=env)
    assert r.exit_code == 1
    assert ("\x1b[" in r.stdout) is coloured


def test_color_decision_order() -> None:
    from entrylint import cli, color
    from entrylint.color import colour_setting

    assert cli.COLOR_CHOICES == color.CHOICES  # copied: the CLI imports nothing heavy
    tty = None  # click decides by the terminal
    assert colour_setting("auto", {}) is tty
    assert colour_setting("auto", {"TERM": "dumb"}) is False
    assert colour_setting("auto", {"TERM": "dumb", "FORCE_COLOR": "1"}) is True
    assert colour_setting("auto", {"NO_COLOR": "", "TERM": "xterm"}) is tty
    assert colour_setting("never", {"FORCE_COLOR": "1"}) is False


def test_exclude_on_the_command_line(repo: Path) -> None:
    r = check("--format", "json", "--exclude", "svc/", ".")
    assert [d["path"] for d in json.loads(r.stdout)] == ["Dockerfile"]
    r = check("--format", "json", "--exclude", "svc/", "svc/Dockerfile")  # named: linted
    assert [d["path"] for d in json.loads(r.stdout)] == ["svc/Dockerfile"]
    r = check("--format", "json", "--exclude", "Dockerfile", "--exclude", "svc", ".")
    assert json.loads(r.stdout) == [] and r.exit_code == 0


@pytest.fixture
def broken(repo: Path) -> Path:
    (repo / "svc/Dockerfile").unlink()
    (repo / "svc/bin.Dockerfile").write_bytes(b"FROM x\x00")
    return repo


def test_unreadable_file_in_json_github_gitlab_checkstyle(broken: Path) -> None:
    message = "svc/bin.Dockerfile: is a binary file (contains NUL bytes)"
    r = check("--format", "json", ".")
    assert r.exit_code == 2
    (err,) = [d for d in json.loads(r.stdout) if d["rule"] == "EL000"]
    assert (err["path"], err["severity"], err["line"], err["message"]) == (
        "svc/bin.Dockerfile", "error", 1, message)
    gh = check("--format", "github", ".").stdout
    assert "::error file=svc/bin.Dockerfile,line=1,col=1,endLine=1,endColumn=1,title=EL000::" \
           in gh
    issues = json.loads(check("--format", "gitlab", ".").stdout)
    assert [i["location"]["path"] for i in issues if i["check_name"] == "EL000"] == [
        "svc/bin.Dockerfile"]
    root = ET.fromstring(check("--format", "checkstyle", ".").stdout.encode())
    files = {f.get("name"): [e.get("source") for e in f] for f in root}
    assert files["svc/bin.Dockerfile"] == ["entrylint.EL000"]


def test_unreadable_file_in_sarif_is_a_tool_notification(broken: Path) -> None:
    r = check("--format", "sarif", ".")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    validate_sarif(doc)
    run = doc["runs"][0]
    (inv,) = run["invocations"]
    assert inv["executionSuccessful"] is False
    (note,) = inv["toolExecutionNotifications"]
    assert note["level"] == "error" and "is a binary file" in note["message"]["text"]
    loc = note["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "svc/bin.Dockerfile", "uriBaseId": "%SRCROOT%"}
    assert {res["ruleId"] for res in run["results"]} == {"EL101"}  # not a result
    ok = json.loads(check("--format", "sarif", "Dockerfile").stdout)["runs"][0]
    assert ok["invocations"] == [{"executionSuccessful": True}]
