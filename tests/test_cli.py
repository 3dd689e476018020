"""The command line: exit codes, bad input, discovery."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from entrylint.cli import main
from tests.cli_helpers import invoke_in

GOOD = 'FROM python:3.12-slim\nCMD ["gunicorn", "app:app"]\n'
BAD = "FROM python:3.12-slim\nCMD gunicorn app:app\n"


def invoke(args: list[str], cwd: Path) -> Result:
    return invoke_in(cwd, args)


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
    # gunicorn reaps: EL103 alone (no EL104 for the PID 1 its fix leaves)
    (tmp_path / "start.sh").write_text("#!/bin/bash\nif [[ $x == ; then\n  :\nfi\ngunicorn app:app\n")
    (tmp_path / "start.sh").chmod(0o755)
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
    assert "`/start.sh` is not checked: start.sh is a symlink loop" in r.stdout


def test_help_points_to_the_options_where_click_prints_them() -> None:
    out = CliRunner().invoke(main, ["check", "--help"]).output
    assert "the options below override them" in " ".join(out.split())
    assert "options above" not in out
    assert out.index("override them") < out.index("Options:")


# -- unreadable files and directories -------------------------------------------------------


def test_path_arguments_leave_readability_to_the_linter() -> None:
    """click.Path(readable=True), click's default, turns an unreadable Dockerfile named on the
    command line into a usage error ("Invalid value for '[PATHS]...'"); entrylint reports it
    as it does one found in a directory."""
    from entrylint.cli import check

    types = {p.name: p.type for p in check.params}
    for name in ("paths", "config_file", "output"):
        assert isinstance(types[name], click.Path) and types[name].readable is False, name


def test_unreadable_named_file_is_not_a_usage_error(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """As root every file is readable, so make os.access say what it says to other users."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(BAD)
    real_access = os.access
    locked = (tmp_path / "Dockerfile").resolve()

    def access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
        if Path(path).resolve() == locked:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    r = invoke(["check", "Dockerfile"], tmp_path)
    assert "Invalid value" not in r.output and "Usage:" not in r.output
    assert r.exit_code == 1 and "Dockerfile:2:1: EL101" in r.stdout  # root reads it


def test_unreadable_named_directory_is_an_error(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    for d in ("locked", "ok"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "Dockerfile").write_text(BAD)
    real_access = os.access
    locked = (tmp_path / "locked").resolve()
    monkeypatch.setattr(os, "access", lambda path, mode, *a, **k: False
                        if Path(path).resolve() == locked else real_access(path, mode, *a, **k))
    r = invoke(["check", "locked", "ok"], tmp_path)
    assert r.exit_code == 2
    assert "entrylint: error: locked: permission denied" in r.stderr
    assert "no Dockerfiles found" not in r.stderr
    assert "ok/Dockerfile:2:1: EL101" in r.stdout  # the other paths are still linted


def _python_for(user: str) -> str | None:
    """A Python of this version that ``user`` can run, with entrylint's dependencies
    importable from paths ``user`` can read; None when there is none."""
    if os.geteuid() != 0 or shutil.which("su") is None:
        return None
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for python in dict.fromkeys([sys.executable, os.path.realpath(sys.executable),
                                 shutil.which(f"python{version}") or "",
                                 f"/usr/bin/python{version}"]):
        if not python or not os.path.exists(python):
            continue
        probe = subprocess.run(
            ["su", user, "-s", "/bin/sh", "-c", f"{shlex.quote(python)} -c 'import sys; "
             f"print(sys.version_info[:2])'"],
            capture_output=True, text=True, env=_user_env(), timeout=60)
        if probe.returncode == 0 and probe.stdout.strip() == str(sys.version_info[:2]):
            return python
    return None


def _user_env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}


def _launcher() -> str:
    """``python -c`` code that runs entrylint from this environment's site-packages (its .pth
    files too: an editable install maps `entrylint.rules` through one)."""
    import sysconfig

    dirs = list(dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]))
    project = str(Path(__file__).resolve().parents[1])
    return (f"import site, sys; sys.path.insert(0, {project!r}); "
            f"[site.addsitedir(d) for d in {dirs!r}]; "
            "from entrylint.cli import main; sys.argv[0] = 'entrylint'; main()")


def test_unreadable_file_as_another_user() -> None:
    """For real: a Dockerfile only root may read, linted as `nobody`, named on the command
    line and found in a directory — the same message both ways, exit 2, the rest linted."""
    python = _python_for("nobody")
    if python is None:
        pytest.skip("needs root, su, and a Python + dependencies that `nobody` can run")
    base = Path(tempfile.mkdtemp(prefix="entrylint-perm-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        for d in ("locked", "ok"):
            (base / d).mkdir()
            (base / d / "Dockerfile").write_text(BAD)
            os.chmod(base / d, 0o755)
            os.chmod(base / d / "Dockerfile", 0o644)
        (base / ".git").mkdir(mode=0o755)
        os.chmod(base / "locked" / "Dockerfile", 0o600)
        for args in ("locked/Dockerfile ok/Dockerfile", "locked ok"):
            cmd = (f"cd {shlex.quote(str(base))} && "
                   f"{shlex.quote(python)} -c {shlex.quote(_launcher())} {args}")
            r = subprocess.run(["su", "nobody", "-s", "/bin/sh", "-c", cmd],
                               capture_output=True, text=True, env=_user_env(), timeout=120)
            if "No module named" in r.stderr:
                pytest.skip(f"`nobody` cannot import entrylint's dependencies: {r.stderr}")
            assert r.returncode == 2, (args, r.stdout, r.stderr)
            assert r.stderr == "entrylint: error: locked/Dockerfile: permission denied\n", args
            assert "ok/Dockerfile:2:1: EL101" in r.stdout, args
    finally:
        shutil.rmtree(base, ignore_errors=True)


# -- nothing to lint --------------------------------------------------------------------------


def test_a_directory_without_dockerfiles_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "empty").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("hi\n")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text(GOOD)
    for d in ("empty", "docs"):
        r = invoke(["check", d], tmp_path)
        assert r.exit_code == 0
        assert r.stderr == f"entrylint: warning: no Dockerfiles found in {d}\n"
    r = invoke(["check", "empty", "svc"], tmp_path)
    assert r.exit_code == 0 and r.stderr == "entrylint: warning: no Dockerfiles found in empty\n"
    r = invoke(["check", "svc"], tmp_path)
    assert r.exit_code == 0 and r.stderr == ""
    r = invoke(["check"], tmp_path / "empty")  # the default `.`
    assert r.stderr == "entrylint: warning: no Dockerfiles found in .\n"
    # pre-commit passes whatever changed: no warning then
    r = invoke(["check", "--changed-files", "docs/README.md", "empty"], tmp_path)
    assert r.exit_code == 0 and r.stderr == ""


# -- a message quoting a command that spans lines ---------------------------------------------


def test_multi_line_command_in_a_message_keeps_one_line_per_finding(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(
        'FROM python:3.12-slim\nCOPY start.sh /start.sh\nCMD ["/start.sh"]\n')
    (tmp_path / "start.sh").write_text("#!/bin/sh\npython app.py \\\n    --port 80\n")
    r = invoke(["check", "--format", "json", "."], tmp_path)
    (el103,) = [d for d in json.loads(r.stdout) if d["rule"] == "EL103"]
    # the rule quotes the command on one line, in every format
    assert "`python app.py \\ --port 80`" in el103["message"]

    r = invoke(["check", "--no-unused-ignores", "."], tmp_path)
    lines = r.stdout.splitlines()
    header = [i for i, line in enumerate(lines) if ": EL103 " in line]
    assert len(header) == 1
    i = header[0]
    assert lines[i].startswith("start.sh:2:1: EL103 [error]")
    assert "`python app.py \\ --port 80` runs as a child" in lines[i]
    assert lines[i + 1] == "    python app.py \\" and lines[i + 2].lstrip(" ").startswith("^")
    # every line is a finding, its source line, its caret line, or the summary
    for line in lines:
        assert (line.startswith(("start.sh:", "Dockerfile:", "    ", "Linted "))), line

    r = invoke(["check", "--format", "github", "."], tmp_path)
    gh = r.stdout.splitlines()
    assert all(line.startswith("::") for line in gh), gh
    assert any("python app.py \\ --port 80" in line for line in gh)


def test_text_renderer_keeps_a_finding_on_one_line() -> None:
    from entrylint.diagnostics import Diagnostic
    from entrylint.output import to_text

    d = Diagnostic("EL103", "error", Path("start.sh"), 0, 1, "`a \\\n  b` runs as a child")
    d.line = d.column = d.end_line = 1
    d.end_column = 2
    out = to_text([d], {}, colour=False)
    assert out == "start.sh:1:1: EL103 [error] `a \\ b` runs as a child\n"


def test_context_above_the_dockerfile_without_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_text(
        'FROM python:3.12-slim\nCOPY scripts/start.sh /start.sh\nENTRYPOINT ["/start.sh"]\n')
    (tmp_path / "scripts" / "start.sh").write_text("#!/bin/sh\ngunicorn app:app\n")
    (tmp_path / "scripts" / "start.sh").chmod(0o755)
    r = invoke(["check", "--format", "json", "--context", ".", "docker/Dockerfile"], tmp_path)
    assert [(d["rule"], d["path"]) for d in json.loads(r.stdout)] == [
        ("EL103", "scripts/start.sh")]
    r = invoke(["check", "--context", "nope", "docker/Dockerfile"], tmp_path)
    assert r.exit_code == 2 and "nope" in r.output


def test_compose_init_must_hold_for_every_service_of_the_image(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text('FROM node:22-slim\nCMD ["node", "s.js"]\n')
    for first, second in (("web", "worker"), ("worker", "web")):
        services = {"web": "    build: ./app\n    init: true\n",
                    "worker": "    build: ./app\n"}
        (tmp_path / "compose.yaml").write_text(
            f"services:\n  {first}:\n{services[first]}  {second}:\n{services[second]}")
        r = invoke(["check", "--format", "json", "."], tmp_path)
        assert [d["rule"] for d in json.loads(r.stdout)] == ["EL104"], (first, second)
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    build: ./app\n    init: true\n"
        "  worker:\n    build: ./app\n    init: true\n")
    r = invoke(["check", "--format", "json", "."], tmp_path)
    assert json.loads(r.stdout) == []


def test_long_source_lines_are_cut_not_dropped(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\nCMD python app.py " + "-x " * 100 + "\n")
    r = invoke(["check", "."], tmp_path)
    lines = r.stdout.splitlines()
    assert lines[1].startswith("    CMD python app.py -x") and lines[1].endswith(" …")
    assert len(lines[1]) == 4 + 160 + 2
    assert lines[2] == "    " + "^" * 160


def test_compose_service_running_the_built_image_by_name(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text('FROM python:3.12-slim\nCMD ["python", "a.py"]\n')
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    build: ./app\n    image: myimg\n    init: true\n"
        "  worker:\n    image: myimg\n")
    r = invoke(["check", "--format", "json", "."], tmp_path)
    assert [d["rule"] for d in json.loads(r.stdout)] == ["EL104"]
